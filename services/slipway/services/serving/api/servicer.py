"""Open Inference Protocol servicer (``inference.GRPCInferenceService``): each RPC decodes its
request, awaits one call of :class:`Deployments` and encodes the answer. Which version answers,
in which role, and where the answer is logged are the domain's decisions.

Every inference request, unary or streamed, runs with a clock of the domain's
:class:`Statistics` (ModelStatistics' totals; see ``domain/statistics.py``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator
from importlib import metadata

from slipway.core.context import current_request_id
from slipway.core.errors import SlipwayError
from slipway.core.handlers import Context
from slipway.core.logs import get_logger
from slipway.inference.v2 import grpc_service_pb2 as pb
from slipway.services.serving.api import repository, tensors
from slipway.services.serving.api import statistics as statistics_api
from slipway.services.serving.domain.deployments import Deployments
from slipway.services.serving.domain.statistics import Statistics, report
from slipway.services.serving.domain.targets import parse_target

log = get_logger("slipway.serving")
SERVER_NAME = "slipway"
# ModelMetadata's platform names the backend answering, in Triton's names for them; ModelConfig
# also names the backend itself.
PLATFORMS = {"sklearn": "sklearn", "onnx": "onnxruntime_onnx"}
BACKENDS = {"sklearn": "sklearn", "onnx": "onnxruntime"}
# ModelConfig's max_batch_size is an int32.
MAX_INT32 = 2**31 - 1
# The protocol extensions served: the repository RPCs, and missing elements named by an input's
# `missing_elements` parameter (`tensors`).
EXTENSIONS = ["model_repository", tensors.MISSING_ELEMENTS]


def _version() -> str:
    try:
        return metadata.version("slipway")
    except metadata.PackageNotFoundError:  # running from a source tree without install
        return "0+unknown"


def data_type(datatype: str) -> pb.DataType.ValueType:
    """A protocol datatype (`FP64`, `BYTES`) as Triton's configuration enum."""
    name = "TYPE_STRING" if datatype == "BYTES" else f"TYPE_{datatype}"
    try:
        return pb.DataType.Value(name)
    except ValueError:
        return pb.TYPE_INVALID


class InferenceServicer:
    def __init__(
        self,
        deployments: Deployments,
        *,
        limits: tensors.Limits,
        statistics: Statistics | None = None,
    ) -> None:
        self.ready = False  # set once the process has started and every target is loaded
        self._deployments = deployments
        self._limits = limits
        self._version = _version()
        self._statistics = statistics or Statistics()
        self.statistics_collector = statistics_api.StatisticsCollector(self._statistics)

    async def ServerLive(
        self, request: pb.ServerLiveRequest, context: Context
    ) -> pb.ServerLiveResponse:
        return pb.ServerLiveResponse(live=True)

    async def ServerReady(
        self, request: pb.ServerReadyRequest, context: Context
    ) -> pb.ServerReadyResponse:
        return pb.ServerReadyResponse(ready=self.ready and self._deployments.ready)

    async def ServerMetadata(
        self, request: pb.ServerMetadataRequest, context: Context
    ) -> pb.ServerMetadataResponse:
        return pb.ServerMetadataResponse(
            name=SERVER_NAME, version=self._version, extensions=EXTENSIONS
        )

    async def ModelReady(
        self, request: pb.ModelReadyRequest, context: Context
    ) -> pb.ModelReadyResponse:
        return pb.ModelReadyResponse(
            ready=self._deployments.model_ready(request.name, request.version)
        )

    async def ModelMetadata(
        self, request: pb.ModelMetadataRequest, context: Context
    ) -> pb.ModelMetadataResponse:
        view = self._deployments.describe(request.name, request.version)
        response = pb.ModelMetadataResponse(
            name=request.name, versions=view.versions, platform=PLATFORMS[view.backend]
        )
        for spec in view.info.inputs:
            response.inputs.add(name=spec.name, datatype=spec.datatype, shape=[-1])
        matrix = (tensors.MATRIX_INPUT_HEADER, json.dumps(tensors.matrix_shape(view.info)))
        await context.send_initial_metadata(
            (*tensors.missing_headers(view.info.inputs, view.missing), matrix)
        )
        for out in view.info.outputs:
            if out.name in view.output_names:
                response.outputs.add(name=out.name, datatype=out.datatype, shape=list(out.shape))
        return response

    async def ModelInfer(
        self, request: pb.ModelInferRequest, context: Context
    ) -> pb.ModelInferResponse:
        return await self._infer(request)

    async def _infer(self, request: pb.ModelInferRequest) -> pb.ModelInferResponse:
        clock = self._statistics.start()
        try:
            tensors.check_id(request.id)
            inference = await self._deployments.infer(
                request.model_name,
                request.model_version,
                request.id,
                tensors.reader(request, limits=self._limits, clock=clock),
            )
        except BaseException:
            self._statistics.failed(clock)
            raise
        started = time.perf_counter_ns()
        info = inference.info
        response = pb.ModelInferResponse(
            model_name=request.model_name, model_version=str(info.number), id=inference.request_id
        )
        response.parameters["served_version"].string_param = info.name
        raw = len(request.raw_input_contents) > 0  # answer the way the request was sent
        for name in inference.outputs:
            tensors.encode(response, name, inference.answers[name], info.output(name), raw)
        self._statistics.succeeded(clock, output_ns=time.perf_counter_ns() - started)
        return response

    async def ModelStreamInfer(
        self, requests: AsyncIterator[pb.ModelInferRequest], context: Context
    ) -> AsyncIterator[pb.ModelStreamInferResponse]:
        """Requests are read and answered concurrently, at most ``max_stream_in_flight`` at
        once, and the answers written in request order. A request that fails is answered with
        its error on the stream; a message that does not decode ends the stream with
        INVALID_ARGUMENT once the requests before it are answered."""
        room = asyncio.Semaphore(self._limits.max_stream_in_flight)
        answers: asyncio.Queue[asyncio.Task[pb.ModelStreamInferResponse] | None] = asyncio.Queue()

        async def read() -> None:
            try:
                async for request in requests:
                    await room.acquire()  # holds further requests while the stream is full
                    answers.put_nowait(asyncio.create_task(self._answer_streamed(request)))
            finally:
                answers.put_nowait(None)

        reader = asyncio.create_task(read())
        try:
            while (task := await answers.get()) is not None:
                try:
                    yield await task
                finally:
                    room.release()
            await reader  # raises what ended the reading (a message that does not decode)
        finally:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await reader
            while not answers.empty():
                left = answers.get_nowait()
                if left is not None:
                    left.cancel()

    async def _answer_streamed(self, request: pb.ModelInferRequest) -> pb.ModelStreamInferResponse:
        """One request of a stream: its answer, or its error as Triton sends it (the message
        only; the status and reason a unary call would get are in the log line)."""
        try:
            return pb.ModelStreamInferResponse(infer_response=await self._infer(request))
        except SlipwayError as exc:
            log.warning(
                "stream request failed",
                model=request.model_name,
                id=request.id,
                code=exc.kind.value,
                reason=str(exc.reason),
                error=exc.message,
            )
            return pb.ModelStreamInferResponse(error_message=exc.message)
        except Exception:
            request_id = current_request_id()
            log.exception("stream request failed unexpectedly", model=request.model_name)
            return pb.ModelStreamInferResponse(
                error_message=f"internal error; quote request id {request_id} when reporting it"
            )

    async def ModelConfig(
        self, request: pb.ModelConfigRequest, context: Context
    ) -> pb.ModelConfigResponse:
        view = self._deployments.describe(request.name, request.version)
        config = pb.ModelConfig(
            name=request.name,
            platform=PLATFORMS[view.backend],
            backend=BACKENDS[view.backend],
            max_batch_size=min(self._limits.max_rows, MAX_INT32),
        )
        for spec in view.info.inputs:
            # One value per row: a per-feature input is [N] (or [N, 1]).
            config.input.add(name=spec.name, data_type=data_type(spec.datatype), dims=[1])
        for out in view.info.outputs:
            if out.name in view.output_names:
                dims = [int(d) for d in out.shape[1:]] or [1]
                config.output.add(name=out.name, data_type=data_type(out.datatype), dims=dims)
        config.parameters["served_version"].string_value = view.info.name
        config.parameters["matrix_input_shape"].string_value = json.dumps(
            tensors.matrix_shape(view.info)
        )
        return pb.ModelConfigResponse(config=config)

    async def ModelStatistics(
        self, request: pb.ModelStatisticsRequest, context: Context
    ) -> pb.ModelStatisticsResponse:
        model_id, version = request.name, request.version
        if "@" in model_id:  # a name the index lists: that deployment's version
            info = self._deployments.describe(model_id, version).info
            model_id, version = info.model_id, str(info.number)
        entries = report(self._statistics, self._deployments.index(), model_id, version)
        response = pb.ModelStatisticsResponse()
        for entry in entries:
            statistics_api.encode(entry, response.model_stats.add())
        return response

    async def RepositoryIndex(
        self, request: pb.RepositoryIndexRequest, context: Context
    ) -> pb.RepositoryIndexResponse:
        response = pb.RepositoryIndexResponse()
        for name, version, state, reason in self._deployments.index():
            if request.ready and state != "READY":
                continue
            response.models.add(name=name, version=version, state=state, reason=reason)
        return response

    async def RepositoryModelLoad(
        self, request: pb.RepositoryModelLoadRequest, context: Context
    ) -> pb.RepositoryModelLoadResponse:
        await self._deployments.deploy(
            parse_target(request.model_name), repository.reason_parameter(request.parameters)
        )
        return pb.RepositoryModelLoadResponse()

    async def RepositoryModelUnload(
        self, request: pb.RepositoryModelUnloadRequest, context: Context
    ) -> pb.RepositoryModelUnloadResponse:
        await self._deployments.undeploy(
            parse_target(request.model_name).model_id,
            repository.reason_parameter(request.parameters),
        )
        return pb.RepositoryModelUnloadResponse()
