"""``AuditClient``: read, verify and export the suite's shared, hash-chained audit log."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import grpc

from slipway.audit.v1 import audit_event_pb2, chain_verification_pb2
from slipway.audit.v1 import audit_service_pb2 as pb
from slipway.audit.v1 import audit_service_pb2_grpc as pb_grpc
from slipway.client.calls import Caller
from slipway.client.requests import quote

AuditEvent = audit_event_pb2.AuditEvent
ChainVerification = chain_verification_pb2.ChainVerification


@dataclass(frozen=True)
class AuditFilter:
    """Which events to list or export; every condition given must hold (empty: any)."""

    principal: str = ""
    """Who acted, e.g. ``alice``."""
    action: str = ""
    """The audited action, e.g. ``registry.SetModelAlias``."""
    resource: str = ""
    """The exact resource name, e.g. ``models/churn@production``."""
    resource_prefix: str = ""
    """The start of the resource name, e.g. ``models/churn``."""
    service: str = ""
    """The service that wrote the event, e.g. ``registry``."""
    outcome: audit_event_pb2.AuditOutcome.ValueType = audit_event_pb2.AUDIT_OUTCOME_UNSPECIFIED
    """``AUDIT_OUTCOME_OK``, ``..._DENIED`` or ``..._FAILED``; unspecified for any."""
    start_time: datetime | None = None
    """Events at or after this time (naive datetimes are taken as UTC)."""
    end_time: datetime | None = None
    """Events before this time."""

    def to_filter(self) -> str:
        """The AIP-160 ``filter`` string the audit API takes for these conditions."""
        terms = [
            f"{name} = {quote(value)}"
            for name, value in (
                ("principal", self.principal),
                ("action", self.action),
                ("resource", self.resource),
                ("service", self.service),
            )
            if value
        ]
        if self.resource_prefix:
            terms.append(f"resource = {quote(self.resource_prefix + '*')}")
        if self.outcome != audit_event_pb2.AUDIT_OUTCOME_UNSPECIFIED:
            name = audit_event_pb2.AuditOutcome.Name(self.outcome)
            terms.append(f"outcome = {name.removeprefix('AUDIT_OUTCOME_')}")
        if self.start_time is not None:
            terms.append(f"event_time >= {quote(rfc3339(self.start_time))}")
        if self.end_time is not None:
            terms.append(f"event_time < {quote(rfc3339(self.end_time))}")
        return " AND ".join(terms)


def rfc3339(when: datetime) -> str:
    """``when`` as RFC 3339 with its offset (a naive datetime is taken as UTC)."""
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).isoformat()


def filter_text(filter: AuditFilter | str) -> str:
    return filter if isinstance(filter, str) else filter.to_filter()


EVERY_EVENT = AuditFilter()


class AuditClient:
    """The audit log (``slipway.audit.v1.AuditService``), blocking.

    Every service answers it over the same shared log, so any one will do. Reading it needs
    the ``auditor`` (or ``admin``) role.
    """

    def __init__(self, channel: grpc.Channel, caller: Caller) -> None:
        self._stub = pb_grpc.AuditServiceStub(channel)
        self._call = caller

    def list(
        self,
        filter: AuditFilter | str = EVERY_EVENT,
        *,
        oldest_first: bool = False,
        page_size: int = 0,
        timeout: float | None = None,
    ) -> Iterator[AuditEvent]:
        """Every matching event, newest first (or oldest first), page by page as the
        iteration needs them (``timeout`` per page). ``filter`` is an :class:`AuditFilter` or
        an AIP-160 filter string (see ``ListAuditEventsRequest.filter``)."""
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

    def verify(
        self, *, start_sequence: int = 0, end_sequence: int = 0, timeout: float | None = None
    ) -> ChainVerification:
        """Walk the hash chain on the server from ``start_sequence`` (default the first event)
        to ``end_sequence`` (default the head). A broken chain is an answer, not an error:
        check ``status``."""
        return self._call.unary(
            self._stub.VerifyAuditLog,
            pb.VerifyAuditLogRequest(start_sequence=start_sequence, end_sequence=end_sequence),
            timeout=timeout,
            idempotent=True,
        ).verification

    def export(
        self,
        filter: AuditFilter | str = EVERY_EVENT,
        *,
        timeout: float | None = None,
    ) -> Iterator[AuditEvent]:
        """Every matching event, oldest first, with every field and hash (what an offline
        verification needs). Events appended after the export began are left out.
        ``timeout`` (default none) bounds the whole export."""
        batches = self._call.stream(
            self._stub.ExportAuditEvents,
            pb.ExportAuditEventsRequest(filter=filter_text(filter)),
            timeout=timeout,
        )
        return (event for batch in batches for event in batch.events)
