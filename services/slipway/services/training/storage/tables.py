"""The training job queue: one row per job, claimed by workers, heartbeated while it runs.

The spec, progress, metrics and parameters are JSON text: the queue only filters on state, model,
creator and trigger, and only the engine and the edge know the shapes inside.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, Float, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from slipway.core.tables import Base, UtcDateTime


class TrainingJobRow(Base):
    __tablename__ = "training_jobs"
    __table_args__ = (
        Index("ix_training_jobs_state_seq", "state", "seq"),  # the claim query
        Index("ix_training_jobs_model_seq", "model", "seq"),
        Index("ix_training_jobs_created_by_seq", "created_by", "seq"),
    )

    # Queue order and list order (newest first); also the page-token cursor.
    seq: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
    )
    job_id: Mapped[str] = mapped_column(String(64), unique=True)
    model: Mapped[str] = mapped_column(String(256))
    task: Mapped[str] = mapped_column(String(32))
    spec: Mapped[str] = mapped_column(Text)
    max_runtime_seconds: Mapped[float] = mapped_column(Float)
    alias_on_success: Mapped[str] = mapped_column(String(64))
    trigger: Mapped[str] = mapped_column(String(32))
    trigger_source: Mapped[str] = mapped_column(String(1024))
    reason: Mapped[str] = mapped_column(Text)
    parent_version: Mapped[str] = mapped_column(String(512))
    labels: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16))
    progress: Mapped[str] = mapped_column(Text)
    failure_category: Mapped[str] = mapped_column(String(32))
    failure_message: Mapped[str] = mapped_column(Text)
    failure_retryable: Mapped[bool] = mapped_column(Boolean)
    attempt_count: Mapped[int] = mapped_column(Integer)
    worker: Mapped[str] = mapped_column(String(255))
    heartbeat_time: Mapped[datetime | None] = mapped_column(UtcDateTime)
    attempt_start_time: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # The registry request id of the current registration: the job id at first, a new one only
    # after an upload that the registry marked FAILED (a retry with its key would be refused).
    registration_key: Mapped[str] = mapped_column(String(128))
    created_by: Mapped[str] = mapped_column(String(255))
    cancelled_by: Mapped[str] = mapped_column(String(255))
    cancel_reason: Mapped[str] = mapped_column(Text)
    create_time: Mapped[datetime] = mapped_column(UtcDateTime)
    start_time: Mapped[datetime | None] = mapped_column(UtcDateTime)
    end_time: Mapped[datetime | None] = mapped_column(UtcDateTime)
    update_time: Mapped[datetime] = mapped_column(UtcDateTime)
    model_version: Mapped[str] = mapped_column(String(512))
    metrics: Mapped[str] = mapped_column(Text)
    best_params: Mapped[str] = mapped_column(Text)
    revision: Mapped[int] = mapped_column(Integer)
