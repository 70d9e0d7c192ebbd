"""``InferenceClient``: predictions with numpy in and out over the Open Inference Protocol."""

from __future__ import annotations

from collections.abc import Sequence

import grpc

from slipway.client.calls import Caller
from slipway.client.requests import idempotency_key
from slipway.client.tensors import Array, Inputs, Prediction, infer_request, prediction
from slipway.inference.v2 import grpc_service_pb2 as pb
from slipway.inference.v2 import grpc_service_pb2_grpc as pb_grpc


class InferenceClient:
    """Serving (``inference.GRPCInferenceService``, the KServe v2 / Triton API), blocking.

    Models are named as serving deploys them (``iris``), without ``models/``. A prediction
    changes nothing but the prediction log, so it is retried on UNAVAILABLE like a keyed
    mutation: when it carries a request id (a new one unless ``request_id`` is given; ``""``
    sends none and turns retries off).
    """

    def __init__(self, channel: grpc.Channel, caller: Caller) -> None:
        self._stub = pb_grpc.GRPCInferenceServiceStub(channel)
        self._call = caller

    def infer(
        self,
        model: str,
        x: Inputs,
        *,
        version: str = "",
        outputs: Sequence[str] | None = None,
        request_id: str | None = None,
        timeout: float | None = None,
    ) -> Prediction:
        """Score ``x`` and return the outputs with the answering version and request id.

        ``x`` is an ``[N, F]`` array with the features in signature order, or a dict of one
        ``[N]`` array per feature named as in the signature (text columns for categorical
        features). A missing value is NaN in a numeric array and None (or NaN) in a text or
        object one; a model that cannot predict without it refuses it (INVALID_ARGUMENT).
        ``outputs`` None returns every output (``predict``, and ``predict_proba`` for
        classifiers); ``version`` pins a loaded version.
        """
        key = idempotency_key(request_id)
        reply = self._call.unary(
            self._stub.ModelInfer,
            infer_request(model, x, version=version, outputs=outputs, request_id=key),
            timeout=timeout,
            idempotent=bool(key),
            key=key,
        )
        return prediction(reply)

    def predict(
        self,
        model: str,
        x: Inputs,
        *,
        version: str = "",
        outputs: Sequence[str] | None = None,
        request_id: str | None = None,
        timeout: float | None = None,
    ) -> dict[str, Array]:
        """Score ``x`` (as in ``infer``); the outputs by name, e.g. ``predict`` ``[N]`` and
        ``predict_proba`` ``[N, classes]``."""
        return self.infer(
            model, x, version=version, outputs=outputs, request_id=request_id, timeout=timeout
        ).outputs

    def model_metadata(
        self, model: str, *, version: str = "", timeout: float | None = None
    ) -> pb.ModelMetadataResponse:
        """The model's versions, inputs (the signature's features) and outputs."""
        return self._call.unary(
            self._stub.ModelMetadata,
            pb.ModelMetadataRequest(name=model, version=version),
            timeout=timeout,
            idempotent=True,
        )

    def model_ready(self, model: str, *, version: str = "", timeout: float | None = None) -> bool:
        """Whether the model (or that version of it) is loaded and answers."""
        return self._call.unary(
            self._stub.ModelReady,
            pb.ModelReadyRequest(name=model, version=version),
            timeout=timeout,
            idempotent=True,
        ).ready

    def server_live(self, *, timeout: float | None = None) -> bool:
        """Whether serving is up."""
        return self._call.unary(
            self._stub.ServerLive, pb.ServerLiveRequest(), timeout=timeout, idempotent=True
        ).live

    def server_ready(self, *, timeout: float | None = None) -> bool:
        """Whether serving has loaded every deployment."""
        return self._call.unary(
            self._stub.ServerReady, pb.ServerReadyRequest(), timeout=timeout, idempotent=True
        ).ready

    def repository_index(
        self, *, ready: bool = False, timeout: float | None = None
    ) -> list[pb.RepositoryIndexResponse.ModelIndex]:
        """What serving serves (``iris@production``), with the version each has loaded, its
        state and why; ``ready`` lists only the ones that answer."""
        reply = self._call.unary(
            self._stub.RepositoryIndex,
            pb.RepositoryIndexRequest(ready=ready),
            timeout=timeout,
            idempotent=True,
        )
        return list(reply.models)

    def load_model(self, target: str, *, reason: str = "", timeout: float | None = None) -> None:
        """Serve ``target`` (``iris``, ``iris@production``, ``iris@3``): returns once it is
        loaded here; serving stores the load (audited, with ``reason``), so every serving
        process converges to it and it survives restarts. Needs the admin role."""
        self._call.unary(
            self._stub.RepositoryModelLoad,
            pb.RepositoryModelLoadRequest(
                model_name=target, parameters=repository_parameters(reason)
            ),
            timeout=timeout,
            idempotent=True,  # loading what is loaded changes nothing
        )

    def unload_model(self, model: str, *, reason: str = "", timeout: float | None = None) -> None:
        """Stop serving ``model``, stored and audited like a load: it stays unloaded, even when
        its ``production`` alias or serving's settings name it, until it is loaded again."""
        self._call.unary(
            self._stub.RepositoryModelUnload,
            pb.RepositoryModelUnloadRequest(
                model_name=model, parameters=repository_parameters(reason)
            ),
            timeout=timeout,
            idempotent=True,
        )


def repository_parameters(reason: str) -> dict[str, pb.ModelRepositoryParameter]:
    """The repository extension's ``reason`` parameter, which serving audits."""
    return {"reason": pb.ModelRepositoryParameter(string_param=reason)} if reason else {}
