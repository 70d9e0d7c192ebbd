"""Prediction logs and ground truth in: checked, stored, joined on the request id, audited.

A batch of prediction records is stored in one transaction with its audit event; malformed
records are counted as rejected and the rest of the batch is kept (a sender cannot fix a record
after the fact, and losing a whole batch for one bad record would hide traffic). A batch resent
with the same request id is stored once. Labels whose prediction has not arrived yet wait in
``monitoring_pending_labels`` and are joined when it does.

A label is checked against the label space of each version it joins (``domain/labels.py``: the
version's classes, or finite numbers for regression), when it joins: at once when its prediction
is stored, else when the prediction arrives. It joins the versions it can be a label of; one that
fits none is rejected with the reason, and the rejections of a call are counted by reason in its
audit event. The spaces come from the registry before the transaction opens; a version the
registry cannot speak for accepts any label, and the evaluation leaves out the foreign ones.

Bounds (``IngestionLimits``, from the settings) keep a caller from filling the database: a
record's BYTES tensors hold at most ``max_value_bytes`` per element on average (a record over
it is rejected like any malformed one), and a ground-truth call may leave at most
``max_pending_per_call`` labels waiting, and a model at most ``max_pending_per_model``. Over a
pending bound the whole call is refused with RESOURCE_EXHAUSTED (TOO_MANY_PENDING_LABELS), not
INVALID_ARGUMENT: whether a label waits depends on which predictions have arrived, not on the
request alone, so the same call can succeed later (or in smaller parts). Nothing of a refused
call is stored, so it can be retried as it is. Labels are read, joined and stored in bulk (a
few statements per call, not two per label).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache

from sqlalchemy.orm import Session

from slipway.core.audit import record as audit_record
from slipway.core.blocking import run_blocking
from slipway.core.context import Principal
from slipway.core.db import Database
from slipway.core.errors import InvalidArgumentError, ResourceExhaustedError
from slipway.core.idempotency import key_for, mutation
from slipway.core.names import MODEL_ID, VERSION_NUMBER
from slipway.core.reasons import Reason
from slipway.core.request_ids import MAX_REQUEST_ID_CHARS, REQUEST_ID_RULE, request_id_fits
from slipway.services.monitoring.domain.entities import (
    GroundTruth,
    LoggedRecord,
    NewPendingLabel,
    NewPrediction,
    PredictionRecord,
    Tensor,
    TrafficRole,
)
from slipway.services.monitoring.domain.labels import LabelSpace
from slipway.services.monitoring.domain.peers import ReferenceSource
from slipway.services.monitoring.domain.tensors import LENGTH_PREFIX, tensor_fits, tensors_problem
from slipway.services.monitoring.storage.repository import MonitoringRepository

SERVICE = "monitoring"
MAX_LABELS_PER_CALL = 10_000
ROLES = {
    TrafficRole.UNSPECIFIED: "primary",
    TrafficRole.PRIMARY: "primary",
    TrafficRole.CANARY: "canary",
    TrafficRole.SHADOW: "shadow",
}
# A record's encoding without decoding its tensors is bounded by what it declares: its envelope,
# each tensor's name, type and shape, and per row of each tensor one value of at most
# ``max_value_bytes`` with its length prefix and missing-mask byte. A record over it (a wide
# ``[N, F]`` tensor, a long alias) is decoded and checked whole, as every record once was.
ENVELOPE_BYTES = 1024
TENSOR_BYTES = 128

Decode = Callable[[bytes], PredictionRecord | None]  # None: not a PredictionRecord


@dataclass(frozen=True)
class IngestionLimits:
    """What callers may store (the monitoring settings of the same names)."""

    max_value_bytes: int = 1024
    max_pending_per_call: int = 1000
    max_pending_per_model: int = 100_000


@dataclass(frozen=True)
class BatchResult:
    accepted: int = 0
    rows: int = 0
    rejected: int = 0
    by_model: tuple[tuple[str, int, int], ...] = ()
    """(model, accepted records, their rows) per model, so that callers need not check the
    records again to count them."""
    labels_rejected: Mapping[str, int] = field(default_factory=dict)
    """Waiting labels that joined none of the batch's records, by reason (a ``Reason``)."""


@dataclass(frozen=True)
class LabelResult:
    matched: int = 0
    pending: int = 0
    rejected: int = 0
    rejected_by_reason: Mapping[str, int] = field(default_factory=dict)  # ``Reason`` -> entries


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
    # Required here (the id is the join key of ground truth), else the rule every service shares.
    return bool(text) and request_id_fits(text)


def logged_problem(
    record: LoggedRecord, max_value_bytes: int = 1024, decode: Decode | None = None
) -> tuple[str, bytes]:
    """(why a record cannot be stored, "" when it can; the encoding to store). Checked from its
    envelope and size; a record over its size bound is decoded with ``decode`` and checked
    whole, then stored without the unknown fields it came with (refused without ``decode``).
    Called for every record ingested: the checks are written out, not calls."""
    request_id, rows = record.request_id, record.row_count
    if model_of_version(record.model_version) is None:
        return "model_version must be models/{model}/versions/{n}", b""
    if not request_id or len(request_id) > MAX_REQUEST_ID_CHARS or not request_id.isprintable():
        return f"request_id is required, {REQUEST_ID_RULE}", b""
    if "\x00" in record.alias:
        return "alias must not contain NUL", b""
    if not record.role:  # not counted as primary traffic by mistake
        return "role is not a known traffic role", b""
    if record.time_invalid:
        return "time is not a valid timestamp", b""
    if rows < 1:
        return "row_count must be at least 1", b""
    if not record.input_count:
        return "inputs are required", b""
    if rows > len(record.encoded):  # every row of an input takes a byte at least
        return "row_count is more than the record's tensors can hold", b""
    tensors = record.input_count + record.output_count
    bound = ENVELOPE_BYTES + tensors * (TENSOR_BYTES + rows * (max_value_bytes + LENGTH_PREFIX + 1))
    if len(record.encoded) <= bound:
        return "", record.encoded
    whole = decode(record.encoded) if decode is not None else None
    if whole is None:
        return "the record is larger than its rows and tensors allow, or not readable", b""
    if problem := tensors_problem(whole, max_value_bytes):
        return problem, b""
    return "", whole.encoded


def _reason(problem: str) -> Reason:
    return (
        Reason.INVALID_REQUEST_ID if problem.startswith("request_id") else Reason.INVALID_ARGUMENT
    )


Spaces = Mapping[str, LabelSpace]  # version -> its label space, for the versions known


def _space_problem(spaces: Spaces, version: str, label: Tensor) -> Reason | None:
    space = spaces.get(version)
    return space.tensor_problem(label) if space is not None else None


class Ingestion:
    def __init__(
        self,
        db: Database,
        repository: MonitoringRepository,
        references: ReferenceSource | None = None,
        limits: IngestionLimits = IngestionLimits(),  # frozen: one default is shared safely
        decode: Decode | None = None,
    ) -> None:
        """``decode`` reads a record's encoding whole, for the records over their size bound
        (without it they are refused)."""
        self._db = db
        self._repo = repository
        self._references = references
        self._limits = limits
        self._decode = decode

    async def _spaces(self, versions: Iterable[str]) -> dict[str, LabelSpace]:
        if self._references is None:
            return {}
        found: dict[str, LabelSpace] = {}
        for version in sorted(set(versions)):
            space = await self._references.label_space(version)
            if space is not None:
                found[version] = space
        return found

    def _versions_of_requests(self, request_ids: list[str]) -> set[str]:
        with self._db.unit_of_work(read_only=True) as session:
            return self._repo.versions_of_requests(session, request_ids)

    def _pending_requests(self, request_ids: list[str]) -> set[str]:
        with self._db.unit_of_work(read_only=True) as session:
            return self._repo.requests_with_pending_labels(session, request_ids)

    async def receive_predictions(
        self,
        actor: Principal,
        records: list[LoggedRecord],
        *,
        dropped: int,
        sender: str,
        request_id: str,
    ) -> BatchResult:
        """``ingest_predictions`` with the label spaces of the versions whose records labels
        are waiting for (asked only when some are)."""
        spaces: dict[str, LabelSpace] = {}
        if self._references is not None and records:
            # Only ids and names that could be stored: a NUL would not even reach PostgreSQL.
            waiting = await run_blocking(
                self._pending_requests,
                [r.request_id for r in records if _storable_id(r.request_id)],
            )
            if waiting:
                spaces = await self._spaces(
                    r.model_version
                    for r in records
                    if r.request_id in waiting and model_of_version(r.model_version) is not None
                )
        return await run_blocking(
            self.ingest_predictions,
            actor,
            records,
            dropped=dropped,
            sender=sender,
            request_id=request_id,
            spaces=spaces,
        )

    async def receive_ground_truth(
        self, actor: Principal, truths: list[GroundTruth], *, request_id: str
    ) -> LabelResult:
        """``ingest_ground_truth`` with the label spaces of the versions the labels join."""
        spaces: dict[str, LabelSpace] = {}
        if self._references is not None and len(truths) <= MAX_LABELS_PER_CALL:
            ids = [t.request_id for t in truths if not label_problem(t)]
            if ids:
                spaces = await self._spaces(await run_blocking(self._versions_of_requests, ids))
        return await run_blocking(
            self.ingest_ground_truth, actor, truths, request_id=request_id, spaces=spaces
        )

    def ingest_predictions(
        self,
        actor: Principal,
        records: list[LoggedRecord],
        *,
        dropped: int,
        sender: str,
        request_id: str,
        spaces: Spaces | None = None,
    ) -> BatchResult:
        key = key_for(SERVICE, "IngestPredictions", request_id, actor.name)
        now = _now()
        with mutation(self._db, key) as (session, call):
            if call.answered is not None:
                return BatchResult(rejected=len(records))  # a resent batch: stored once
            accepted = rows = rejected = 0
            models: dict[str, list[int]] = {}
            values: list[NewPrediction] = []
            stored: list[LoggedRecord] = []
            by_reason: Counter[str] = Counter()
            max_value_bytes, decode = self._limits.max_value_bytes, self._decode
            new = tuple.__new__
            for item in records:
                problem, encoded = logged_problem(item, max_value_bytes, decode)
                if problem:
                    rejected += 1
                    by_reason[str(_reason(problem))] += 1
                    continue
                stored.append(item)
                model = model_of_version(item.model_version) or ""
                count = item.row_count
                values.append(
                    new(
                        NewPrediction,
                        (
                            model,
                            item.model_version,
                            item.request_id,
                            item.role,
                            item.alias[:64],
                            item.time if item.time is not None else now,
                            now,
                            count,
                            encoded,
                        ),
                    )
                )
                accepted += 1
                rows += count
                if (counts := models.get(model)) is None:
                    counts = models[model] = [0, 0]
                counts[0] += 1
                counts[1] += count
            self._repo.add_predictions(session, values)
            self._repo.lock_label_joins(session)  # a label of these requests may arrive now
            # Only stored records join: a rejected one's request id may not even be storable.
            labels_rejected = self._join_pending(session, stored, spaces or {})
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
                    "rejected_by_reason": dict(sorted(by_reason.items())),
                    "dropped_by_sender": dropped,
                    "sender": sender[:256],
                    "labels_rejected": labels_rejected,
                },
            )
            call.remember(accepted=accepted)
            return BatchResult(
                accepted,
                rows,
                rejected,
                tuple((m, c[0], c[1]) for m, c in sorted(models.items())),
                labels_rejected,
            )

    def _join_pending(
        self, session: Session, records: list[LoggedRecord], spaces: Spaces
    ) -> dict[str, int]:
        """Labels that were waiting for these records join them, where they can be labels of
        the records' versions (those that can be of none are dropped, and counted by reason);
        a shadow record also takes the label its request's primary record already has (the
        shadow version scored the same rows, so its performance on live traffic can be
        compared)."""
        request_ids = sorted({r.request_id for r in records})
        if not request_ids:
            return {}
        repo = self._repo
        rejected: Counter[str] = Counter()
        done: list[int] = []
        pending = repo.pending_labels(session, request_ids)
        if pending:
            # One read and one write for all of them; a record takes the first label that
            # fits it, as when the labels were joined one at a time.
            found = repo.predictions_of_requests(
                session, {p.request_id for p in pending}, unlabeled=True
            )
            taken: set[int] = set()
            joins: list[tuple[list[int], Tensor, datetime]] = []
            for label in pending:
                fitting = [
                    (seq, version)
                    for seq, rows, model, version in found.get(label.request_id, ())
                    if (not label.model or model == label.model)
                    and seq not in taken
                    and tensor_fits(label.label, rows)
                ]
                if not fitting:
                    continue
                problems = [_space_problem(spaces, v, label.label) for _, v in fitting]
                joined = [
                    seq for (seq, _), problem in zip(fitting, problems, strict=True) if not problem
                ]
                if joined:
                    taken.update(joined)
                    joins.append((joined, label.label, label.label_time))
                else:
                    rejected[str(next(p for p in problems if p is not None))] += 1
                done.append(label.id)
            repo.set_many_labels(session, joins)
            repo.delete_pending_labels(session, done)
        shadows = sorted({r.request_id for r in records if r.role == "shadow"})
        if shadows:
            for known in repo.known_labels(session, shadows):
                repo.label_unlabeled(session, known)
        return dict(sorted(rejected.items()))

    def ingest_ground_truth(
        self,
        actor: Principal,
        truths: list[GroundTruth],
        *,
        request_id: str,
        spaces: Spaces | None = None,
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
            self._repo.lock_label_joins(session)  # records of these requests may arrive now
            matched = 0
            known = spaces or {}
            rejected: Counter[str] = Counter()
            valid: list[tuple[GroundTruth, Tensor]] = []
            for truth in truths:
                label = truth.labels
                if (reason := label_reason(truth)) is not None or label is None:
                    rejected[str(reason or Reason.INVALID_ARGUMENT)] += 1
                else:
                    valid.append((truth, label))
            # Every record of each request, read in one query per chunk of ids: the version
            # that answered, and any canary or shadow version that scored the same rows.
            found = self._repo.predictions_of_requests(session, {t.request_id for t, _ in valid})
            joins: list[tuple[list[int], Tensor, datetime]] = []
            waiting: list[NewPendingLabel] = []
            for truth, label in valid:
                time = truth.time if truth.time is not None else now
                predictions = [
                    (seq, count, version)
                    for seq, count, model, version in found.get(truth.request_id, ())
                    if not truth.model or model == truth.model
                ]
                if not predictions:
                    waiting.append(
                        NewPendingLabel(truth.request_id, truth.model[:256], label, time, now)
                    )
                    continue
                fitting = [(seq, v) for seq, count, v in predictions if tensor_fits(label, count)]
                if not fitting:
                    rejected[str(Reason.INVALID_SHAPE)] += 1
                    continue
                problems = [_space_problem(known, v, label) for _, v in fitting]
                joined = [s for (s, _), p in zip(fitting, problems, strict=True) if p is None]
                if not joined:
                    rejected[str(next(p for p in problems if p is not None))] += 1
                    continue
                joins.append((joined, label, time))
                matched += 1
            self._check_pending(session, waiting)
            self._repo.set_many_labels(session, joins)
            self._repo.add_pending_labels(session, waiting)
            pending = len(waiting)
            by_reason = dict(sorted(rejected.items()))
            result = LabelResult(matched, pending, sum(by_reason.values()), by_reason)
            audit_record(
                session,
                service=SERVICE,
                action="monitoring.IngestGroundTruth",
                resource="groundTruth",
                principal=actor,
                request_id=request_id or None,
                payload={
                    "matched": matched,
                    "pending": pending,
                    "rejected": result.rejected,
                    "rejected_by_reason": by_reason,
                },
            )
            call.remember(**result.__dict__)
            return result

    def _check_pending(self, session: Session, waiting: list[NewPendingLabel]) -> None:
        limits = self._limits
        if len(waiting) > limits.max_pending_per_call:
            raise ResourceExhaustedError(
                f"{len(waiting)} labels have no prediction yet; one call may leave at most "
                f"{limits.max_pending_per_call} waiting: send them after their predictions, "
                "or in smaller calls",
                reason=Reason.TOO_MANY_PENDING_LABELS,
            )
        new: Counter[str] = Counter(label.model for label in waiting)
        counts = self._repo.pending_counts(session, new)
        for model, adding in new.items():
            count = counts.get(model, 0)
            if count + adding > limits.max_pending_per_model:
                raise ResourceExhaustedError(
                    f"{model or 'labels without a model'}: {count} labels already wait for "
                    f"their predictions; at most {limits.max_pending_per_model} may",
                    reason=Reason.TOO_MANY_PENDING_LABELS,
                )


def label_reason(truth: GroundTruth) -> Reason | None:
    """Why a ground truth entry cannot be stored or ever joined (None when it can)."""
    if not _storable_id(truth.request_id):
        return Reason.INVALID_REQUEST_ID  # required, at most 128 printable characters
    if truth.labels is None:
        return Reason.INVALID_SHAPE  # labels are required
    if truth.model and not (
        truth.model.startswith("models/") and MODEL_ID.fullmatch(truth.model[len("models/") :])
    ):
        return Reason.INVALID_MODEL_ID  # must look like models/{model}
    if truth.time_invalid:
        return Reason.INVALID_TIME
    return None


def label_problem(truth: GroundTruth) -> bool:
    """Whether a ground truth entry cannot be stored or ever joined."""
    return label_reason(truth) is not None
