"""``AuditClient`` for asyncio: ``slipway.client.AuditClient`` with async methods."""

from __future__ import annotations

from collections.abc import AsyncIterator

import grpc

from slipway.audit.v1 import audit_service_pb2 as pb
from slipway.audit.v1 import audit_service_pb2_grpc as pb_grpc
from slipway.client.aio.calls import AsyncCaller
from slipway.client.audit import (
    EVERY_EVENT,
    AuditEvent,
    AuditFilter,
    ChainVerification,
    filter_text,
)


class AuditClient:
    """The shared audit log, for asyncio; see ``slipway.client.AuditClient``."""

    def __init__(self, channel: grpc.aio.Channel, caller: AsyncCaller) -> None:
        self._stub = pb_grpc.AuditServiceStub(channel)
        self._call = caller

    def list(
        self,
        filter: AuditFilter | str = EVERY_EVENT,
        *,
        oldest_first: bool = False,
        page_size: int = 0,
        timeout: float | None = None,
    ) -> AsyncIterator[AuditEvent]:
        """Every matching event, newest first (or oldest first), page by page."""
        return self._call.pages(
            self._stub.ListAuditEvents,
            pb.ListAuditEventsRequest(
                filter=filter_text(filter),
                page_size=page_size,
                order_by="sequence" if oldest_first else "sequence desc",
            ),
            lambda reply: reply.events,
            timeout=timeout,
        )

    async def verify(
        self, *, start_sequence: int = 0, end_sequence: int = 0, timeout: float | None = None
    ) -> ChainVerification:
        """Walk the hash chain on the server; a broken chain is an answer: check ``status``."""
        reply = await self._call.unary(
            self._stub.VerifyAuditLog,
            pb.VerifyAuditLogRequest(start_sequence=start_sequence, end_sequence=end_sequence),
            timeout=timeout,
            idempotent=True,
        )
        return reply.verification

    async def export(
        self, filter: AuditFilter = EVERY_EVENT, *, timeout: float | None = None
    ) -> AsyncIterator[AuditEvent]:
        """Every matching event, oldest first, with every field and hash."""
        async for batch in self._call.stream(
            self._stub.ExportAuditEvents,
            pb.ExportAuditEventsRequest(filter=filter_text(filter)),
            timeout=timeout,
        ):
            for event in batch.events:
                yield event
