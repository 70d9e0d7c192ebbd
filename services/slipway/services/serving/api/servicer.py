"""Open Inference Protocol servicer (``inference.GRPCInferenceService``).

This release answers the server-level calls; model metadata, inference and the repository
extension answer UNIMPLEMENTED until model loading lands.
"""

from __future__ import annotations

from importlib import metadata

from slipway.core.handlers import Context
from slipway.inference.v2 import grpc_service_pb2 as pb

SERVER_NAME = "slipway"


def _version() -> str:
    try:
        return metadata.version("slipway")
    except metadata.PackageNotFoundError:  # running from a source tree without install
        return "0+unknown"


class InferenceServicer:
    """Server liveness, readiness and metadata."""

    def __init__(self) -> None:
        self.ready = False  # set once the process has finished starting
        self._version = _version()

    async def ServerLive(
        self, request: pb.ServerLiveRequest, context: Context
    ) -> pb.ServerLiveResponse:
        return pb.ServerLiveResponse(live=True)

    async def ServerReady(
        self, request: pb.ServerReadyRequest, context: Context
    ) -> pb.ServerReadyResponse:
        return pb.ServerReadyResponse(ready=self.ready)

    async def ServerMetadata(
        self, request: pb.ServerMetadataRequest, context: Context
    ) -> pb.ServerMetadataResponse:
        return pb.ServerMetadataResponse(name=SERVER_NAME, version=self._version, extensions=[])
