"""``InferenceClient`` for asyncio: ``slipway.client.InferenceClient`` with async methods."""

from __future__ import annotations

from collections.abc import Sequence

import grpc

from slipway.client.aio.calls import AsyncCaller
from slipway.client.inference import repository_parameters
from slipway.client.requests import idempotency_key
from slipway.client.tensors import Array, Inputs, Prediction, infer_request, prediction
from slipway.inference.v2 import grpc_service_pb2 as pb
from slipway.inference.v2 import grpc_service_pb2_grpc as pb_grpc


class InferenceClient:
    """Serving's Open Inference Protocol, for asyncio; see ``slipway.client.InferenceClient``."""

    def __init__(self, channel: grpc.aio.Channel, caller: AsyncCaller) -> None:
        self._stub = pb_grpc.GRPCInferenceServiceStub(channel)
        self._call = caller

    async def infer(
        self,
        model: str,
        x: Inputs,
        *,
        version: str = "",
        outputs: Sequence[str] | None = None,
        request_id: str | None = None,
        timeout: float | None = None,
    ) -> Prediction:
        """Score ``x``; the outputs with the answering version and request id."""
        key = idempotency_key(request_id)
        reply = await self._call.unary(
            self._stub.ModelInfer,
            infer_request(model, x, version=version, outputs=outputs, request_id=key),
            timeout=timeout,
            idempotent=bool(key),
            key=key,
        )
        return prediction(reply)

    async def predict(
        self,
        model: str,
        x: Inputs,
        *,
        version: str = "",
        outputs: Sequence[str] | None = None,
        request_id: str | None = None,
        timeout: float | None = None,
    ) -> dict[str, Array]:
        """Score ``x``; the outputs by name."""
        answer = await self.infer(
            model, x, version=version, outputs=outputs, request_id=request_id, timeout=timeout
        )
        return answer.outputs

    async def model_metadata(
        self, model: str, *, version: str = "", timeout: float | None = None
    ) -> pb.ModelMetadataResponse:
        """The model's versions, inputs and outputs."""
        return await self._call.unary(
            self._stub.ModelMetadata,
            pb.ModelMetadataRequest(name=model, version=version),
            timeout=timeout,
            idempotent=True,
        )

    async def model_ready(
        self, model: str, *, version: str = "", timeout: float | None = None
    ) -> bool:
        """Whether the model (or that version) is loaded and answers."""
        reply = await self._call.unary(
            self._stub.ModelReady,
            pb.ModelReadyRequest(name=model, version=version),
            timeout=timeout,
            idempotent=True,
        )
        return reply.ready

    async def server_live(self, *, timeout: float | None = None) -> bool:
        """Whether serving is up."""
        reply = await self._call.unary(
            self._stub.ServerLive, pb.ServerLiveRequest(), timeout=timeout, idempotent=True
        )
        return reply.live

    async def server_ready(self, *, timeout: float | None = None) -> bool:
        """Whether serving has loaded every deployment."""
        reply = await self._call.unary(
            self._stub.ServerReady, pb.ServerReadyRequest(), timeout=timeout, idempotent=True
        )
        return reply.ready

    async def repository_index(
        self, *, ready: bool = False, timeout: float | None = None
    ) -> list[pb.RepositoryIndexResponse.ModelIndex]:
        """What serving serves; see ``slipway.client.InferenceClient.repository_index``."""
        reply = await self._call.unary(
            self._stub.RepositoryIndex,
            pb.RepositoryIndexRequest(ready=ready),
            timeout=timeout,
            idempotent=True,
        )
        return list(reply.models)

    async def load_model(
        self, target: str, *, reason: str = "", timeout: float | None = None
    ) -> None:
        """Serve ``target``, stored and audited; see ``slipway.client.InferenceClient``."""
        await self._call.unary(
            self._stub.RepositoryModelLoad,
            pb.RepositoryModelLoadRequest(
                model_name=target, parameters=repository_parameters(reason)
            ),
            timeout=timeout,
            idempotent=True,
        )

    async def unload_model(
        self, model: str, *, reason: str = "", timeout: float | None = None
    ) -> None:
        """Stop serving ``model``, stored and audited; see ``slipway.client.InferenceClient``."""
        await self._call.unary(
            self._stub.RepositoryModelUnload,
            pb.RepositoryModelUnloadRequest(
                model_name=model, parameters=repository_parameters(reason)
            ),
            timeout=timeout,
            idempotent=True,
        )
