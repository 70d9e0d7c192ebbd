"""Stored responses of mutating RPCs, so a retry with the same `request_id` is answered once.

AIP-155: a client may send a `request_id` with a mutating request and retry it safely. The first
call's response is remembered in the same transaction as the change it made; a retry with the
same key (service, method, request id, caller) gets the stored response instead of doing the
work twice. The functions take the session of the caller's unit of work and never commit.

Typical use in a domain service (``mutation`` opens the unit of work and looks the key up)::

    key = key_for(SERVICE, "CreateModel", request_id, actor.name)
    with mutation(db, key) as (session, call):
        if (done := call.answered) is not None:
            return load(session, done["model_id"])  # a retry: the first call's answer
        model = ...  # the change itself, through the same session
        call.remember(model_id=model.model_id)
        return model

A retry is the same request: the first call's request digest (``slipway.core.context.
request_digest``, the sha256 of the request message) is stored with its answer, and a later call
with the same key but another digest is refused (INVALID_ARGUMENT ``REQUEST_ID_REUSED``) rather
than answered with a result that belongs to another request. Client-streaming calls (uploads)
have no digest; records stored before digests were kept have none either, and match any request.

When two identical requests race, the second `remember` raises `DuplicateRequestError` and its
unit of work rolls back; answering it with `find` in a new unit of work returns the first result.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, Index, LargeBinary, String, UniqueConstraint, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from slipway.core.context import request_digest
from slipway.core.db import Database
from slipway.core.errors import AbortedError, FieldViolation, InvalidArgumentError
from slipway.core.reasons import Reason
from slipway.core.request_ids import REQUEST_ID_RULE, request_id_fits
from slipway.core.tables import Base, UtcDateTime

__all__ = [
    "DuplicateRequestError",
    "IdempotencyKey",
    "IdempotencyRecord",
    "Mutation",
    "RequestIdReusedError",
    "find",
    "find_record",
    "key_for",
    "mutation",
    "purge_older_than",
    "remember",
]


@dataclass(frozen=True, slots=True)
class IdempotencyKey:
    """Identifies one logical mutating request."""

    service: str
    """Service that handled the call, e.g. `registry`."""
    method: str
    """RPC name, e.g. `CreateModel`."""
    request_id: str
    """The client's `request_id` (a UUID by convention)."""
    principal: str
    """Who called: the same request id from another caller is a different request."""
    digest: str = field(default="", compare=False)
    """sha256 of the request message ("" when unknown): not part of the key, but what a retry
    must match."""


def key_for(service: str, method: str, request_id: str, principal: str) -> IdempotencyKey | None:
    """The key of a mutating call, or None without a request id; a malformed request id is
    INVALID_ARGUMENT (it must fit the table, be storable on every database and be safe to show:
    the one rule of `slipway.core.request_ids`)."""
    if not request_id:
        return None
    if not request_id_fits(request_id):
        raise InvalidArgumentError.for_field(
            "request_id", REQUEST_ID_RULE, reason=Reason.INVALID_REQUEST_ID
        )
    return IdempotencyKey(service, method, request_id, principal, request_digest())


class DuplicateRequestError(AbortedError):
    """A response for this key was stored concurrently by another transaction: the same request
    ran twice at once. ABORTED, so the caller retries and gets the winner's answer."""

    def __init__(self, key: IdempotencyKey) -> None:
        super().__init__(
            f"request {key.request_id!r} of {key.principal!r} to {key.service}.{key.method} "
            "was answered by a concurrent call with the same request id; retry to get its answer",
            reason=Reason.DUPLICATE_REQUEST,
        )
        self.key = key


class IdempotencyRecord(Base):
    """One remembered response (table created by migration 0001)."""

    __tablename__ = "idempotency_records"
    __table_args__ = (
        UniqueConstraint("service", "method", "request_id", "principal"),
        Index("ix_idempotency_records_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    service: Mapped[str] = mapped_column(String(64))
    method: Mapped[str] = mapped_column(String(128))
    request_id: Mapped[str] = mapped_column(String(128))
    principal: Mapped[str] = mapped_column(String(255))
    response_type: Mapped[str] = mapped_column(String(255))
    """Full protobuf name of the stored message, e.g. `slipway.registry.v1.Model`."""
    response: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    request_digest: Mapped[str | None] = mapped_column(String(64), nullable=True)
    """sha256 (hex) of the first call's request; None when it was not known (migration 0010)."""


class RequestIdReusedError(InvalidArgumentError):
    """The request id of an earlier, different request by the same caller to the same method."""

    def __init__(self, key: IdempotencyKey) -> None:
        description = (
            f"{key.request_id!r} was used before for a different {key.method} request; "
            "a new request needs a new request_id"
        )
        super().__init__(
            f"request_id: {description}",
            reason=Reason.REQUEST_ID_REUSED,
            metadata={"request_id": key.request_id},
            field_violations=[FieldViolation("request_id", description)],
        )
        self.key = key


def _same_request(record: IdempotencyRecord, key: IdempotencyKey) -> IdempotencyRecord:
    """``record``, unless it answered another request than ``key``'s (both digests known)."""
    if record.request_digest and key.digest and record.request_digest != key.digest:
        raise RequestIdReusedError(key)
    return record


def _matching(key: IdempotencyKey) -> tuple[ColumnElement[bool], ...]:
    return (
        IdempotencyRecord.service == key.service,
        IdempotencyRecord.method == key.method,
        IdempotencyRecord.request_id == key.request_id,
        IdempotencyRecord.principal == key.principal,
    )


def find_record(session: Session, key: IdempotencyKey) -> IdempotencyRecord | None:
    """The stored record for `key` (with its response type and time), or None; a record of a
    different request with the same key is ``RequestIdReusedError``."""
    record = session.scalars(select(IdempotencyRecord).where(*_matching(key))).one_or_none()
    return None if record is None else _same_request(record, key)


def find(session: Session, key: IdempotencyKey) -> bytes | None:
    """The serialized response remembered for `key`, or None when this is a first call; a
    different request with the same key is ``RequestIdReusedError``."""
    record = find_record(session, key)
    return None if record is None else record.response


def find_json(session: Session, key: IdempotencyKey | None) -> dict[str, Any] | None:
    """The JSON object remembered for `key` (see `remember_json`), or None when this is a first
    call or there is no key."""
    if key is None:
        return None
    stored = find(session, key)
    return None if stored is None else dict(json.loads(stored))


def remember_json(
    session: Session, key: IdempotencyKey | None, response: Mapping[str, Any]
) -> None:
    """`remember` a JSON object (what a retry needs to answer as the first call did); nothing
    without a key."""
    if key is not None:
        remember(session, key, "json", json.dumps(dict(response)).encode())


def remember(session: Session, key: IdempotencyKey, response_type: str, response: bytes) -> None:
    """Store the response for `key` in the caller's transaction.

    The session is flushed at once, so a concurrent duplicate surfaces here as
    `DuplicateRequestError` rather than at commit. The session is then unusable: let the error
    leave the unit of work (which rolls back the change too) and answer the retry from `find` in
    a new one.
    """
    record = IdempotencyRecord(
        service=key.service,
        method=key.method,
        request_id=key.request_id,
        principal=key.principal,
        response_type=response_type,
        response=response,
        created_at=datetime.now(UTC),
        request_digest=key.digest or None,
    )
    session.add(record)
    try:
        session.flush()
    except IntegrityError as exc:
        raise DuplicateRequestError(key) from exc


def purge_older_than(session: Session, cutoff: datetime) -> int:
    """Forget responses stored before `cutoff`; returns how many were deleted."""
    result = session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.created_at < cutoff))
    return int(getattr(result, "rowcount", 0) or 0)


@dataclass(frozen=True, slots=True)
class Mutation:
    """One mutating call inside its unit of work, with what an identical earlier call answered."""

    session: Session
    """The unit of work's session: the change, its audit event and its answer share it."""
    key: IdempotencyKey | None
    """None without a request id: nothing is looked up or remembered."""
    answered: dict[str, Any] | None
    """What an earlier call with the same key remembered (a retry), or None on a first call."""

    def find(self) -> dict[str, Any] | None:
        """Look again: a concurrent identical call may have answered since the block began."""
        return find_json(self.session, self.key)

    def remember(self, **answer: Any) -> None:
        """Remember this call's answer (what a retry needs to answer the same), with the change."""
        remember_json(self.session, self.key, answer)


@contextmanager
def mutation(db: Database, key: IdempotencyKey | None) -> Iterator[tuple[Session, Mutation]]:
    """A read-write unit of work for an idempotent mutating call.

    The shape every mutating domain method shares: open the unit of work, answer a retry from
    what the first call remembered, else make the change and :meth:`Mutation.remember` the
    answer in the same transaction (so the change and its answer commit or roll back together).
    """
    with db.unit_of_work() as session:
        yield session, Mutation(session, key, find_json(session, key))
