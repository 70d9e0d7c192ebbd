"""Monitoring's domain objects: plain dataclasses, no protobuf, no SQL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


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
