"""Training jobs: the rules of their lifecycle, their queue, and their audit trail.

Every state transition happens in one unit of work together with its audit event and its event
on the `training` stream (which carries the whole job, so a watcher sees every state even when
several changes land between two of its reads). Workers change a job only while they hold it:
a worker whose job was taken away (its heartbeat went stale and the job was queued again) gets
``LostJobError`` and stops.
"""

from __future__ import annotations

import json
import os
import socket
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from slipway.core import event_log
from slipway.core.audit import record
from slipway.core.context import Principal
from slipway.core.db import Database
from slipway.core.errors import (
    FailedPreconditionError,
    FieldViolation,
    InvalidArgumentError,
    NotFoundError,
    PermissionDeniedError,
)
from slipway.core.filters import Filter
from slipway.core.idempotency import IdempotencyKey, find_json, key_for, mutation
from slipway.core.names import (
    LABEL_RULE,
    MAX_LABELS,
    MAX_TEXT,
    MODEL_ID,
    RESOURCE_ID,
    RESOURCE_ID_RULE,
    VERSION_NUMBER,
    label_valid,
)
from slipway.core.reasons import Reason
from slipway.core.roles import ADMIN, APPROVER, DEVELOPER
from slipway.services.training.domain.entities import (
    ACTIVE,
    TRIGGERS,
    Failure,
    JobState,
    NewJob,
    Progress,
    TrainingJob,
    from_snapshot,
    to_snapshot,
)
from slipway.services.training.engine.outcome import Violation
from slipway.services.training.storage.repository import JobRepository

SERVICE = "training"
APPROVERS = frozenset({APPROVER, ADMIN})
PEOPLE = frozenset({DEVELOPER, APPROVER, ADMIN})  # a person's request, not a peer's
STREAM = "training"


@dataclass(frozen=True)
class JobSnapshot:
    """A job as published at one position of the training event stream."""

    sequence: int
    name: str  # trainingJobs/{id}
    job: TrainingJob


PREFIX = "training_job"
VERSION_NAME = "models/{model}/versions/{n}"
MAX_TRIGGER_SOURCE = 1024  # its column's size: PostgreSQL refuses longer text, SQLite would not

Validator = Callable[[Any, Path], list[Violation]]


class LostJobError(Exception):
    """The worker no longer holds the job (it was re-queued, or finished elsewhere)."""


@dataclass(frozen=True)
class Page:
    jobs: list[TrainingJob]
    next_cursor: dict[str, Any] | None


@dataclass(frozen=True)
class Limits:
    default_max_runtime_seconds: float = 3600.0
    max_runtime_limit_seconds: float = 86400.0
    max_attempts: int = 3
    heartbeat_timeout_seconds: float = 15.0


def _now() -> datetime:
    return datetime.now(UTC)


def worker_principal(worker: str) -> Principal:
    """Who the audit log names for what a worker does on its own (start, finish, re-queue)."""
    return Principal(f"service:training/{worker}", frozenset({"service"}))


def new_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def invalid_job(violations: Sequence[FieldViolation]) -> InvalidArgumentError:
    """INVALID_ARGUMENT for a refused job: the first violation in the message, all of them in
    the details (``core.status`` cuts what would not fit in an answer)."""
    first = violations[0]
    more = f" (and {len(violations) - 1} more)" if len(violations) > 1 else ""
    return InvalidArgumentError(
        f"{first.field}: {first.description}{more}",
        reason=Reason.INVALID_TRAINING_JOB,
        field_violations=violations,
    )


def _is_version_name(name: str) -> bool:
    parts = name.split("/")
    return (
        len(parts) == 4
        and parts[0] == "models"
        and parts[2] == "versions"
        and MODEL_ID.fullmatch(parts[1]) is not None
        and ".." not in parts[1]
        and VERSION_NUMBER.fullmatch(parts[3]) is not None
    )


class TrainingJobs:
    """Create, read, cancel and run training jobs."""

    def __init__(
        self,
        db: Database,
        repository: JobRepository,
        *,
        data_root: Path,
        validator: Validator,
        limits: Limits = Limits(),
        protected_aliases: frozenset[str] = frozenset({"production"}),
        approval_aliases: frozenset[str] = frozenset({"challenger"}),
    ) -> None:
        self._db = db
        self._repo = repository
        self._data_root = data_root
        self._validator = validator
        self.limits = limits
        self._protected = protected_aliases
        self._needs_approval = approval_aliases - protected_aliases

    # -- helpers ----------------------------------------------------------------------------

    def _job(self, session: Session, job_id: str, *, lock: bool = False) -> TrainingJob:
        job = self._repo.get(session, job_id, lock=lock)
        if job is None:
            name = f"trainingJobs/{job_id}"
            raise NotFoundError(
                f"training job {name} does not exist",
                reason=Reason.TRAINING_JOB_NOT_FOUND,
                metadata={"resource": name},
            )
        return job

    @staticmethod
    def _publish(session: Session, type_: str, job: TrainingJob) -> None:
        event_log.publish(
            session, stream=STREAM, type=type_, key=job.name, payload=to_snapshot(job)
        )

    def _transition(
        self,
        session: Session,
        job: TrainingJob,
        actor: Principal,
        action: str,
        *,
        reason: str = "",
        request_id: str | None = None,
        **changes: Any,
    ) -> TrainingJob:
        before = job.state
        updated = self._repo.update(session, job.job_id, update_time=_now(), **changes)
        payload: dict[str, Any] = {
            "from_state": before.value,
            "to_state": updated.state.value,
            "attempt": updated.attempt_count,
        }
        if updated.failure is not None:
            payload["failure"] = {
                "category": updated.failure.category,
                "message": updated.failure.message,
                "retryable": updated.failure.retryable,
            }
        if updated.model_version and updated.state is JobState.SUCCEEDED:
            payload["model_version"] = updated.model_version
            payload["metrics"] = updated.metrics
        if updated.worker:
            payload["worker"] = updated.worker
        record(
            session,
            service=SERVICE,
            action=f"training.{action}",
            resource=job.name,
            principal=actor,
            payload=payload,
            reason=reason,
            request_id=request_id,
        )
        self._publish(session, updated.state.value, updated)
        return updated

    # -- validation -------------------------------------------------------------------------

    def _violations(self, job: NewJob) -> list[FieldViolation]:
        found: list[FieldViolation] = []

        def bad(field: str, description: str) -> None:
            found.append(FieldViolation(f"{PREFIX}.{field}", description))

        # The registry's rule (core.names.check_model_id): an id it would refuse at
        # registration is refused here, before the job is queued.
        if not MODEL_ID.fullmatch(job.model_id) or ".." in job.model_id:
            bad(
                "model",
                "must be models/{model}: 1-128 letters, digits, '.', '_', '-', "
                "starting and ending with a letter or digit (no '..')",
            )
        if job.alias_on_success:
            # The registry's rule for a new alias (one set before it may be wider, but a job
            # names the alias it will set from now on).
            if not RESOURCE_ID.fullmatch(job.alias_on_success):
                bad("alias_on_success", f"an alias {RESOURCE_ID_RULE}")
            elif job.alias_on_success in self._protected:
                bad(
                    "alias_on_success",
                    f"{job.alias_on_success!r} is a protected alias: an approver moves it with "
                    "SetModelAlias and a reason once the version is reviewed; training may set "
                    "only unprotected aliases such as 'challenger'",
                )
        if job.trigger not in TRIGGERS:
            bad("trigger", f"must be one of {', '.join(TRIGGERS)}")
        if job.trigger in ("DRIFT", "PERFORMANCE") and not job.reason.strip():
            bad(
                "reason",
                "is required when the trigger is DRIFT or PERFORMANCE (cite the monitoring report)",
            )
        for field, text, most in (
            ("reason", job.reason, MAX_TEXT),
            ("trigger_source", job.trigger_source, MAX_TRIGGER_SOURCE),
        ):
            if len(text) > most or "\x00" in text:
                bad(field, f"at most {most} characters, no NUL")
        if job.parent_version and not _is_version_name(job.parent_version):
            bad("parent_version", "must look like models/{model}/versions/{n}")
        # The registry's label rule: the labels become the version's.
        if len(job.labels) > MAX_LABELS:
            bad("labels", f"at most {MAX_LABELS} labels")
        for key, value in job.labels.items():
            if not label_valid(key, value):
                bad(f"labels[{key!r}]"[:200], LABEL_RULE)
        limit = self.limits.max_runtime_limit_seconds
        if job.max_runtime_seconds < 0 or job.max_runtime_seconds > limit:
            bad(
                "limits.max_runtime",
                f"must be between 0 (the default, "
                f"{self.limits.default_max_runtime_seconds:g} s) and {limit:g} s",
            )
        found.extend(
            FieldViolation(v.field, v.description)
            for v in self._validator(job.spec, self._data_root)
        )
        return found

    def validate(self, job: NewJob) -> None:
        """Raise INVALID_ARGUMENT with every field violation of ``job``, if it has any."""
        violations = self._violations(job)
        if violations:
            raise invalid_job(violations)

    # -- the API ----------------------------------------------------------------------------

    @staticmethod
    def _key(actor: Principal, method: str, request_id: str) -> IdempotencyKey | None:
        return key_for(SERVICE, method, request_id, actor.name)

    def _approver(self, actor: Principal, job: NewJob) -> str:
        """Who approves the job's landing on a live-traffic alias ("" when it lands on none).

        The registry lets a verified job's version take its ``alias_on_success`` even when that
        alias is protected (its ``--training-aliases``, the ``challenger`` of canaries and
        shadows), so the review happens here: a person must hold the approver role to create
        such a job, and is recorded as its approver. A job started by a peer with no person's
        role (monitoring's retraining under a policy) is not a person's request and passes.
        """
        alias = job.alias_on_success
        if alias not in self._needs_approval:
            return ""
        if not actor.roles.isdisjoint(APPROVERS) or actor.roles.isdisjoint(PEOPLE):
            return actor.name
        raise PermissionDeniedError(
            f"alias_on_success {alias!r} takes live traffic: only an approver or admin may "
            "create a job that lands on it; ask for an unprotected alias and have the version "
            "reviewed",
            reason=Reason.PROTECTED_ALIAS,
            metadata={"resource": f"{job.model_id}@{alias}"},
        )

    def create(self, actor: Principal, job: NewJob, *, request_id: str = "") -> TrainingJob:
        key = self._key(actor, "CreateTrainingJob", request_id)
        if key is not None:
            with self._db.unit_of_work(read_only=True) as session:
                if (done := find_json(session, key)) is not None:
                    return self._job(session, done["job_id"])
        approver = self._approver(actor, job)
        self.validate(job)  # may read the dataset: outside the transaction
        runtime = job.max_runtime_seconds or self.limits.default_max_runtime_seconds
        with mutation(self._db, key) as (session, call):
            if (done := call.answered) is not None:
                return self._job(session, done["job_id"])
            created = self._repo.add(
                session,
                uuid.uuid4().hex,
                job,
                max_runtime_seconds=runtime,
                created_by=actor.name,
                now=_now(),
            )
            record(
                session,
                service=SERVICE,
                action="training.CreateTrainingJob",
                resource=created.name,
                principal=actor,
                reason=job.reason,
                payload={
                    "model": created.model,
                    "spec": json.loads(job.spec.to_json()),
                    "trigger": job.trigger,
                    "trigger_source": job.trigger_source,
                    "alias_on_success": job.alias_on_success,
                    "parent_version": job.parent_version,
                    "max_runtime_seconds": runtime,
                    # The person (or peer) answerable for a landing on a live-traffic alias.
                    **({"alias_approved_by": approver} if approver else {}),
                },
            )
            self._publish(session, "QUEUED", created)
            call.remember(job_id=created.job_id)
            return created

    def get(self, job_id: str) -> TrainingJob:
        with self._db.unit_of_work(read_only=True) as session:
            return self._job(session, job_id)

    def list_jobs(
        self,
        *,
        flt: Filter,
        descending: bool,
        cursor: Mapping[str, Any] | None,
        limit: int,
    ) -> Page:
        """A page of the jobs matching ``flt`` in creation order (newest first when
        ``descending``), after ``cursor``."""
        after = None if cursor is None else int(cursor["seq"])
        with self._db.unit_of_work(read_only=True) as session:
            jobs = self._repo.list_jobs(
                session, flt=flt, descending=descending, after_seq=after, limit=limit + 1
            )
        more = len(jobs) > limit
        jobs = jobs[:limit]
        return Page(jobs, {"seq": jobs[-1].seq} if more and jobs else None)

    def cancel(
        self, actor: Principal, job_id: str, *, reason: str, request_id: str = ""
    ) -> TrainingJob:
        key = self._key(actor, "CancelTrainingJob", request_id)
        if len(reason) > MAX_TEXT or "\x00" in reason:
            raise InvalidArgumentError.for_field(
                "reason", f"at most {MAX_TEXT} characters, no NUL", reason=Reason.INVALID_REASON
            )
        with mutation(self._db, key) as (session, call):
            if (done := call.answered) is not None:
                return self._job(session, done["job_id"])
            job = self._job(session, job_id, lock=True)
            if job.state.terminal:
                raise FailedPreconditionError(
                    f"{job.name} already ended ({job.state.value}); only queued or running jobs "
                    "can be cancelled",
                    reason=Reason.JOB_ALREADY_ENDED,
                    metadata={"resource": job.name, "state": job.state.value},
                )
            if job.created_by != actor.name and not reason.strip():
                raise InvalidArgumentError.for_field(
                    "reason",
                    f"is required to cancel a job created by {job.created_by}",
                    reason=Reason.REASON_REQUIRED,
                )
            if job.state is JobState.CANCELLING:
                return job
            now = _now()
            if job.state is JobState.QUEUED:
                job = self._transition(
                    session,
                    job,
                    actor,
                    "CancelTrainingJob",
                    reason=reason,
                    state=JobState.CANCELLED,
                    cancelled_by=actor.name,
                    cancel_reason=reason,
                    end_time=now,
                )
            else:  # RUNNING: its worker sees CANCELLING at its next heartbeat and stops the fit
                job = self._transition(
                    session,
                    job,
                    actor,
                    "CancelTrainingJob",
                    reason=reason,
                    state=JobState.CANCELLING,
                    cancelled_by=actor.name,
                    cancel_reason=reason,
                )
            call.remember(job_id=job.job_id)
            return job

    def snapshots_after(self, after: int, limit: int) -> list[JobSnapshot]:
        """Every job's snapshots published after sequence ``after`` (at most ``limit``, oldest
        first): what one reader hands out to all of a process's job watchers."""
        with self._db.unit_of_work(read_only=True) as session:
            events = event_log.read_after(session, stream=STREAM, after=after, limit=limit)
        return [JobSnapshot(e.sequence, e.key, from_snapshot(e.payload)) for e in events]

    def last_sequence(self) -> int:
        """The position of the newest job snapshot (0 before the first)."""
        with self._db.unit_of_work(read_only=True) as session:
            return event_log.last_sequence(session, STREAM)

    def watch_start(self, job_id: str) -> tuple[TrainingJob, int]:
        """The job now and the stream position to watch it from (nothing after it is missed)."""
        with self._db.unit_of_work(read_only=True) as session:
            sequence = event_log.last_sequence(session, STREAM)
            return self._job(session, job_id), sequence

    # -- the workers' side ------------------------------------------------------------------

    def claim(self, worker: str) -> TrainingJob | None:
        """Take the oldest queued job, if any, and mark it RUNNING for ``worker``."""
        # A read first: idle workers poll, and on SQLite a write transaction would queue
        # behind (and hold up) every other writer of the suite.
        with self._db.unit_of_work(read_only=True) as session:
            if not self._repo.has_queued(session):
                return None
        now = _now()
        with self._db.unit_of_work() as session:
            job = self._repo.claim_next(session)
            if job is None:
                return None
            return self._transition(
                session,
                job,
                worker_principal(worker),
                "StartTrainingJob",
                request_id=job.job_id,
                state=JobState.RUNNING,
                worker=worker,
                attempt_count=job.attempt_count + 1,
                heartbeat_time=now,
                attempt_start_time=now,
                start_time=job.start_time or now,
                progress=Progress(stage="loading", message="starting"),
            )

    def _held(self, session: Session, job_id: str, worker: str) -> TrainingJob:
        job = self._repo.get(session, job_id, lock=True)
        if job is None or job.worker != worker or job.state not in ACTIVE:
            raise LostJobError(job_id)
        return job

    def heartbeat(self, job_id: str, worker: str) -> TrainingJob:
        """Prove the job is alive; returns it (its state says whether a cancel arrived)."""
        with self._db.unit_of_work() as session:
            self._held(session, job_id, worker)
            return self._repo.update(session, job_id, heartbeat_time=_now())

    def report_progress(self, job_id: str, worker: str, progress: Progress) -> TrainingJob:
        with self._db.unit_of_work() as session:
            self._held(session, job_id, worker)
            now = _now()
            job = self._repo.update(
                session, job_id, progress=progress, update_time=now, heartbeat_time=now
            )
            self._publish(session, "PROGRESS", job)
            return job

    def set_registration_key(self, job_id: str, worker: str, key: str) -> TrainingJob:
        with self._db.unit_of_work() as session:
            self._held(session, job_id, worker)
            return self._repo.update(session, job_id, registration_key=key)

    def succeed(
        self,
        job_id: str,
        worker: str,
        *,
        model_version: str,
        metrics: dict[str, float],
        best_params: dict[str, Any],
    ) -> TrainingJob:
        with self._db.unit_of_work() as session:
            job = self._held(session, job_id, worker)
            return self._transition(
                session,
                job,
                worker_principal(worker),
                "CompleteTrainingJob",
                request_id=job_id,
                state=JobState.SUCCEEDED,
                end_time=_now(),
                model_version=model_version,
                metrics=metrics,
                best_params=best_params,
                progress=replace(
                    job.progress,
                    stage="registering",
                    percent=100.0,
                    message=f"registered {model_version}",
                ),
            )

    def fail(self, job_id: str, worker: str, failure: Failure) -> TrainingJob:
        with self._db.unit_of_work() as session:
            job = self._held(session, job_id, worker)
            return self._transition(
                session,
                job,
                worker_principal(worker),
                "FailTrainingJob",
                request_id=job_id,
                reason=failure.message,
                state=JobState.FAILED,
                end_time=_now(),
                failure=failure,
            )

    def confirm_cancelled(self, job_id: str, worker: str) -> TrainingJob:
        with self._db.unit_of_work() as session:
            job = self._held(session, job_id, worker)
            return self._transition(
                session,
                job,
                worker_principal(worker),
                "CancelledTrainingJob",
                request_id=job_id,
                reason=job.cancel_reason,
                state=JobState.CANCELLED,
                end_time=_now(),
            )

    def release(self, job_id: str, worker: str, why: str) -> TrainingJob:
        """Give a running job back to the queue (its service is stopping); the attempt it used
        is not counted against it."""
        with self._db.unit_of_work() as session:
            job = self._held(session, job_id, worker)
            if job.state is JobState.CANCELLING:
                return self._transition(
                    session,
                    job,
                    worker_principal(worker),
                    "CancelledTrainingJob",
                    request_id=job_id,
                    reason=job.cancel_reason,
                    state=JobState.CANCELLED,
                    end_time=_now(),
                )
            return self._transition(
                session,
                job,
                worker_principal(worker),
                "RequeueTrainingJob",
                request_id=job_id,
                reason=why,
                state=JobState.QUEUED,
                worker="",
                attempt_count=job.attempt_count - 1,
                progress=Progress(message=f"queued again: {why}"),
            )

    def reap(self, reaper: str) -> list[TrainingJob]:
        """Re-queue (or fail, after max attempts) jobs whose worker stopped heartbeating."""
        cutoff = _now() - timedelta(seconds=self.limits.heartbeat_timeout_seconds)
        changed: list[TrainingJob] = []
        with self._db.unit_of_work(read_only=True) as session:
            if not self._repo.has_stale(session, cutoff):
                return changed
        with self._db.unit_of_work() as session:
            for job in self._repo.stale(session, cutoff):
                actor = worker_principal(reaper)
                lost = f"worker {job.worker} stopped heartbeating (last {job.heartbeat_time})"
                if job.state is JobState.CANCELLING:
                    changed.append(
                        self._transition(
                            session,
                            job,
                            actor,
                            "CancelledTrainingJob",
                            request_id=job.job_id,
                            reason=job.cancel_reason,
                            state=JobState.CANCELLED,
                            end_time=_now(),
                        )
                    )
                elif job.attempt_count < self.limits.max_attempts:
                    changed.append(
                        self._transition(
                            session,
                            job,
                            actor,
                            "RequeueTrainingJob",
                            request_id=job.job_id,
                            reason=lost,
                            state=JobState.QUEUED,
                            worker="",
                            progress=Progress(message=f"queued again: {lost}"),
                        )
                    )
                else:
                    changed.append(
                        self._transition(
                            session,
                            job,
                            actor,
                            "FailTrainingJob",
                            request_id=job.job_id,
                            reason=lost,
                            state=JobState.FAILED,
                            end_time=_now(),
                            failure=Failure(
                                "worker_lost",
                                f"{lost}; gave up after {job.attempt_count} attempts",
                                True,
                            ),
                        )
                    )
        return changed
