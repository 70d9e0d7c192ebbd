"""Open Inference Protocol servicer (``inference.GRPCInferenceService``): decode, choose the
version, predict through its batcher, encode. Shadow scoring runs after the answer is built,
off the response path."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from importlib import metadata
from typing import Any

import numpy as np

from slipway.core.context import current_request_id
from slipway.core.errors import InvalidArgumentError, NotFoundError
from slipway.core.handlers import Context
from slipway.core.logs import get_logger
from slipway.inference.v2 import grpc_service_pb2 as pb
from slipway.services.serving.api import tensors
from slipway.services.serving.domain.deployments import Deployments, Live
from slipway.services.serving.domain.targets import parse_target
from slipway.services.serving.sinks.prediction_log import PredictionLog

SERVER_NAME = "slipway"
PLATFORM = "sklearn"
EXTENSIONS = ["model_repository"]
log = get_logger("slipway.serving")

ShadowListener = Callable[[str, Live, Live, dict[str, Any], dict[str, Any]], None]
Auditor = Callable[[str, str, dict[str, Any]], Awaitable[None]]


def _version() -> str:
    try:
        return metadata.version("slipway")
    except metadata.PackageNotFoundError:  # running from a source tree without install
        return "0+unknown"


class InferenceServicer:
    def __init__(
        self,
        deployments: Deployments,
        *,
        max_rows: int,
        on_shadow: ShadowListener | None = None,
        audit: Auditor | None = None,
        prediction_log: PredictionLog | None = None,
    ) -> None:
        self.ready = False  # set once the process has started and every target is loaded
        self._deployments = deployments
        self._max_rows = max_rows
        self._version = _version()
        self._on_shadow = on_shadow
        self._shadows: set[asyncio.Task[None]] = set()
        self._audit = audit
        self._log = prediction_log

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
        live, _ = self._deployments.choose(request.name, request.version, "")
        info = live.info
        slot = self._deployments.slots[request.name]
        versions = {str(info.number)}
        candidate = self._deployments.candidates.get(request.name)
        for other in (slot.live, candidate.live if candidate else None):
            if other is not None:
                versions.add(str(other.info.number))
        response = pb.ModelMetadataResponse(
            name=request.name, versions=sorted(versions, key=int), platform=PLATFORM
        )
        for spec in info.inputs:
            response.inputs.add(name=spec.name, datatype=spec.datatype, shape=[-1])
        for out in info.outputs:
            if out.name in live.served.output_names:
                response.outputs.add(name=out.name, datatype=out.datatype, shape=list(out.shape))
        return response

    async def ModelInfer(
        self, request: pb.ModelInferRequest, context: Context
    ) -> pb.ModelInferResponse:
        request_id = request.id or current_request_id() or uuid.uuid4().hex
        live, shadow = self._deployments.choose(
            request.model_name, request.model_version, request.id
        )
        decoded = tensors.decode(
            request, live.info, max_rows=self._max_rows, accepts_nan=live.served.accepts_nan
        )
        outputs = tensors.requested_outputs(request, live.served.output_names)
        try:
            answers = await live.batcher.predict(decoded.rows, outputs)
        except (ValueError, TypeError) as exc:
            # The rows passed every protocol check but the model refused them (an unseen
            # category with handle_unknown='error', say): the caller's input, not our fault.
            raise InvalidArgumentError.for_field(
                "inputs",
                f"the model refused the rows: {str(exc)[:300]}",
                reason="MODEL_REFUSED_INPUT",
            ) from exc
        response = pb.ModelInferResponse(
            model_name=request.model_name, model_version=str(live.info.number), id=request_id
        )
        response.parameters["served_version"].string_param = live.info.name
        for name in outputs:
            tensors.encode(response, name, answers[name], live.info.output(name), decoded.raw)
        if self._log is not None:
            candidate = self._deployments.candidates.get(request.model_name)
            canary = candidate is not None and candidate.live is live
            slot = candidate if canary else self._deployments.slots.get(request.model_name)
            self._log.record(
                live.info,
                alias=slot.target.alias if slot else "",
                role="canary" if canary else "primary",
                request_id=request_id,
                rows=decoded.rows,
                answers=answers,
            )
        if shadow is not None:
            task = asyncio.create_task(
                self._shadow(
                    request.model_name, live, shadow, decoded.rows, outputs, answers, request_id
                )
            )
            self._shadows.add(task)
            task.add_done_callback(self._shadows.discard)
        return response

    async def _shadow(
        self,
        model: str,
        live: Live,
        shadow: Live,
        rows: np.ndarray[Any, Any],
        outputs: list[str],
        answers: dict[str, Any],
        request_id: str,
    ) -> None:
        wanted = [name for name in outputs if name in shadow.served.output_names]
        try:
            theirs = await shadow.batcher.predict(rows, wanted)
        except Exception as exc:  # a failing shadow never affects callers
            log.warning(
                "shadow prediction failed",
                model=model,
                version=shadow.info.name,
                error=f"{type(exc).__name__}: {exc}"[:300],
            )
            return
        if self._on_shadow is not None:
            self._on_shadow(model, live, shadow, answers, theirs)
        if self._log is not None:
            candidate = self._deployments.candidates.get(model)
            self._log.record(
                shadow.info,
                alias=candidate.target.alias if candidate else "",
                role="shadow",
                request_id=request_id,
                rows=rows,
                answers=theirs,
            )

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
        target = parse_target(request.model_name)
        slot = await self._deployments.add(target)
        if slot.live is None:
            raise NotFoundError(
                f"could not load {target}: {slot.reason}",
                reason="MODEL_LOAD_FAILED",
                metadata={"model": str(target)},
            )
        log.info(
            "model loaded through the repository API",
            target=str(target),
            version=slot.live.info.name,
        )
        if self._audit is not None:
            await self._audit(
                "RepositoryModelLoad",
                f"models/{target.model_id}",
                {"target": str(target), "version": slot.live.info.name},
            )
        return pb.RepositoryModelLoadResponse()

    async def RepositoryModelUnload(
        self, request: pb.RepositoryModelUnloadRequest, context: Context
    ) -> pb.RepositoryModelUnloadResponse:
        model_id = parse_target(request.model_name).model_id
        self._deployments.remove(model_id)
        if self._audit is not None:
            await self._audit("RepositoryModelUnload", f"models/{model_id}", {"model": model_id})
        return pb.RepositoryModelUnloadResponse()
