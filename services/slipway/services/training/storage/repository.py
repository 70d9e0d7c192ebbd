"""The training job queue's storage: a repository that receives the caller's session.

Claiming is one statement pair inside the caller's transaction: on PostgreSQL the oldest queued
row is locked with ``FOR UPDATE SKIP LOCKED`` (two workers never wait on or take the same row);
on SQLite the unit of work already began with ``BEGIN IMMEDIATE``, so writers are serialised and
the lock clause is simply not rendered.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.orm import Session

from slipway.core.filters import Filter, sql_condition
from slipway.services.training.domain.entities import (
    Failure,
    JobState,
    NewJob,
    Progress,
    TrainingJob,
)
from slipway.services.training.engine.spec import JobSpec
from slipway.services.training.storage.tables import TrainingJobRow


def _dumps(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


# The columns the fields of a ListTrainingJobs filter read (api/converters.JOB_FILTER_FIELDS).
JOB_FILTER_COLUMNS: dict[str, ColumnElement[Any]] = {
    "state": TrainingJobRow.state,  # type: ignore[dict-item]
    "trigger": TrainingJobRow.trigger,  # type: ignore[dict-item]
    "model": TrainingJobRow.model,  # type: ignore[dict-item]
    "created_by": TrainingJobRow.created_by,  # type: ignore[dict-item]
    "create_time": TrainingJobRow.create_time,  # type: ignore[dict-item]
}


class JobRepository(Protocol):
    """What the training domain needs from storage."""

    def add(
        self,
        session: Session,
        job_id: str,
        job: NewJob,
        *,
        max_runtime_seconds: float,
        created_by: str,
        now: datetime,
    ) -> TrainingJob: ...

    def get(self, session: Session, job_id: str, *, lock: bool = False) -> TrainingJob | None: ...

    def list_jobs(
        self,
        session: Session,
        *,
        flt: Filter,
        descending: bool,
        after_seq: int | None,
        limit: int,
    ) -> list[TrainingJob]:
        """Jobs matching ``flt`` (over JOB_FILTER_COLUMNS) in creation order, after the job
        numbered ``after_seq`` in that order."""
        ...

    def claim_next(self, session: Session) -> TrainingJob | None: ...

    def has_queued(self, session: Session) -> bool: ...

    def has_stale(self, session: Session, heartbeat_before: datetime) -> bool: ...

    def stale(self, session: Session, heartbeat_before: datetime) -> list[TrainingJob]: ...

    def active_for_model(self, session: Session, model_id: str) -> list[TrainingJob]: ...

    def update(self, session: Session, job_id: str, **changes: Any) -> TrainingJob: ...


def to_job(row: TrainingJobRow) -> TrainingJob:
    failure = (
        Failure(row.failure_category, row.failure_message, row.failure_retryable)
        if row.failure_category
        else None
    )
    return TrainingJob(
        job_id=row.job_id,
        model_id=row.model.removeprefix("models/"),
        spec=JobSpec.from_json(row.spec),
        max_runtime_seconds=row.max_runtime_seconds,
        alias_on_success=row.alias_on_success,
        trigger=row.trigger,
        trigger_source=row.trigger_source,
        reason=row.reason,
        parent_version=row.parent_version,
        labels=json.loads(row.labels),
        state=JobState(row.state),
        progress=Progress(**json.loads(row.progress)),
        failure=failure,
        attempt_count=row.attempt_count,
        worker=row.worker,
        registration_key=row.registration_key,
        created_by=row.created_by,
        cancelled_by=row.cancelled_by,
        cancel_reason=row.cancel_reason,
        create_time=row.create_time,
        start_time=row.start_time,
        end_time=row.end_time,
        update_time=row.update_time,
        heartbeat_time=row.heartbeat_time,
        attempt_start_time=row.attempt_start_time,
        model_version=row.model_version,
        metrics=json.loads(row.metrics),
        best_params=json.loads(row.best_params),
        revision=row.revision,
        seq=row.seq,
    )


# Domain field -> how it is stored, for ``update``.
def _column_values(changes: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for key, value in changes.items():
        if key == "state":
            values["state"] = value.value
        elif key == "progress":
            values["progress"] = _dumps(asdict(value))
        elif key == "failure":
            values["failure_category"] = value.category if value else ""
            values["failure_message"] = value.message if value else ""
            values["failure_retryable"] = value.retryable if value else False
        elif key in ("metrics", "best_params", "labels"):
            values[key] = _dumps(value)
        else:
            values[key] = value
    return values


class SqlJobRepository:
    """The queue in the shared database."""

    def add(
        self,
        session: Session,
        job_id: str,
        job: NewJob,
        *,
        max_runtime_seconds: float,
        created_by: str,
        now: datetime,
    ) -> TrainingJob:
        row = TrainingJobRow(
            job_id=job_id,
            model=f"models/{job.model_id}",
            task=job.spec.task,
            spec=job.spec.to_json(),
            max_runtime_seconds=max_runtime_seconds,
            alias_on_success=job.alias_on_success,
            trigger=job.trigger,
            trigger_source=job.trigger_source,
            reason=job.reason,
            parent_version=job.parent_version,
            labels=_dumps(job.labels),
            state=JobState.QUEUED.value,
            progress=_dumps(asdict(Progress())),
            failure_category="",
            failure_message="",
            failure_retryable=False,
            attempt_count=0,
            worker="",
            heartbeat_time=None,
            attempt_start_time=None,
            registration_key=job_id,
            created_by=created_by,
            cancelled_by="",
            cancel_reason="",
            create_time=now,
            start_time=None,
            end_time=None,
            update_time=now,
            model_version="",
            metrics="{}",
            best_params="{}",
            revision=1,
        )
        session.add(row)
        session.flush()
        return to_job(row)

    @staticmethod
    def _row(session: Session, job_id: str, *, lock: bool = False) -> TrainingJobRow | None:
        query = select(TrainingJobRow).where(TrainingJobRow.job_id == job_id)
        if lock:
            query = query.with_for_update()
        return session.scalars(query).one_or_none()

    def get(self, session: Session, job_id: str, *, lock: bool = False) -> TrainingJob | None:
        row = self._row(session, job_id, lock=lock)
        return None if row is None else to_job(row)

    def list_jobs(
        self,
        session: Session,
        *,
        flt: Filter,
        descending: bool,
        after_seq: int | None,
        limit: int,
    ) -> list[TrainingJob]:
        query: Select[Any] = select(TrainingJobRow)
        condition = sql_condition(flt, JOB_FILTER_COLUMNS)
        if condition is not None:
            query = query.where(condition)
        seq = TrainingJobRow.seq
        if after_seq is not None:
            query = query.where(seq < after_seq if descending else seq > after_seq)
        order = seq.desc() if descending else seq.asc()
        rows = session.scalars(query.order_by(order).limit(limit)).all()
        return [to_job(row) for row in rows]

    def claim_next(self, session: Session) -> TrainingJob | None:
        query = (
            select(TrainingJobRow)
            .where(TrainingJobRow.state == JobState.QUEUED.value)
            .order_by(TrainingJobRow.seq)
            .limit(1)
            .with_for_update(skip_locked=True)
        )
        row = session.scalars(query).one_or_none()
        return None if row is None else to_job(row)

    def has_queued(self, session: Session) -> bool:
        return (
            session.scalars(
                select(TrainingJobRow.seq)
                .where(TrainingJobRow.state == JobState.QUEUED.value)
                .limit(1)
            ).first()
            is not None
        )

    def has_stale(self, session: Session, heartbeat_before: datetime) -> bool:
        return (
            session.scalars(
                select(TrainingJobRow.seq)
                .where(
                    TrainingJobRow.state.in_([JobState.RUNNING.value, JobState.CANCELLING.value]),
                    TrainingJobRow.heartbeat_time < heartbeat_before,
                )
                .limit(1)
            ).first()
            is not None
        )

    def stale(self, session: Session, heartbeat_before: datetime) -> list[TrainingJob]:
        rows = session.scalars(
            select(TrainingJobRow)
            .where(
                TrainingJobRow.state.in_([JobState.RUNNING.value, JobState.CANCELLING.value]),
                TrainingJobRow.heartbeat_time < heartbeat_before,
            )
            .order_by(TrainingJobRow.seq)
            .with_for_update(skip_locked=True)
        ).all()
        return [to_job(row) for row in rows]

    def active_for_model(self, session: Session, model_id: str) -> list[TrainingJob]:
        rows = session.scalars(
            select(TrainingJobRow).where(
                TrainingJobRow.model == f"models/{model_id}",
                TrainingJobRow.state.in_(
                    [JobState.QUEUED.value, JobState.RUNNING.value, JobState.CANCELLING.value]
                ),
            )
        ).all()
        return [to_job(row) for row in rows]

    def update(self, session: Session, job_id: str, **changes: Any) -> TrainingJob:
        row = self._row(session, job_id)
        if row is None:
            raise LookupError(job_id)
        for key, value in _column_values(changes).items():
            setattr(row, key, value)
        row.revision += 1
        session.flush()
        return to_job(row)
