"""Drift verdicts through the whole service agree with Evidently's preset: each ground-truth case
of ``support.drift_cases`` that had no service-level test is trained on by a real training
service (its reference as a Parquet dataset, ``CreateTrainingJob``, the default holdout),
promoted, served with prediction logging to monitoring, and sent its current rows through
``ModelInfer``; the report over those rows gives each feature the verdict and the method of
Evidently 0.7's preset given the case's *full* reference (``support.evidently_oracle``), except
on the features where a documented deviation (``support.service_cases.DEVIATIONS``) says
otherwise, and there the oracle with that deviation switched on agrees. The correlation change
has its own test (``test_monitoring_correlation.py``); ``bench/drift_service_agreement.py``
prints the same comparison for every case, against the real Evidently too. The concept drift
case then gets its labels, and the report that found no input drift detects concept drift."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from google.protobuf.timestamp_pb2 import Timestamp

from slipway.core.db import Database
from slipway.monitoring.v1 import monitoring_report_pb2
from support.drift_cases import case
from support.monitoring import running_monitoring
from support.registry import SQLITE_ONLY, Registry
from support.service_cases import (
    compare,
    ground_truth,
    model_id,
    requests,
    training_job,
    write_dataset,
)
from support.serving import running_serving, set_alias
from support.training import SUCCEEDED, StartTraining
from support.waiting import wait_until

pytestmark = SQLITE_ONLY

WAIT_SECONDS = 240.0  # a bound for a failure: 200,000 rows to train on, serve and ingest

CASES = [
    pytest.param("no_drift"),
    pytest.param("mean_shift_3_of_20"),
    pytest.param("variance_change"),
    pytest.param("categorical_frequency_change"),
    pytest.param("unseen_category"),
    pytest.param("missing_values"),
    pytest.param("large_tiny_shift", marks=pytest.mark.slow),
    pytest.param("concept_drift_unchanged_inputs"),
]


def _stamp(seconds: float) -> Timestamp:
    stamp = Timestamp()
    stamp.FromNanoseconds(int(seconds * 1e9))
    return stamp


@pytest.mark.parametrize("name", CASES)
async def test_the_verdict_on_every_feature_is_evidentlys_or_a_documented_deviation(
    name: str,
    migrated_db: Database,
    tmp_path: Path,
    tokens_file: Path,
    tokens: dict[str, str],
    registry: Registry,
    service_token_file: Path,
    start_training: StartTraining,
    data_root: Path,
) -> None:
    built = case(name)
    model = model_id(built)
    write_dataset(built, data_root / f"{model}.parquet")
    async with start_training(registry.address) as training:
        created = await training.create(training_job(built, f"{model}.parquet"))
        job = await training.finished(created.name, within=WAIT_SECONDS)
    assert job.state == SUCCEEDED, job.failure
    number = int(job.model_version.rsplit("/", 1)[1])
    await set_alias(registry, model, "production", number)

    sent = len(next(iter(built.current.values())))
    began = time.time() - 1.0
    async with (
        running_monitoring(
            migrated_db,
            tmp_path / "monitoring",
            tokens_file,
            tokens,
            registry.address,
            service_token_file,
            evaluate=False,
        ) as monitoring,
        running_serving(
            migrated_db,
            tmp_path / "serving",
            tokens_file,
            tokens,
            registry.address,
            service_token_file,
            deployments=[f"{model}@production"],
            monitoring_target=monitoring.address,
            prediction_log_batch=20,
        ) as serving,
    ):
        for request in requests(built, model):
            reply = await serving.infer(request)
            assert reply.model_version == str(number)

        async def every_row() -> list[Any]:
            report = await monitoring.report(
                job.model_version, start_time=_stamp(began), end_time=_stamp(time.time() + 1.0)
            )
            return [report] if report.window.row_count >= sent else []

        (report,) = await wait_until(every_row, f"{sent} rows in the report", WAIT_SECONDS)
        truths = ground_truth(built, model)
        if truths:
            # The concept drift case: its labels follow another rule from halfway on.
            for start in range(0, len(truths), 20):
                await monitoring.label(truths[start : start + 20])

            async def labeled() -> list[Any]:
                found = await monitoring.report(
                    job.model_version, start_time=_stamp(began), end_time=_stamp(time.time() + 1.0)
                )
                return [found] if found.performance.labeled_row_count >= sent else []

            (with_labels,) = await wait_until(labeled, f"{sent} labels", WAIT_SECONDS)

    assert isinstance(report, monitoring_report_pb2.MonitoringReport)
    assert report.window.row_count == sent
    assert report.sufficient_samples
    rows = compare(built, {f.feature: f for f in report.data_drift.features})
    table = [
        (r.feature, r.method, round(r.score, 4), r.drifted, r.evidently.method, r.evidently.drifted)
        for r in rows
    ]
    assert all(r.accounted for r in rows), table
    assert all(r.method_agrees for r in rows), table
    # And with the deviations, the ground truth of the case.
    assert {r.feature for r in rows if r.drifted} == built.drifted, table
    if truths:
        # No input drifted, and yet the labels tell: concept drift.
        assert with_labels.performance.concept_drift.detected, with_labels.performance
        assert not with_labels.data_drift.drifted
