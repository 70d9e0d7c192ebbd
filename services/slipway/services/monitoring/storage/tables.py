"""Monitoring's tables.

Prediction logs and ground truth: a record is kept as the ``PredictionRecord`` message it
arrived as (raw tensors: one ``frombuffer`` per column when a window is read back); the columns
beside it are what windows and joins select on. Policies, alerts and reports are kept as their
API messages, with the columns that lists filter and order on beside them; an evaluation
cursor per policy and version says up to which prediction a window was last evaluated.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, Index, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from slipway.core.tables import Base, UtcDateTime


class PredictionRow(Base):
    __tablename__ = "monitoring_predictions"
    __table_args__ = (
        Index("ix_monitoring_predictions_version_seq", "model_version", "seq"),
        Index("ix_monitoring_predictions_request_id", "request_id"),
        Index("ix_monitoring_predictions_model_seq", "model", "seq"),
    )

    seq: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
    )
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
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
    )
    request_id: Mapped[str] = mapped_column(String(128))
    model: Mapped[str] = mapped_column(String(256))
    label: Mapped[bytes] = mapped_column(LargeBinary)
    label_time: Mapped[datetime] = mapped_column(UtcDateTime)
    received_time: Mapped[datetime] = mapped_column(UtcDateTime)


class PolicyRow(Base):
    __tablename__ = "monitoring_policies"
    __table_args__ = (Index("ix_monitoring_policies_model", "model"),)

    id: Mapped[str] = mapped_column(String(63), primary_key=True)
    model: Mapped[str] = mapped_column(String(256))
    disabled: Mapped[bool] = mapped_column(Boolean)
    policy: Mapped[bytes] = mapped_column(LargeBinary)  # MonitoringPolicy
    created_by: Mapped[str] = mapped_column(String(256))
    create_time: Mapped[datetime] = mapped_column(UtcDateTime)
    update_time: Mapped[datetime] = mapped_column(UtcDateTime)
    etag: Mapped[str] = mapped_column(String(64))


class AlertRow(Base):
    __tablename__ = "monitoring_alerts"
    __table_args__ = (
        Index("ix_monitoring_alerts_open", "policy", "model_version", "kind", "state"),
        Index("ix_monitoring_alerts_model_fire", "model", "fire_time"),
        Index("ix_monitoring_alerts_fire", "fire_time", "id"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    model: Mapped[str] = mapped_column(String(256))
    model_version: Mapped[str] = mapped_column(String(512))
    policy: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(16))
    fire_time: Mapped[datetime] = mapped_column(UtcDateTime)
    update_time: Mapped[datetime] = mapped_column(UtcDateTime)
    retraining_time: Mapped[datetime | None] = mapped_column(UtcDateTime)  # a job was created
    alert: Mapped[bytes] = mapped_column(LargeBinary)  # Alert, naming the report behind it


class ReportRow(Base):
    __tablename__ = "monitoring_reports"
    __table_args__ = (Index("ix_monitoring_reports_version", "model_version", "create_time"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    model_version: Mapped[str] = mapped_column(String(512))
    policy: Mapped[str] = mapped_column(String(128))
    create_time: Mapped[datetime] = mapped_column(UtcDateTime)
    report: Mapped[bytes] = mapped_column(LargeBinary)  # MonitoringReport


class EvaluationRow(Base):
    """The last window a policy evaluated for a version: the next one starts after it, and it
    is evaluated again when more of its predictions got their labels."""

    __tablename__ = "monitoring_evaluations"

    policy: Mapped[str] = mapped_column(String(63), primary_key=True)
    model_version: Mapped[str] = mapped_column(String(512), primary_key=True)
    first_seq: Mapped[int] = mapped_column(BigInteger)
    last_seq: Mapped[int] = mapped_column(BigInteger)
    labeled_records: Mapped[int] = mapped_column(Integer)
    evaluate_time: Mapped[datetime] = mapped_column(UtcDateTime)
