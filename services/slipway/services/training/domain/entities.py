"""The training service's domain objects: plain dataclasses, no protobuf, no SQL."""

from __future__ import annotations

import enum
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime
from typing import Any

from slipway.services.training.engine.spec import JobSpec


class JobState(enum.Enum):
    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    CANCELLING = "CANCELLING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"

    @property
    def terminal(self) -> bool:
        return self in TERMINAL


TERMINAL = frozenset({JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED})
ACTIVE = frozenset({JobState.RUNNING, JobState.CANCELLING})  # a worker holds the job

TRIGGERS = ("MANUAL", "SCHEDULE", "DRIFT", "PERFORMANCE")


@dataclass(frozen=True)
class Progress:
    stage: str = ""  # "" before the job starts; else an engine Stage
    percent: float = 0.0
    message: str = ""
    trial: int = 0
    trial_count: int = 0


@dataclass(frozen=True)
class Failure:
    category: str  # an engine FailureCategory
    message: str
    retryable: bool


@dataclass(frozen=True)
class NewJob:
    """What a caller asks for; everything else about a job is the service's."""

    model_id: str
    spec: JobSpec
    max_runtime_seconds: float = 0.0  # 0: the server's default
    alias_on_success: str = ""
    trigger: str = "MANUAL"
    trigger_source: str = ""
    reason: str = ""
    parent_version: str = ""
    labels: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class TrainingJob:
    job_id: str
    model_id: str
    spec: JobSpec
    max_runtime_seconds: float
    alias_on_success: str
    trigger: str
    trigger_source: str
    reason: str
    parent_version: str
    labels: dict[str, str]
    state: JobState
    progress: Progress
    failure: Failure | None
    attempt_count: int
    worker: str
    registration_key: str
    created_by: str
    cancelled_by: str
    cancel_reason: str
    create_time: datetime
    start_time: datetime | None
    end_time: datetime | None
    update_time: datetime
    heartbeat_time: datetime | None
    attempt_start_time: datetime | None
    model_version: str
    metrics: dict[str, float]
    best_params: dict[str, Any]
    revision: int
    seq: int = 0

    @property
    def name(self) -> str:
        return f"trainingJobs/{self.job_id}"

    @property
    def model(self) -> str:
        return f"models/{self.model_id}"


# -- snapshots: a job as JSON, carried by the training event stream to watchers ------------------


def _time(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _parse_time(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def to_snapshot(job: TrainingJob) -> dict[str, Any]:
    data = {f.name: getattr(job, f.name) for f in fields(job)}
    data["spec"] = job.spec.to_json()
    data["state"] = job.state.value
    data["progress"] = asdict(job.progress)
    data["failure"] = None if job.failure is None else asdict(job.failure)
    for key in (
        "create_time",
        "start_time",
        "end_time",
        "update_time",
        "heartbeat_time",
        "attempt_start_time",
    ):
        data[key] = _time(data[key])
    return data


def from_snapshot(data: dict[str, Any]) -> TrainingJob:
    values = dict(data)
    values["spec"] = JobSpec.from_json(values["spec"])
    values["state"] = JobState(values["state"])
    values["progress"] = Progress(**values["progress"])
    values["failure"] = None if values["failure"] is None else Failure(**values["failure"])
    for key in (
        "create_time",
        "start_time",
        "end_time",
        "update_time",
        "heartbeat_time",
        "attempt_start_time",
    ):
        values[key] = _parse_time(values[key])
    return TrainingJob(**values)
