"""Prediction logs and ground truth in: checked, stored, joined on the request id, audited.

A batch of prediction records is stored in one transaction with its audit event; malformed
records are counted as rejected and the rest of the batch is kept (a sender cannot fix a record
after the fact, and losing a whole batch for one bad record would hide traffic). A batch resent
with the same request id is stored once. Labels whose prediction has not arrived yet wait in
``monitoring_pending_labels`` and are joined when it does.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache

from sqlalchemy.orm import Session

from slipway.core.audit import record as audit_record
from slipway.core.context import Principal
from slipway.core.db import Database
from slipway.core.errors import InvalidArgumentError
from slipway.core.idempotency import key_for, mutation
from slipway.core.names import MODEL_ID, VERSION_NUMBER
from slipway.core.reasons import Reason
from slipway.services.monitoring.domain.entities import (
    GroundTruth,
    NewPrediction,
    PredictionRecord,
    Tensor,
    TrafficRole,
)
from slipway.services.monitoring.storage.repository import MonitoringRepository

SERVICE = "monitoring"
MAX_LABELS_PER_CALL = 10_000
ROLES = {
    TrafficRole.UNSPECIFIED: "primary",
    TrafficRole.PRIMARY: "primary",
    TrafficRole.CANARY: "canary",
    TrafficRole.SHADOW: "shadow",
}
_ITEM_BYTES = {"BOOL": 1, "INT32": 4, "INT64": 8, "FP32": 4, "FP64": 8}


@dataclass(frozen=True)
class BatchResult:
    accepted: int = 0
    rows: int = 0
    rejected: int = 0
    by_model: tuple[tuple[str, int, int], ...] = ()
    """(model, accepted records, their rows) per model, so that callers need not check the
    records again to count them."""


@dataclass(frozen=True)
class LabelResult:
    matched: int = 0
    pending: int = 0
    rejected: int = 0


def _now() -> datetime:
    return datetime.now(UTC)


@lru_cache(maxsize=1024)  # a batch names a few versions many times
def model_of_version(name: str) -> str | None:
    """``models/m`` for ``models/m/versions/n``; None when ``name`` is not a version name."""
    parts = name.split("/")
    if (
        len(parts) == 4
        and parts[0] == "models"
        and parts[2] == "versions"
        and MODEL_ID.fullmatch(parts[1])
        and VERSION_NUMBER.fullmatch(parts[3])
    ):
        return f"models/{parts[1]}"
    return None


def _storable_id(text: str) -> bool:
    # PostgreSQL text cannot hold NUL: refused on both databases alike.
    return 0 < len(text) <= 128 and "\x00" not in text


def _tensor_fits(tensor: Tensor, rows: int) -> bool:
    # Called for every tensor of every record: the one-column case avoids min() and prod().
    shape = tensor.shape
    if len(shape) == 1:
        if shape[0] != rows or rows < 0:
            return False
        count = rows
    elif not shape or shape[0] != rows or min(shape) < 0:
        return False
    else:
        count = math.prod(shape)
    mask = tensor.missing_mask
    if mask and len(mask) != count:
        return False
    size = _ITEM_BYTES.get(tensor.data_type)
    if size is not None:
        return len(tensor.raw_contents) == count * size
    return tensor.data_type == "BYTES"


def record_problem(record: PredictionRecord) -> str:
    """Why a record cannot be stored ("" when it can)."""
    if model_of_version(record.model_version) is None:
        return "model_version must be models/{model}/versions/{n}"
    if not _storable_id(record.request_id):
        return "request_id is required, at most 128 characters"
    if "\x00" in record.alias:
        return "alias must not contain NUL"
    if record.role not in ROLES:  # not counted as primary traffic by mistake
        return "role is not a known traffic role"
    if record.time_invalid:
        return "time is not a valid timestamp"
    if record.row_count < 1:
        return "row_count must be at least 1"
    if not record.inputs:
        return "inputs are required"
    rows = record.row_count
    for tensors in (record.inputs, record.outputs):
        for tensor in tensors:
            if not _tensor_fits(tensor, rows):
                return f"tensor {tensor.name!r} does not match row_count and its datatype"
    return ""


class Ingestion:
    def __init__(self, db: Database, repository: MonitoringRepository) -> None:
        self._db = db
        self._repo = repository

    def ingest_predictions(
        self,
        actor: Principal,
        records: list[PredictionRecord],
        *,
        dropped: int,
        sender: str,
        request_id: str,
    ) -> BatchResult:
        key = key_for(SERVICE, "IngestPredictions", request_id, actor.name)
        now = _now()
        with mutation(self._db, key) as (session, call):
            if call.answered is not None:
                return BatchResult(rejected=len(records))  # a resent batch: stored once
            accepted = rows = rejected = 0
            models: dict[str, list[int]] = {}
            values: list[NewPrediction] = []
            stored: list[PredictionRecord] = []
            for item in records:
                if record_problem(item):
                    rejected += 1
                    continue
                stored.append(item)
                model = model_of_version(item.model_version) or ""
                time = item.time if item.time is not None else now
                values.append(
                    NewPrediction(
                        model=model,
                        model_version=item.model_version,
                        request_id=item.request_id,
                        role=ROLES[item.role or TrafficRole.UNSPECIFIED],
                        alias=item.alias[:64],
                        time=time,
                        received_time=now,
                        row_count=item.row_count,
                        record=item,
                    )
                )
                accepted += 1
                rows += item.row_count
                counts = models.setdefault(model, [0, 0])
                counts[0] += 1
                counts[1] += item.row_count
            self._repo.add_predictions(session, values)
            # Only stored records join: a rejected one's request id may not even be storable.
            self._join_pending(session, stored)
            audit_record(
                session,
                service=SERVICE,
                action="monitoring.IngestPredictions",
                resource=",".join(sorted(models))[:1024] or "predictionLogs",
                principal=actor,
                request_id=request_id or None,
                payload={
                    "accepted": accepted,
                    "rows": rows,
                    "rejected": rejected,
                    "dropped_by_sender": dropped,
                    "sender": sender[:256],
                },
            )
            call.remember(accepted=accepted)
            return BatchResult(
                accepted, rows, rejected, tuple((m, c[0], c[1]) for m, c in sorted(models.items()))
            )

    def _join_pending(self, session: Session, records: list[PredictionRecord]) -> None:
        """Labels that were waiting for these records join them; a shadow record also takes the
        label its request's primary record already has (the shadow version scored the same
        rows, so its performance on live traffic can be compared)."""
        request_ids = sorted({r.request_id for r in records})
        if not request_ids:
            return
        repo = self._repo
        for label in repo.pending_labels(session, request_ids):
            waiting = repo.predictions_of_request(
                session, label.request_id, label.model, unlabeled=True
            )
            fitting = [seq for seq, rows in waiting if _tensor_fits(label.label, rows)]
            if not fitting:
                continue
            repo.set_labels(session, fitting, label.label, label.label_time)
            repo.delete_pending_label(session, label.id)
        shadows = sorted({r.request_id for r in records if r.role is TrafficRole.SHADOW})
        if shadows:
            for known in repo.known_labels(session, shadows):
                repo.label_unlabeled(session, known)

    def ingest_ground_truth(
        self, actor: Principal, truths: list[GroundTruth], *, request_id: str
    ) -> LabelResult:
        if len(truths) > MAX_LABELS_PER_CALL:
            raise InvalidArgumentError.for_field(
                "ground_truths",
                f"at most {MAX_LABELS_PER_CALL} entries per call",
                reason=Reason.TOO_MANY_LABELS,
            )
        key = key_for(SERVICE, "IngestGroundTruth", request_id, actor.name)
        now = _now()
        with mutation(self._db, key) as (session, call):
            if (done := call.answered) is not None:
                return LabelResult(**done)
            matched = pending = rejected = 0
            for truth in truths:
                label = truth.labels
                if label_problem(truth) or label is None:
                    rejected += 1
                    continue
                time = truth.time if truth.time is not None else now
                # Every record of the request: the version that answered, and any canary or
                # shadow version that scored the same rows.
                predictions = self._repo.predictions_of_request(
                    session, truth.request_id, truth.model
                )
                if not predictions:
                    self._repo.add_pending_label(
                        session,
                        request_id=truth.request_id,
                        model=truth.model[:256],
                        label=label,
                        label_time=time,
                        received_time=now,
                    )
                    pending += 1
                    continue
                fitting = [seq for seq, count in predictions if _tensor_fits(label, count)]
                if not fitting:
                    rejected += 1
                    continue
                self._repo.set_labels(session, fitting, label, time)
                matched += 1
            result = LabelResult(matched, pending, rejected)
            audit_record(
                session,
                service=SERVICE,
                action="monitoring.IngestGroundTruth",
                resource="groundTruth",
                principal=actor,
                request_id=request_id or None,
                payload={"matched": matched, "pending": pending, "rejected": rejected},
            )
            call.remember(**result.__dict__)
            return result


def label_problem(truth: GroundTruth) -> str:
    """Why a ground truth entry cannot be stored or ever joined ("" when it can)."""
    if not _storable_id(truth.request_id):
        return "request_id is required, at most 128 characters"
    if truth.labels is None:
        return "labels are required"
    if truth.model and not (
        truth.model.startswith("models/") and MODEL_ID.fullmatch(truth.model[len("models/") :])
    ):
        return "model must look like models/{model}"
    if truth.time_invalid:
        return "time is not a valid timestamp"
    return ""
