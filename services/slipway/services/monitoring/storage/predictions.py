"""Reading prediction logs back: which versions have traffic, how much arrived after a point,
and the records of one window, newest first."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from slipway.services.monitoring.storage.tables import PendingLabelRow, PredictionRow

FETCH_ROWS = 500  # records fetched per round trip while a window is read


@dataclass(frozen=True)
class StoredRecord:
    seq: int
    time: datetime
    row_count: int
    record: bytes  # PredictionRecord
    label: bytes | None  # Tensor


def versions_with_traffic(session: Session, model: str) -> dict[str, int]:
    """The versions of ``model`` with logged predictions and the last sequence of each."""
    rows = session.execute(
        select(PredictionRow.model_version, func.max(PredictionRow.seq))
        .where(PredictionRow.model == model)
        .group_by(PredictionRow.model_version)
    ).all()
    return {version: int(last) for version, last in rows}


def rows_after(session: Session, version: str, after_seq: int, upto_seq: int) -> int:
    """The prediction rows of ``version`` logged after ``after_seq``, up to ``upto_seq``."""
    total = session.scalar(
        select(func.coalesce(func.sum(PredictionRow.row_count), 0)).where(
            PredictionRow.model_version == version,
            PredictionRow.seq > after_seq,
            PredictionRow.seq <= upto_seq,
        )
    )
    return int(total or 0)


def labeled_records(session: Session, version: str, first_seq: int, last_seq: int) -> int:
    """The records of ``version`` between two sequences (inclusive) that have their labels."""
    total = session.scalar(
        select(func.count())
        .select_from(PredictionRow)
        .where(
            PredictionRow.model_version == version,
            PredictionRow.seq >= first_seq,
            PredictionRow.seq <= last_seq,
            PredictionRow.label.is_not(None),
        )
    )
    return int(total or 0)


def newest_first(
    session: Session,
    version: str,
    *,
    upto_seq: int | None = None,
    from_seq: int | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> Iterator[StoredRecord]:
    """The records of ``version`` (between ``from_seq`` and ``upto_seq``, within [start, end])
    newest first; the caller stops reading when its window is full."""
    query = select(
        PredictionRow.seq,
        PredictionRow.time,
        PredictionRow.row_count,
        PredictionRow.record,
        PredictionRow.label,
    ).where(PredictionRow.model_version == version)
    if from_seq is not None:
        query = query.where(PredictionRow.seq >= from_seq)
    if upto_seq is not None:
        query = query.where(PredictionRow.seq <= upto_seq)
    if start is not None:
        query = query.where(PredictionRow.time >= start)
    if end is not None:
        query = query.where(PredictionRow.time <= end)
    result = session.execute(
        query.order_by(PredictionRow.seq.desc()).execution_options(yield_per=FETCH_ROWS)
    )
    for seq, time, row_count, record, label in result:
        yield StoredRecord(seq, time, row_count, record, label)


def purge_before(session: Session, cutoff: datetime, limit: int) -> tuple[int, int]:
    """Delete up to ``limit`` prediction records and waiting labels received before ``cutoff``,
    oldest first; returns how many of each."""
    oldest = (
        select(PredictionRow.seq)
        .where(PredictionRow.received_time < cutoff)
        .order_by(PredictionRow.seq)
        .limit(limit)
    )
    seqs = list(session.scalars(oldest))
    if seqs:
        session.execute(delete(PredictionRow).where(PredictionRow.seq.in_(seqs)))
    waiting = list(
        session.scalars(
            select(PendingLabelRow.id).where(PendingLabelRow.received_time < cutoff).limit(limit)
        )
    )
    if waiting:
        session.execute(delete(PendingLabelRow).where(PendingLabelRow.id.in_(waiting)))
    return len(seqs), len(waiting)
