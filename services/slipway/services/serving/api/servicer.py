"""Open Inference Protocol servicer (``inference.GRPCInferenceService``): each RPC decodes its
request, awaits one call of :class:`Deployments` and encodes the answer. Which version answers,
in which role, and where the answer is logged are the domain's decisions."""

from __future__ import annotations

from importlib import metadata

from slipway.core.handlers import Context
from slipway.inference.v2 import grpc_service_pb2 as pb
from slipway.services.serving.api import tensors
from slipway.services.serving.domain.deployments import Deployments
from slipway.services.serving.domain.targets import parse_target

SERVER_NAME = "slipway"
# ModelMetadata's platform names the backend answering, in Triton's names for them.
PLATFORMS = {"sklearn": "sklearn", "onnx": "onnxruntime_onnx"}
# The protocol extensions served: the repository RPCs, and missing elements named by an input's
# `missing_elements` parameter (`tensors`).
EXTENSIONS = ["model_repository", tensors.MISSING_ELEMENTS]


def _version() -> str:
    try:
        return metadata.version("slipway")
    except metadata.PackageNotFoundError:  # running from a source tree without install
        return "0+unknown"


class InferenceServicer:
    def __init__(self, deployments: Deployments, *, limits: tensors.Limits) -> None:
        self.ready = False  # set once the process has started and every target is loaded
        self._deployments = deployments
        self._limits = limits
        self._version = _version()

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
        await context.send_initial_metadata(tensors.missing_headers(view.info.inputs, view.missing))
        for out in view.info.outputs:
            if out.name in view.output_names:
                response.outputs.add(name=out.name, datatype=out.datatype, shape=list(out.shape))
        return response

    async def ModelInfer(
        self, request: pb.ModelInferRequest, context: Context
    ) -> pb.ModelInferResponse:
        tensors.check_id(request.id)
        inference = await self._deployments.infer(
            request.model_name,
            request.model_version,
            request.id,
            tensors.reader(request, limits=self._limits),
        )
        info = inference.info
        response = pb.ModelInferResponse(
            model_name=request.model_name, model_version=str(info.number), id=inference.request_id
        )
        response.parameters["served_version"].string_param = info.name
        raw = len(request.raw_input_contents) > 0  # answer the way the request was sent
        for name in inference.outputs:
            tensors.encode(response, name, inference.answers[name], info.output(name), raw)
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
        await self._deployments.deploy(parse_target(request.model_name))
        return pb.RepositoryModelLoadResponse()

    async def RepositoryModelUnload(
        self, request: pb.RepositoryModelUnloadRequest, context: Context
    ) -> pb.RepositoryModelUnloadResponse:
        await self._deployments.undeploy(parse_target(request.model_name).model_id)
        return pb.RepositoryModelUnloadResponse()
