"""``LineageClient`` for asyncio: ``slipway.client.LineageClient`` with async methods."""

from __future__ import annotations

import grpc

from slipway.client.aio.calls import AsyncCaller
from slipway.client.lineage import LineageReport
from slipway.lineage.v1 import lineage_service_pb2 as pb
from slipway.lineage.v1 import lineage_service_pb2_grpc as pb_grpc


class LineageClient:
    """Lineage reports, for asyncio; see ``slipway.client.LineageClient``."""

    def __init__(self, channel: grpc.aio.Channel, caller: AsyncCaller) -> None:
        self._stub = pb_grpc.LineageServiceStub(channel)
        self._call = caller

    async def report(self, name: str, *, timeout: float | None = None) -> LineageReport:
        """The lineage and audit report of a version."""
        reply = await self._call.unary(
            self._stub.GetLineageReport,
            pb.GetLineageReportRequest(name=name),
            timeout=timeout,
            idempotent=True,
        )
        return reply.report
