"""Prediction logs and ground truth. A record is kept as the ``PredictionRecord`` message it
arrived as (raw tensors: one ``frombuffer`` per column when a window is read back); the columns
beside it are what windows and joins select on."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from slipway.core.tables import Base, UtcDateTime


class PredictionRow(Base):
    __tablename__ = "monitoring_predictions"
    __table_args__ = (
        Index("ix_monitoring_predictions_version_seq", "model_version", "seq"),
        Index("ix_monitoring_predictions_request_id", "request_id"),
    )

    seq: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True)
    model: Mapped[str] = mapped_column(String(256))
    model_version: Mapped[str] = mapped_column(String(512))
    request_id: Mapped[str] = mapped_column(String(128))
    role: Mapped[str] = mapped_column(String(16))
    alias: Mapped[str] = mapped_column(String(64))
    time: Mapped[datetime] = mapped_column(UtcDateTime)
    received_time: Mapped[datetime] = mapped_column(UtcDateTime)
    row_count: Mapped[int] = mapped_column(Integer)
    record: Mapped[bytes] = mapped_column(LargeBinary)
    label: Mapped[bytes | None] = mapped_column(LargeBinary)
    label_time: Mapped[datetime | None] = mapped_column(UtcDateTime)


class PendingLabelRow(Base):
    """Ground truth whose prediction has not arrived yet; joined when it does."""

    __tablename__ = "monitoring_pending_labels"
    __table_args__ = (Index("ix_monitoring_pending_labels_request_id", "request_id"),)

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True)
    request_id: Mapped[str] = mapped_column(String(128))
    model: Mapped[str] = mapped_column(String(256))
    label: Mapped[bytes] = mapped_column(LargeBinary)
    label_time: Mapped[datetime] = mapped_column(UtcDateTime)
    received_time: Mapped[datetime] = mapped_column(UtcDateTime)
