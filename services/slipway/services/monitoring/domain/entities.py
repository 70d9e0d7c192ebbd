"""Monitoring's domain objects: plain dataclasses, no protobuf, no SQL."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class StoredRecord:
    """A logged prediction record as a window reads it back."""

    seq: int
    time: datetime
    row_count: int
    record: bytes  # PredictionRecord, as it arrived
    label: bytes | None  # Tensor, once its ground truth arrived


@dataclass(frozen=True)
class NewPrediction:
    """A checked prediction record about to be stored."""

    model: str
    model_version: str
    request_id: str
    role: str  # primary, canary, shadow
    alias: str
    time: datetime
    received_time: datetime
    row_count: int
    record: bytes  # PredictionRecord, as it arrived


@dataclass(frozen=True)
class PendingLabel:
    """Ground truth waiting for its prediction."""

    id: int
    request_id: str
    model: str
    label: bytes  # Tensor
    label_time: datetime


@dataclass(frozen=True)
class KnownLabel:
    """A label some record of a request already has (shadow records take it too)."""

    request_id: str
    model: str
    label: bytes
    label_time: datetime | None
    row_count: int


@dataclass(frozen=True)
class EvaluationCursor:
    """The last window a policy evaluated for a version."""

    first_seq: int
    last_seq: int
    labeled_records: int
    evaluate_time: datetime


class RetrainingTrigger(enum.Enum):
    """Why a retraining job is asked for."""

    DRIFT = "DRIFT"
    PERFORMANCE = "PERFORMANCE"


class RetrainingDecision(enum.Enum):
    """What became of a retraining request; recorded on the alert behind it."""

    TRIGGERED = "TRIGGERED"
    SKIPPED_COOLDOWN = "SKIPPED_COOLDOWN"
    SKIPPED_JOB_RUNNING = "SKIPPED_JOB_RUNNING"
    FAILED = "FAILED"


@dataclass(frozen=True)
class RetrainingRequest:
    """A retraining job asked for by a firing alert, with the policy's retraining settings."""

    model: str
    model_version: str
    policy: str  # monitoringPolicies/{id}
    alert: str  # alerts/{id}
    summary: str  # the alert's summary, cited in the job's reason
    report: str  # monitoringReports/{id}
    trigger: RetrainingTrigger
    source_job: str  # the job whose spec is copied ("": none known)
    dataset_path: str  # "" keeps the source job's dataset
    alias_on_success: str  # "" takes the default
    cooldown: timedelta
    last_trigger: datetime | None  # when this policy last started a job for the model
    now: datetime


@dataclass(frozen=True)
class RetrainingOutcome:
    decision: RetrainingDecision
    job: str = ""  # trainingJobs/{id}: the job started, or the one still running
    detail: str = ""
