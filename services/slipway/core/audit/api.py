"""``slipway.audit.v1.AuditService``, answered by every service: list, verify and export.

Thin: requests are validated and converted here, the reading is done by ``audit.log`` in a
read-only unit of work on a worker thread (verification in one read-only snapshot), and the
results are converted back.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC
from typing import Any

from slipway.audit.v1 import audit_event_pb2 as event_pb
from slipway.audit.v1 import audit_service_pb2 as pb
from slipway.audit.v1 import chain_verification_pb2 as chain_pb
from slipway.core import filters
from slipway.core.audit import log
from slipway.core.audit.chain import AuditEntry, BreakKind, Outcome, Verification
from slipway.core.audit.verifier import read_snapshot, snapshot_engine
from slipway.core.blocking import run_blocking
from slipway.core.db import Database
from slipway.core.errors import FieldViolation, InvalidArgumentError
from slipway.core.handlers import Context
from slipway.core.pagination import (
    cursor_position,
    decode_page_token,
    encode_page_token,
    fit_to_budget,
    page_size,
)
from slipway.core.principals import principal_to_pb, roles_from_pb
from slipway.core.reasons import Reason
from slipway.core.values import timestamp

EXPORT_BATCH = 500

_OUTCOME_TO_PB = {
    Outcome.OK: event_pb.AUDIT_OUTCOME_OK,
    Outcome.DENIED: event_pb.AUDIT_OUTCOME_DENIED,
    Outcome.FAILED: event_pb.AUDIT_OUTCOME_FAILED,
}
_OUTCOME_FROM_PB = {v: k for k, v in _OUTCOME_TO_PB.items()}
_BREAK_TO_PB = {
    BreakKind.CHANGED_ROW: chain_pb.CHAIN_BREAK_KIND_CHANGED_ROW,
    BreakKind.MISSING_ROW: chain_pb.CHAIN_BREAK_KIND_MISSING_ROW,
    BreakKind.REORDERED_ROW: chain_pb.CHAIN_BREAK_KIND_REORDERED_ROW,
    # Kinds the protocol has no value for travel as a changed row; the detail names them.
    BreakKind.BACKDATED_ROW: chain_pb.CHAIN_BREAK_KIND_CHANGED_ROW,
    BreakKind.UNKNOWN_KEY: chain_pb.CHAIN_BREAK_KIND_CHANGED_ROW,
    BreakKind.UNKEYED_ROW: chain_pb.CHAIN_BREAK_KIND_CHANGED_ROW,
    BreakKind.CHECKPOINT_MISMATCH: chain_pb.CHAIN_BREAK_KIND_CHANGED_ROW,
}


def event_to_pb(entry: AuditEntry) -> event_pb.AuditEvent:
    return event_pb.AuditEvent(
        sequence=entry.sequence,
        event_id=entry.event_id,
        event_time=timestamp(entry.event_time),
        service=entry.service,
        action=entry.action,
        principal=principal_to_pb(entry.principal, entry.roles),
        resource=entry.resource,
        outcome=_OUTCOME_TO_PB[entry.outcome],
        status_code=entry.status_code,
        error_reason=entry.error_reason,
        reason=entry.reason,
        request_id=entry.request_id,
        payload_json=entry.payload,
        previous_hash=entry.previous_hash,
        hash=entry.hash,
        hash_version=entry.hash_version,
        key_id=entry.key_id,
    )


def event_from_pb(message: event_pb.AuditEvent) -> AuditEntry:
    """The stored event back from its message (for clients re-verifying an export)."""
    return AuditEntry(
        sequence=message.sequence,
        event_id=message.event_id,
        event_time=message.event_time.ToDatetime(tzinfo=UTC),
        service=message.service,
        action=message.action,
        principal=message.principal.name,
        roles=roles_from_pb(message.principal),
        resource=message.resource,
        outcome=_OUTCOME_FROM_PB[message.outcome],
        status_code=message.status_code,
        error_reason=message.error_reason,
        reason=message.reason,
        request_id=message.request_id,
        payload=message.payload_json,
        previous_hash=message.previous_hash,
        hash=message.hash,
        hash_version=message.hash_version,
        key_id=message.key_id,
    )


def filter_from_text(text: str) -> log.EventFilter:
    """The AIP-160 ``filter`` of ListAuditEvents and ExportAuditEvents (INVALID_FILTER)."""
    return log.EventFilter(expression=filters.parse(text, log.EXPRESSION_FIELDS))


def order_from_text(order_by: str) -> bool:
    """Whether ``order_by`` (AIP-132: ``sequence`` or ``sequence desc``) is newest first."""
    ((_, descending),) = filters.parse_order_by(order_by, "sequence", ("sequence",))
    return descending


def verification_to_pb(result: Verification, head_empty: bool) -> chain_pb.ChainVerification:
    if head_empty:
        status = chain_pb.CHAIN_STATUS_EMPTY
    elif result.ok:
        status = chain_pb.CHAIN_STATUS_OK
    else:
        status = chain_pb.CHAIN_STATUS_BROKEN
    verification = chain_pb.ChainVerification(
        status=status,
        first_sequence=result.first_sequence,
        last_sequence=result.last_sequence,
        event_count=result.event_count,
        last_hash=result.last_hash,
        detail=result.detail,
    )
    if result.break_kind is not None:
        verification.break_sequence = result.break_sequence
        verification.break_kind = _BREAK_TO_PB[result.break_kind]
    verification.verify_time.GetCurrentTime()
    return verification


class AuditServicer:
    """Reads the shared audit log for auditors and admins."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._snapshot = snapshot_engine(db)

    def _list(
        self, flt: log.EventFilter, after: int | None, limit: int, descending: bool
    ) -> tuple[list[AuditEntry], bool]:
        with self._db.unit_of_work(read_only=True) as session:
            return log.list_events(session, flt, after=after, limit=limit, descending=descending)

    async def ListAuditEvents(
        self, request: pb.ListAuditEventsRequest, context: Context
    ) -> pb.ListAuditEventsResponse:
        flt = filter_from_text(request.filter)
        descending = order_from_text(request.order_by)
        limit = page_size(request.page_size)
        parameters: dict[str, Any] = {"filter": request.filter, "descending": descending}
        cursor = decode_page_token(request.page_token, parameters)
        after = cursor_position(cursor, "after")
        entries, more = await run_blocking(self._list, flt, after, limit, descending)
        events = [event_to_pb(e) for e in entries]
        count = fit_to_budget([event.ByteSize() for event in events])
        more = more or count < len(events)
        token = (
            encode_page_token({"after": entries[count - 1].sequence}, parameters) if more else ""
        )
        return pb.ListAuditEventsResponse(events=events[:count], next_page_token=token)

    def _verify(self, start: int, end: int) -> tuple[Verification, bool]:
        with read_snapshot(self._snapshot) as session:
            head, _ = log.chain_head(session)
            # With the keys the database was connected with (bootstrap.connect_database).
            return log.verify(session, start=start, end=end), head == 0

    async def VerifyAuditLog(
        self, request: pb.VerifyAuditLogRequest, context: Context
    ) -> pb.VerifyAuditLogResponse:
        problems = [
            FieldViolation(name, "must not be negative")
            for name in ("start_sequence", "end_sequence")
            if getattr(request, name) < 0
        ]
        if request.start_sequence >= 0 and 0 < request.end_sequence < request.start_sequence:
            problems.append(FieldViolation("end_sequence", "must be >= start_sequence"))
        if problems:
            raise InvalidArgumentError(
                "; ".join(f"{p.field}: {p.description}" for p in problems),
                reason=Reason.INVALID_RANGE,
                field_violations=problems,
            )
        result, empty = await run_blocking(
            self._verify, request.start_sequence or 1, request.end_sequence
        )
        # A range past the head holds no events: EMPTY, as documented, not a verified OK.
        empty = empty or (result.ok and result.event_count == 0)
        return pb.VerifyAuditLogResponse(verification=verification_to_pb(result, empty))

    async def ExportAuditEvents(
        self, request: pb.ExportAuditEventsRequest, context: Context
    ) -> AsyncIterator[pb.ExportAuditEventsResponse]:
        flt = filter_from_text(request.filter)
        # A snapshot: events appended while the export runs are left for the next export.
        head = await run_blocking(self._head)
        if not flt.max_sequence or flt.max_sequence > head:
            flt = replace(flt, max_sequence=head)
        after: int | None = None
        while head:
            entries, more = await run_blocking(self._list, flt, after, EXPORT_BATCH, False)
            if entries:
                yield pb.ExportAuditEventsResponse(events=[event_to_pb(e) for e in entries])
                after = entries[-1].sequence
            if not more:
                return

    def _head(self) -> int:
        with self._db.unit_of_work(read_only=True) as session:
            return log.chain_head(session)[0]
