"""Ground truth that cannot be a label of its version: rejected at ingest with a reason, counted
and audited; and whatever labels are stored, a report answers OK, with the metrics that cannot
be computed marked unavailable; on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import numpy as np
from prometheus_client import CollectorRegistry

from slipway.audit.v1 import audit_service_pb2
from slipway.core.db import Database
from slipway.core.reasons import Reason
from slipway.monitoring.v1 import prediction_record_pb2
from slipway.services.monitoring.domain.entities import Tensor
from slipway.services.monitoring.domain.labels import LabelSpace
from slipway.services.monitoring.domain.performance import computed_metrics
from slipway.services.monitoring.domain.reference import Reference
from slipway.services.monitoring.domain.window import Labeled
from slipway.services.monitoring.messages import ground_truth_from_pb
from slipway.services.monitoring.storage.repository import SqlMonitoringRepository
from support.monitoring import (
    FEATURES,
    Fruit,
    Monitoring,
    label_tensor,
    running_monitoring,
    scored_records,
    traffic,
)
from support.registry import Registry


def _series(monitoring: Monitoring) -> dict[str, float]:
    registry = CollectorRegistry()
    for collector in monitoring.app.collectors:
        registry.register(collector)
    return {
        f"{sample.name}{sample.labels}": sample.value
        for family in registry.collect()
        for sample in family.samples
    }


async def _payloads(monitoring: Monitoring, action: str) -> list[dict[str, object]]:
    reply = await monitoring.audit.ListAuditEvents(
        audit_service_pb2.ListAuditEventsRequest(page_size=1000), metadata=monitoring.as_("auditor")
    )
    return [json.loads(e.payload_json) for e in reply.events if e.action == action]


async def test_labels_that_are_no_class_of_the_version_are_rejected_counted_and_audited(
    migrated_db: Database,
    tmp_path: Path,
    tokens_file: Path,
    tokens: dict[str, str],
    registry: Registry,
    service_token_file: Path,
    fruit: Fruit,
) -> None:
    window = traffic(tmp_path, 60, seed=3)
    async with running_monitoring(
        migrated_db,
        tmp_path / "monitoring",
        tokens_file,
        tokens,
        registry.address,
        service_token_file,
        evaluate=False,
    ) as monitoring:
        records = scored_records(
            fruit.version, fruit.model, window.rows, FEATURES, prefix="r", per_record=20
        )
        await monitoring.ingest(records[:2])
        # The version's classes are "big" and "small": a text and an integer that are neither.
        reply = await monitoring.label(
            [
                ("r-0", np.array(["x"] * 20, dtype=object)),
                ("r-1", np.full(20, 2)),
                ("r-2", np.full(20, 2)),  # its prediction comes later: checked when it joins
            ]
        )
        assert (reply.matched_count, reply.pending_count, reply.rejected_count) == (0, 1, 2)
        good = await monitoring.label([("r-1", window.labels[20:40])])
        assert good.matched_count == 1
        await monitoring.ingest(records[2:])

        events = await _payloads(monitoring, "monitoring.IngestGroundTruth")
        assert {"rejected": 2, "rejected_by_reason": {"LABEL_UNKNOWN_CLASS": 2}}.items() <= (
            next(e for e in events if e["rejected"] == 2).items()
        )
        batches = await _payloads(monitoring, "monitoring.IngestPredictions")
        assert {"LABEL_UNKNOWN_CLASS": 1} in [b["labels_rejected"] for b in batches]
        series = _series(monitoring)
        rejected = "slipway_monitoring_rejected_ground_truth_total{'reason': 'LABEL_UNKNOWN_CLASS'}"
        assert series[rejected] == 3
        outcome = "slipway_monitoring_ground_truth_total{'outcome': 'rejected'}"
        assert series[outcome] == 3

        report = await monitoring.report(fruit.version)
        assert report.performance.labeled_row_count == 20  # r-1's true labels only
        assert report.performance.invalid_label_count == 0


def store_label_bypassing_ingest(db: Database, request_id: str, values: np.ndarray) -> None:
    """Writes a label straight into storage, as a label stored before ingest checked labels
    would be."""
    label = ground_truth_from_pb(
        prediction_record_pb2.GroundTruth(request_id=request_id, labels=label_tensor(values))
    ).labels
    assert label is not None
    repository = SqlMonitoringRepository()
    with db.unit_of_work() as session:
        found = repository.predictions_of_requests(session, [request_id])
        seqs = [seq for seq, _, _, _ in found.get(request_id, [])]
        repository.set_many_labels(session, [(seqs, label, None)])


async def test_a_report_over_labels_that_are_not_the_versions_classes_answers_ok(
    migrated_db: Database,
    tmp_path: Path,
    tokens_file: Path,
    tokens: dict[str, str],
    registry: Registry,
    service_token_file: Path,
    fruit: Fruit,
) -> None:
    window = traffic(tmp_path, 200, seed=7)
    async with running_monitoring(
        migrated_db,
        tmp_path / "monitoring",
        tokens_file,
        tokens,
        registry.address,
        service_token_file,
        evaluate=False,
    ) as monitoring:
        records = scored_records(
            fruit.version, fruit.model, window.rows, FEATURES, prefix="mixed", per_record=20
        )
        await monitoring.ingest(records)
        # Half the records get their true labels; the others a text and an integer that are
        # no class of the version (its classes are "big" and "small").
        good = await monitoring.label(
            [(r.request_id, window.labels[i * 20 : (i + 1) * 20]) for i, r in enumerate(records)][
                :5
            ]
        )
        assert good.matched_count == 5
        for i, r in enumerate(records[5:]):
            bad = np.array(["x"] * 20, dtype=object) if i % 2 else np.full(20, 2)
            await asyncio.to_thread(store_label_bypassing_ingest, migrated_db, r.request_id, bad)

        report = await monitoring.report(fruit.version)

        assert report.performance.labeled_row_count == 100
        assert report.performance.invalid_label_count == 100
        assert {m.metric for m in report.performance.metrics} >= {"accuracy", "f1"}
        assert not report.performance.unavailable_metrics

        # Only bad labels: nothing to judge, still no error.
        for r in records[:5]:
            await asyncio.to_thread(
                store_label_bypassing_ingest, migrated_db, r.request_id, np.full(20, 2)
            )
        report = await monitoring.report(fruit.version)
        assert report.performance.invalid_label_count == 200
        assert not report.performance.metrics


def test_a_metric_that_cannot_be_computed_is_reported_unavailable_with_its_reason() -> None:
    reference = Reference(
        version="models/m/versions/1",
        model="models/m",
        task="classification",
        features=(),
        columns={},
        target=None,
        outputs={},
        class_labels=("0", "1"),
        holdout_metrics={},
        training_job="",
        profile_row_count=0,
    )
    # predict_proba rows of different widths: scikit-learn (or numpy) cannot take them.
    labeled = Labeled(
        truth=["0", "1", "1"],
        predicted=["0", "1", "0"],
        proba=[np.array([0.9, 0.1]), np.array([0.2, 0.8]), np.array([0.5, 0.3, 0.2])],
    )
    values, unavailable = computed_metrics(reference, labeled)
    assert values == {}
    assert {u.metric for u in unavailable} == {"accuracy", "f1", "roc_auc", "log_loss"}
    assert {u.reason for u in unavailable} == {"METRIC_UNDEFINED"}
    assert all(u.detail for u in unavailable)


def _tensor(values: np.ndarray, missing: list[int] | None = None) -> Tensor:
    message = label_tensor(values)
    if missing is not None:
        message.missing_mask = bytes(missing)
    label = ground_truth_from_pb(
        prediction_record_pb2.GroundTruth(request_id="r", labels=message)
    ).labels
    assert label is not None
    return label


def test_the_label_space_of_a_version_names_what_cannot_be_its_label() -> None:
    binary = LabelSpace("models/m/versions/1", "classification", frozenset({"0", "1"}))
    assert binary.tensor_problem(_tensor(np.array([0, 1, 1]))) is None
    assert binary.tensor_problem(_tensor(np.array([0.0, 1.0]))) is None  # 1.0 names class 1
    assert binary.tensor_problem(_tensor(np.array([0, 2]))) is Reason.LABEL_UNKNOWN_CLASS
    unknown = binary.tensor_problem(_tensor(np.array(["x"], dtype=object)))
    assert unknown is Reason.LABEL_UNKNOWN_CLASS
    regression = LabelSpace("models/r/versions/1", "regression")
    assert regression.tensor_problem(_tensor(np.array([1.5, -2.0]))) is None
    assert regression.tensor_problem(_tensor(np.array([1.5, np.nan]), [0, 1])) is None  # masked
    text = regression.tensor_problem(_tensor(np.array(["x"], dtype=object)))
    assert text is Reason.LABEL_NOT_NUMERIC
    assert regression.tensor_problem(_tensor(np.array([np.inf]))) is Reason.LABEL_NOT_FINITE
    assert regression.tensor_problem(_tensor(np.array([np.nan]))) is Reason.LABEL_NOT_FINITE
