"""Writing and reading the audit log in the shared database.

:func:`record` queues an event on the caller's session; the queued events are appended to the
chain by a ``before_commit`` hook, right before that transaction commits. So the change and its
audit event commit together or not at all, and the chain head (the lock that serialises appends
across processes) is held only from the append to the commit, however long the change itself took.

Savepoints (``session.begin_nested()``) are honoured: rolling one back discards the events recorded
inside it, and only those, just as it discards the changes made inside it.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    bindparam,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session

from slipway.core import filters
from slipway.core.audit.chain import (
    GENESIS_HASH,
    KEYED_HASH_VERSION,
    UNKEYED,
    AuditEntry,
    BreakKind,
    ChainKey,
    Keyring,
    Outcome,
    Verification,
    canonical_payload,
    seal,
    verify_entries,
)
from slipway.core.audit.tables import AuditChainHead, AuditEventRow
from slipway.core.context import ANONYMOUS, Principal, current_principal, current_request_id
from slipway.core.pending import CommitQueue
from slipway.core.tables import Base

PENDING = "slipway.audit.pending"
HEAD_ID = 1
_EVENTS = Base.metadata.tables[AuditEventRow.__tablename__]
_HEAD = Base.metadata.tables[AuditChainHead.__tablename__]
# The append's statements, built once: lock and read the head (with the time of the event it
# names, which the new events must not precede), add the events, move the head.
_PREVIOUS_TIME = (
    select(_EVENTS.c.event_time)
    .where(_EVENTS.c.sequence == _HEAD.c.last_sequence)
    .scalar_subquery()
)
_LOCK_HEAD = (
    select(_HEAD.c.last_sequence, _HEAD.c.last_hash, _PREVIOUS_TIME)
    .where(_HEAD.c.id == HEAD_ID)
    .with_for_update(of=_HEAD)
)
_INSERT_EVENTS = insert(_EVENTS)
_MOVE_HEAD = (
    update(_HEAD)
    .where(_HEAD.c.id == HEAD_ID)
    .values(last_sequence=bindparam("to_sequence"), last_hash=bindparam("to_hash"))
)
BATCH = 1000
# The engine execution option holding the process's verifying keys (a Keyring): every walk of
# the chain in the process (the audit API, the background verifier, the registry's lineage
# report) uses them without each caller being handed the keys.
KEYRING_OPTION = "slipway.audit.keyring"


@dataclass(frozen=True)
class _Draft:
    event_id: str
    service: str
    action: str
    resource: str
    outcome: Outcome
    reason: str
    payload: str
    principal: Principal
    request_id: str
    status_code: str
    error_reason: str


def _column(text: str, limit: int) -> str:
    """Text as an audit column can hold it on every database: a refused call may carry a
    hostile value (a NUL, 10 kB), and losing its audit event over that is worse than escaping
    the NUL and marking the cut."""
    text = text.replace("\x00", "\\x00")
    return text if len(text) <= limit else text[: limit - 12] + "…[truncated]"


def record(
    session: Session,
    *,
    service: str,
    action: str,
    resource: str,
    payload: Mapping[str, Any] | None = None,
    reason: str = "",
    outcome: Outcome = Outcome.OK,
    status_code: str = "OK",
    error_reason: str = "",
    principal: Principal | None = None,
    request_id: str | None = None,
) -> str:
    """Record an audit event in the transaction of ``session``; returns its event id.

    ``action`` names the operation as ``<service>.<Rpc>`` (``registry.SetModelAlias``);
    ``payload`` holds the change (before/after where it applies) and must be JSON-serialisable.
    The principal and request id default to those of the gRPC call being served. The event id
    is known now (records that cite the event can store it); the sequence and hash at commit.
    """
    draft = _Draft(
        event_id=str(uuid.uuid4()),
        service=service,
        action=_column(action, 128),
        resource=_column(resource, 1024),
        outcome=outcome,
        reason=_column(reason, 16_384),
        payload=canonical_payload(dict(payload or {})),
        principal=principal or current_principal(),
        request_id=_column(current_request_id() if request_id is None else request_id, 128),
        status_code=status_code,
        error_reason=_column(error_reason, 128),
    )
    COMMIT_WRITER.add(session, draft)
    return draft.event_id


def _append(session: Session, drafts: list[_Draft], *, key: ChainKey | None) -> None:
    # Plain SQL statements on the session's connection, not ORM objects: the append costs three
    # statements and no unit-of-work flush, and reads the locked head as it is in the database.
    connection = session.connection()
    sequence, previous, previous_time = connection.execute(_LOCK_HEAD).one()
    # Times never go backwards within the chain (the verifier reports an event older than its
    # predecessor): a clock stepped back, or another host's clock behind this one, stamps the
    # previous event's time instead.
    now = datetime.now(UTC)
    if previous_time is not None and previous_time > now:
        now = previous_time
    rows = []
    for draft in drafts:
        sequence += 1
        entry = AuditEntry(
            sequence=sequence,
            event_id=draft.event_id,
            event_time=now,
            service=draft.service,
            action=draft.action,
            principal=draft.principal.name,
            roles=tuple(sorted(draft.principal.roles)),
            resource=draft.resource,
            outcome=draft.outcome,
            status_code=draft.status_code,
            error_reason=draft.error_reason,
            reason=draft.reason,
            request_id=draft.request_id,
            payload=draft.payload,
            previous_hash=previous,
        )
        sealed = seal(entry, key)
        rows.append(_row_values(sealed))
        previous = sealed.hash
    connection.execute(_INSERT_EVENTS, rows)
    connection.execute(_MOVE_HEAD, {"to_sequence": sequence, "to_hash": previous})


def chain_writer(key: ChainKey | None) -> CommitQueue[_Draft]:
    """The writer that appends the events recorded on a session as it commits, hashed under
    ``key`` (unkeyed SHA-256 without one). Wired by ``bootstrap.connect_database``."""
    return CommitQueue(PENDING, partial(_append, key=key))


COMMIT_WRITER: CommitQueue[_Draft] = chain_writer(None)
"""Queues events on a session (:func:`record`); the writer installed on the session's database
(:func:`chain_writer`) appends them, keyed or not."""


def _row_values(entry: AuditEntry) -> dict[str, object]:
    return {
        "sequence": entry.sequence,
        "event_id": entry.event_id,
        "event_time": entry.event_time,
        "service": entry.service,
        "action": entry.action,
        "principal": entry.principal,
        "roles": ",".join(entry.roles),
        "resource": entry.resource,
        "outcome": entry.outcome.value,
        "status_code": entry.status_code,
        "error_reason": entry.error_reason,
        "reason": entry.reason,
        "request_id": entry.request_id,
        "payload": entry.payload,
        "previous_hash": entry.previous_hash,
        "hash": entry.hash,
        "hash_version": entry.hash_version,
        "key_id": entry.key_id,
    }


def to_entry(row: AuditEventRow) -> AuditEntry:
    return AuditEntry(
        sequence=row.sequence,
        event_id=row.event_id,
        event_time=row.event_time,
        service=row.service,
        action=row.action,
        principal=row.principal,
        roles=tuple(r for r in row.roles.split(",") if r),
        resource=row.resource,
        outcome=Outcome(row.outcome),
        status_code=row.status_code,
        error_reason=row.error_reason,
        reason=row.reason,
        request_id=row.request_id,
        payload=row.payload,
        previous_hash=row.previous_hash,
        hash=row.hash,
        hash_version=row.hash_version,
        key_id=row.key_id or "",
    )


# The fields of an audit filter expression: their kinds, and the columns they read.
EXPRESSION_FIELDS: dict[str, filters.Kind] = {
    "sequence": int,
    "event_time": datetime,
    "principal": str,
    "action": str,
    "resource": str,
    "service": str,
    "outcome": {o.name: o.value for o in Outcome},
}
EXPRESSION_COLUMNS: dict[str, ColumnElement[Any]] = {
    "sequence": AuditEventRow.sequence,  # type: ignore[dict-item]
    "event_time": AuditEventRow.event_time,  # type: ignore[dict-item]
    "principal": AuditEventRow.principal,  # type: ignore[dict-item]
    "action": AuditEventRow.action,  # type: ignore[dict-item]
    "resource": AuditEventRow.resource,  # type: ignore[dict-item]
    "service": AuditEventRow.service,  # type: ignore[dict-item]
    "outcome": AuditEventRow.outcome,  # type: ignore[dict-item]
}


@dataclass(frozen=True)
class EventFilter:
    """Which events to read; empty fields do not filter."""

    start_time: datetime | None = None
    end_time: datetime | None = None
    principal: str = ""
    action: str = ""
    resource: str = ""
    resource_prefix: str = ""
    outcome: Outcome | None = None
    service: str = ""
    min_sequence: int = 0
    max_sequence: int = 0
    # A parsed AIP-160 filter over EXPRESSION_COLUMNS (what ListAuditEvents and
    # ExportAuditEvents take), in addition to the fields above.
    expression: filters.Filter = ()

    def conditions(self) -> list[ColumnElement[bool]]:
        row = AuditEventRow
        out: list[ColumnElement[bool]] = []
        condition = filters.sql_condition(self.expression, EXPRESSION_COLUMNS)
        if condition is not None:
            out.append(condition)
        if self.start_time is not None:
            out.append(row.event_time >= self.start_time)
        if self.end_time is not None:
            out.append(row.event_time < self.end_time)
        for column, value in (
            (row.principal, self.principal),
            (row.action, self.action),
            (row.resource, self.resource),
            (row.service, self.service),
        ):
            if value:
                out.append(column == value)
        if self.resource_prefix:
            prefix = self.resource_prefix
            out.append(row.resource.startswith(prefix, autoescape=True))
            # SQLite's LIKE ignores ASCII case; comparing the leading characters keeps the
            # prefix case-sensitive there, as it is on PostgreSQL.
            out.append(func.substr(row.resource, 1, len(prefix)) == prefix)
        if self.outcome is not None:
            out.append(row.outcome == self.outcome.value)
        if self.min_sequence:
            out.append(row.sequence >= self.min_sequence)
        if self.max_sequence:
            out.append(row.sequence <= self.max_sequence)
        return out


def _query(flt: EventFilter, after: int | None, descending: bool) -> Select[AuditEventRow]:
    query = select(AuditEventRow).where(*flt.conditions())
    if after is not None:
        query = query.where(
            AuditEventRow.sequence < after if descending else AuditEventRow.sequence > after
        )
    order = AuditEventRow.sequence.desc() if descending else AuditEventRow.sequence.asc()
    return query.order_by(order)


def list_events(
    session: Session,
    flt: EventFilter,
    *,
    after: int | None,
    limit: int,
    descending: bool = False,
) -> tuple[list[AuditEntry], bool]:
    """A page of events after the keyset cursor ``after``; and whether more follow."""
    rows = session.scalars(_query(flt, after, descending).limit(limit + 1)).all()
    return [to_entry(r) for r in rows[:limit]], len(rows) > limit


def events_about(
    session: Session,
    *,
    resources: Collection[str] = (),
    service_resources: Collection[tuple[str, str]] = (),
    event_ids: Collection[str] = (),
    limit: int,
) -> tuple[list[AuditEntry], bool]:
    """The oldest ``limit`` events on one of ``resources``, on a resource of
    ``service_resources`` (``(service, resource)`` pairs) recorded by that service, or with one
    of ``event_ids``, in sequence order; and whether more matched. Calls refused to callers
    without a valid token are left out: they are about nothing but the caller (and events
    written before such refusals were counted still carry the resource the caller named)."""
    row = AuditEventRow
    wanted: list[ColumnElement[bool]] = []
    if resources:
        wanted.append(row.resource.in_(sorted(set(resources))))
    wanted.extend(
        and_(row.service == service, row.resource == resource)
        for service, resource in sorted(set(service_resources))
    )
    if event_ids:
        wanted.append(row.event_id.in_(sorted(set(event_ids))))
    if not wanted or limit <= 0:
        return [], False
    anonymous_refusal = and_(row.principal == ANONYMOUS.name, row.outcome == Outcome.DENIED.value)
    rows = session.scalars(
        select(row)
        .where(or_(*wanted), ~anonymous_refusal)
        .order_by(row.sequence.asc())
        .limit(limit + 1)
    ).all()
    return [to_entry(r) for r in rows[:limit]], len(rows) > limit


def iter_events(session: Session, flt: EventFilter, batch: int = BATCH) -> Iterator[AuditEntry]:
    """Every matching event in sequence order, read in batches."""
    after: int | None = None
    while True:
        rows = session.scalars(_query(flt, after, False).limit(batch)).all()
        for row in rows:
            yield to_entry(row)
        if len(rows) < batch:
            return
        after = rows[-1].sequence


def chain_head(session: Session) -> tuple[int, str]:
    head = session.get(AuditChainHead, HEAD_ID)
    if head is None:
        raise LookupError("the audit chain head row is missing")
    return head.last_sequence, head.last_hash


def hashes_at(session: Session, sequences: Collection[int]) -> dict[int, str]:
    """The stored hashes of the events at ``sequences`` that exist."""
    found: dict[int, str] = {}
    wanted = sorted(set(sequences))
    for i in range(0, len(wanted), BATCH):
        rows = session.execute(
            select(AuditEventRow.sequence, AuditEventRow.hash).where(
                AuditEventRow.sequence.in_(wanted[i : i + BATCH])
            )
        )
        found.update({sequence: digest for sequence, digest in rows})
    return found


def event_time_at(session: Session, sequence: int) -> datetime | None:
    found: datetime | None = session.scalar(
        select(AuditEventRow.event_time).where(AuditEventRow.sequence == sequence)
    )
    return found


def configured_keyring(session: Session) -> Keyring:
    """The keys the process verifies with, as ``bootstrap.connect_database`` set them on the
    session's engine (:data:`KEYRING_OPTION`); none: an unkeyed verifier."""
    keyring = session.get_bind().get_execution_options().get(KEYRING_OPTION)
    return keyring if isinstance(keyring, Keyring) else UNKEYED


def verify(
    session: Session, start: int = 1, end: int = 0, keyring: Keyring | None = None
) -> Verification:
    """Walk the chain from ``start`` to ``end`` (0: the chain head) and report the first break;
    keyed events are checked with the keys of ``keyring`` (see :class:`Keyring`), by default
    those the database was connected with (:func:`configured_keyring`)."""
    if keyring is None:
        keyring = configured_keyring(session)
    last_sequence, _ = chain_head(session)
    start = max(1, start)
    last = last_sequence if end <= 0 else min(end, last_sequence)
    if last_sequence == 0 or start > last:
        return Verification(first_sequence=start, last_sequence=last, keyed_verifier=keyring.keyed)
    anchor_time: datetime | None = None
    anchor_keyed = False
    if start == 1:
        anchor = GENESIS_HASH
    else:
        before = session.get(AuditEventRow, start - 1)
        if before is None:
            return Verification(first_sequence=start).broken(
                start - 1, BreakKind.MISSING_ROW, f"no event with sequence {start - 1}"
            )
        anchor, anchor_time = before.hash, before.event_time
        anchor_keyed = before.hash_version == KEYED_HASH_VERSION

    def sequence_of_hash(digest: str) -> int | None:
        found: int | None = session.scalar(
            select(AuditEventRow.sequence).where(AuditEventRow.hash == digest)
        )
        return found

    entries = iter_events(session, EventFilter(min_sequence=start, max_sequence=last))
    result = verify_entries(
        entries,
        start=start,
        anchor_hash=anchor,
        sequence_of_hash=sequence_of_hash,
        expected_last=last,
        anchor_time=anchor_time,
        keyring=keyring,
        anchor_keyed=anchor_keyed,
    )
    if result.ok and end <= 0:
        beyond = session.scalar(
            select(AuditEventRow.sequence)
            .where(AuditEventRow.sequence > last_sequence)
            .order_by(AuditEventRow.sequence)
            .limit(1)
        )
        if beyond is not None:
            return result.broken(
                beyond,
                BreakKind.CHANGED_ROW,
                f"event {beyond} was added without moving the chain head",
            )
    return result
