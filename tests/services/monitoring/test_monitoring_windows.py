"""Windows and settings: a regression version logged as one [N, F] tensor (RMSE, MAE, R² against
the holdout, prediction drift on the numeric output), per-feature and per-kind overrides of a
policy, and time windows (the policy's duration, or an explicit range); on SQLite and
PostgreSQL."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest
from google.protobuf.timestamp_pb2 import Timestamp
from sklearn.datasets import load_diabetes
from sklearn.metrics import mean_absolute_error, r2_score, root_mean_squared_error
from sqlalchemy import select

from slipway.core.db import Database
from slipway.core.peers import PeerTarget
from slipway.ml.artifact_cache import ArtifactCache
from slipway.monitoring.v1 import drift_pb2
from slipway.monitoring.v1 import monitoring_policy_pb2 as policy_pb2
from slipway.monitoring.v1 import monitoring_service_pb2 as pb
from slipway.services.monitoring.domain.alerts import Alerts
from slipway.services.monitoring.domain.evaluation import Evaluator
from slipway.services.monitoring.domain.policies import Policies
from slipway.services.monitoring.messages import PolicyDocuments
from slipway.services.monitoring.peers.registry import RegistryReferenceSource
from slipway.services.monitoring.storage.repository import SqlMonitoringRepository
from slipway.services.monitoring.storage.tables import PredictionRow
from slipway.services.serving.sinks.prediction_log import tensor
from slipway.services.training.engine import spec as s
from support.monitoring import (
    FEATURES,
    Fruit,
    prediction_record,
    running_monitoring,
    scored_records,
    traffic,
)
from support.registry import Registry
from support.serving import register, train_locally
from support.waiting import wait_until


async def test_a_regression_version_logged_as_one_matrix(
    migrated_db: Database,
    tmp_path: Path,
    tokens_file: Path,
    tokens: dict[str, str],
    registry: Registry,
    service_token_file: Path,
) -> None:
    spec = s.JobSpec(
        task="regression",
        estimator=s.Estimator("Ridge", {"alpha": 0.1}),
        dataset=s.DatasetSpec(bundled="diabetes"),
        split=s.SplitSpec(seed=1),
    )
    trained = train_locally(spec, tmp_path / "diabetes", tmp_path)
    number = await register(registry, service_token_file, "diabetes", trained)
    version = f"models/diabetes/versions/{number}"
    model = trained.model()
    data = load_diabetes()
    x, y = data.data[:300], data.target[:300]
    records = []
    for start in range(0, 300, 30):
        rows = x[start : start + 30]
        record = prediction_record(
            version, f"d{start}", {"f": rows[:, 0]}, {"predict": model.predict(rows)}
        )
        del record.inputs[:]
        record.inputs.append(tensor("input", "FP64", rows))  # one [N, F] tensor
        records.append(record)
    async with running_monitoring(
        migrated_db,
        tmp_path / "monitoring",
        tokens_file,
        tokens,
        registry.address,
        service_token_file,
        evaluate=False,
    ) as monitoring:
        await monitoring.ingest(records)
        await monitoring.label(
            [(f"d{start}", y[start : start + 30]) for start in range(0, 300, 30)]
        )
        report = await monitoring.report(version)
    assert [f.feature for f in report.data_drift.features] == list(data.feature_names)
    assert not report.data_quality.schema_issues
    assert [f.feature for f in report.prediction_drift.features] == ["predict"]
    assert report.prediction_drift.features[0].method == drift_pb2.DRIFT_METHOD_KS
    metrics = {m.metric: m for m in report.performance.metrics}
    predicted = model.predict(x)
    assert metrics["rmse"].value == pytest.approx(root_mean_squared_error(y, predicted))
    assert metrics["mae"].value == pytest.approx(mean_absolute_error(y, predicted))
    assert metrics["r2"].value == pytest.approx(r2_score(y, predicted))
    assert metrics["rmse"].reference_value == pytest.approx(trained.outcome.metrics["rmse"])
    # The default bound: RMSE may worsen by 10 % of the holdout value.
    assert metrics["rmse"].max_degradation == pytest.approx(0.1 * trained.outcome.metrics["rmse"])
    assert report.target_drift.method == drift_pb2.DRIFT_METHOD_KS


async def test_policy_overrides_choose_methods_and_thresholds(
    migrated_db: Database,
    tmp_path: Path,
    tokens_file: Path,
    tokens: dict[str, str],
    registry: Registry,
    service_token_file: Path,
    fruit: Fruit,
) -> None:
    window = traffic(tmp_path, 300, seed=41)
    policy = policy_pb2.MonitoringPolicy(model="models/fruit")
    policy.drift.numeric.method = drift_pb2.DRIFT_METHOD_KS  # over the large-reference default
    policy.drift.numeric.threshold = 0.999  # KS: nearly everything counts as drift
    policy.drift.categorical.method = drift_pb2.DRIFT_METHOD_JENSEN_SHANNON
    policy.drift.feature_overrides["weight"].method = drift_pb2.DRIFT_METHOD_PSI
    policy.drift.feature_overrides["weight"].threshold = 5.0
    policy.drift.dataset_drift_share = 0.3
    policy.drift.psi_bins = 4
    async with running_monitoring(
        migrated_db,
        tmp_path / "monitoring",
        tokens_file,
        tokens,
        registry.address,
        service_token_file,
        evaluate=False,
    ) as monitoring:
        created = await monitoring.stub.CreateMonitoringPolicy(
            pb.CreateMonitoringPolicyRequest(
                monitoring_policy=policy, monitoring_policy_id="strict"
            ),
            metadata=monitoring.as_("developer"),
        )
        await monitoring.ingest(
            scored_records(fruit.version, fruit.model, window.rows, FEATURES, prefix="o")
        )
        report = await monitoring.report(fruit.version)  # the model's first enabled policy
    assert report.policy == created.monitoring_policy.name
    by_name = {f.feature: f for f in report.data_drift.features}
    assert by_name["size"].method == drift_pb2.DRIFT_METHOD_KS
    assert by_name["size"].threshold == 0.999
    assert by_name["size"].drifted == (by_name["size"].score <= 0.999)
    assert by_name["weight"].method == drift_pb2.DRIFT_METHOD_PSI
    assert by_name["weight"].threshold == 5.0
    assert not by_name["weight"].drifted
    assert by_name["weight"].psi.bin_count == 4
    assert by_name["colour"].method == drift_pb2.DRIFT_METHOD_JENSEN_SHANNON
    assert by_name["colour"].threshold == 0.1
    assert report.data_drift.share_threshold == pytest.approx(0.3)


async def test_time_windows_count_only_their_rows(
    migrated_db: Database,
    tmp_path: Path,
    tokens_file: Path,
    tokens: dict[str, str],
    registry: Registry,
    service_token_file: Path,
    fruit: Fruit,
) -> None:
    old = traffic(tmp_path, 100, seed=51)
    recent = traffic(tmp_path, 150, seed=52)
    two_hours_ago = time.time() - 7200
    async with running_monitoring(
        migrated_db,
        tmp_path / "monitoring",
        tokens_file,
        tokens,
        registry.address,
        service_token_file,
        evaluate=False,
    ) as monitoring:
        records = scored_records(fruit.version, fruit.model, old.rows, FEATURES, prefix="old")
        for record in records:
            record.predict_time.FromNanoseconds(int(two_hours_ago * 1e9))
        records += scored_records(fruit.version, fruit.model, recent.rows, FEATURES, prefix="new")
        await monitoring.ingest(records)
        policy = policy_pb2.MonitoringPolicy(model="models/fruit")
        policy.window.duration.FromSeconds(3600)
        await monitoring.stub.CreateMonitoringPolicy(
            pb.CreateMonitoringPolicyRequest(
                monitoring_policy=policy, monitoring_policy_id="hourly"
            ),
            metadata=monitoring.as_("developer"),
        )
        hourly = await monitoring.report(fruit.version, policy="monitoringPolicies/hourly")
        assert hourly.window.row_count == 150
        start, end = Timestamp(), Timestamp()
        start.FromNanoseconds(int((two_hours_ago - 60) * 1e9))
        end.FromNanoseconds(int((two_hours_ago + 60) * 1e9))
        ranged = await monitoring.report(fruit.version, start_time=start, end_time=end)
        assert ranged.window.row_count == 100
        assert ranged.window.start_time.seconds == int(two_hours_ago)
        default = await monitoring.report(fruit.version)  # the model's first enabled policy
        assert default.policy == "monitoringPolicies/hourly"
        assert default.window.row_count == 150
        assert np.isfinite(default.data_drift.features[0].score)


async def test_logs_past_the_retention_are_purged_and_the_purge_is_audited(
    migrated_db: Database,
    tmp_path: Path,
    tokens_file: Path,
    tokens: dict[str, str],
    registry: Registry,
    service_token_file: Path,
    fruit: Fruit,
) -> None:
    window = traffic(tmp_path, 60, seed=61)
    async with running_monitoring(
        migrated_db,
        tmp_path / "monitoring",
        tokens_file,
        tokens,
        registry.address,
        service_token_file,
        evaluate=False,
    ) as monitoring:
        await monitoring.ingest(
            scored_records(fruit.version, fruit.model, window.rows, FEATURES, prefix="p")
        )
        await monitoring.label([("never-logged", np.array(["big"], dtype=object))])

    def evaluator(retention: timedelta) -> Evaluator:
        references = RegistryReferenceSource(
            PeerTarget(registry.address), ArtifactCache(tmp_path / "cache")
        )
        return Evaluator(
            migrated_db,
            SqlMonitoringRepository(),
            Policies(
                migrated_db, frozenset(), SqlMonitoringRepository(), PolicyDocuments(), references
            ),
            Alerts(migrated_db, SqlMonitoringRepository()),
            references,
            None,
            sample_rows=100,
            retention=retention,
        )

    def stored() -> int:
        with migrated_db.unit_of_work(read_only=True) as session:
            return len(list(session.scalars(select(PredictionRow.seq))))

    assert evaluator(timedelta(hours=1)).purge() == (0, 0)
    assert stored() == 6
    assert evaluator(timedelta(0)).purge() == (6, 1)
    assert stored() == 0
    events = await registry.audit_events(service="monitoring")
    purges = [e for e in events if e.action == "monitoring.PurgePredictionLogs"]
    assert len(purges) == 1
    assert purges[0].principal.name == "service:monitoring"  # no token of its own here


RETENTION_DAYS = 1e-7  # about 9 ms


async def test_the_running_service_purges_on_its_own(
    migrated_db: Database,
    tmp_path: Path,
    tokens_file: Path,
    tokens: dict[str, str],
    registry: Registry,
    service_token_file: Path,
    fruit: Fruit,
) -> None:
    window = traffic(tmp_path, 30, seed=62)

    def stored() -> int:
        with migrated_db.unit_of_work(read_only=True) as session:
            return len(list(session.scalars(select(PredictionRow.seq))))

    async with running_monitoring(
        migrated_db,
        tmp_path / "first",
        tokens_file,
        tokens,
        registry.address,
        service_token_file,
        evaluate=False,
    ) as monitoring:
        await monitoring.ingest(
            scored_records(fruit.version, fruit.model, window.rows, FEATURES, prefix="old")
        )
    assert stored() == 3
    # A retention of about 9 ms: everything logged before this process started is past it
    # (waited for, in case the machine is fast enough to start it sooner).
    logged = time.monotonic()
    await wait_until(
        lambda: time.monotonic() - logged > RETENTION_DAYS * 86400, "the logs to pass retention"
    )
    async with running_monitoring(
        migrated_db,
        tmp_path / "second",
        tokens_file,
        tokens,
        registry.address,
        service_token_file,
        retention_days=RETENTION_DAYS,
    ):
        await wait_until(lambda: stored() == 0, "the logs past the retention to be purged")
