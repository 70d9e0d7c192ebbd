"""Ordered, stored event streams that watchers can resume from (``WatchModelEvents`` and kin).

An event is published inside the unit of work of the change it describes and appended when that
transaction commits, numbered under the stream's locked head row. Because the lock is held until
commit, event N+1 can only become visible after event N did: a watcher that read up to N and asks
for "everything after N" never misses one, whichever process wrote it. Events are rows, not
messages, so a watcher that was disconnected catches up from the last sequence it saw.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import BigInteger, Index, String, Text, bindparam, insert, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from slipway.core.errors import InvalidArgumentError
from slipway.core.pending import CommitQueue
from slipway.core.tables import Base, UtcDateTime

STREAMS = ("registry", "training", "monitoring")  # heads created by migration 0003


class EventStreamHead(Base):
    __tablename__ = "event_stream_heads"

    stream: Mapped[str] = mapped_column(String(32), primary_key=True)
    last_sequence: Mapped[int] = mapped_column(BigInteger)


class StreamEventRow(Base):
    __tablename__ = "stream_events"
    __table_args__ = (Index("ix_stream_events_stream_key_sequence", "stream", "key", "sequence"),)

    stream: Mapped[str] = mapped_column(String(32), primary_key=True)
    sequence: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    type: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(1024))  # what watchers filter on, e.g. models/churn
    payload: Mapped[str] = mapped_column(Text)
    event_time: Mapped[datetime] = mapped_column(UtcDateTime)


@dataclass(frozen=True)
class StreamEvent:
    stream: str
    sequence: int
    type: str
    key: str
    payload: dict[str, Any]
    event_time: datetime


@dataclass(frozen=True)
class _Draft:
    stream: str
    type: str
    key: str
    payload: str


_HEADS = Base.metadata.tables[EventStreamHead.__tablename__]
_EVENTS = Base.metadata.tables[StreamEventRow.__tablename__]
_LOCK_HEAD = (
    select(_HEADS.c.last_sequence).where(_HEADS.c.stream == bindparam("head")).with_for_update()
)
_MOVE_HEAD = (
    update(_HEADS)
    .where(_HEADS.c.stream == bindparam("head"))
    .values(last_sequence=bindparam("to_sequence"))
)


def publish(
    session: Session, *, stream: str, type: str, key: str, payload: Mapping[str, Any]
) -> None:
    """Queue an event on ``session``; it is numbered and stored when the session commits."""
    if stream not in STREAMS:
        raise InvalidArgumentError(f"unknown event stream {stream!r}")
    COMMIT_WRITER.add(session, _Draft(stream, type, key, json.dumps(dict(payload), sort_keys=True)))


def _append(session: Session, drafts: list[_Draft]) -> None:
    connection = session.connection()
    now = datetime.now(UTC)
    for stream in sorted({d.stream for d in drafts}):  # a fixed lock order across streams
        sequence = connection.execute(_LOCK_HEAD, {"head": stream}).scalar_one()
        rows = []
        for draft in (d for d in drafts if d.stream == stream):
            sequence += 1
            rows.append(
                {
                    "stream": stream,
                    "sequence": sequence,
                    "type": draft.type,
                    "key": draft.key,
                    "payload": draft.payload,
                    "event_time": now,
                }
            )
        connection.execute(insert(_EVENTS), rows)
        connection.execute(_MOVE_HEAD, {"head": stream, "to_sequence": sequence})


COMMIT_WRITER: CommitQueue[_Draft] = CommitQueue("slipway.event_log.pending", _append)
"""Stores the events published on a session as it commits (wired by ``bootstrap.open_database``)."""


def read_after(
    session: Session,
    *,
    stream: str,
    after: int,
    limit: int,
    key: str | None = None,
    types: Collection[str] = (),
) -> list[StreamEvent]:
    """Events of ``stream`` with a sequence above ``after``, oldest first."""
    query = select(StreamEventRow).where(
        StreamEventRow.stream == stream, StreamEventRow.sequence > after
    )
    if key is not None:
        query = query.where(StreamEventRow.key == key)
    if types:
        query = query.where(StreamEventRow.type.in_(list(types)))
    rows = session.scalars(query.order_by(StreamEventRow.sequence).limit(limit)).all()
    return [
        StreamEvent(r.stream, r.sequence, r.type, r.key, json.loads(r.payload), r.event_time)
        for r in rows
    ]


def last_sequence(session: Session, stream: str) -> int:
    head = session.get(EventStreamHead, stream)
    return head.last_sequence if head is not None else 0
