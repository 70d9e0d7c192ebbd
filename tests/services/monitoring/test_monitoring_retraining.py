"""Retraining end to end: a version trained by the training service serves traffic with injected
drift; monitoring raises a data drift alert and starts a retraining job with trigger DRIFT from
the spec of the job that trained the version; a second window of the same drift while that job
is still queued starts no second job. Every decision is on the alert and in the audit log; on
SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import numpy.typing as npt
from google.protobuf import duration_pb2
from sklearn.datasets import load_iris

from slipway.core.db import Database
from slipway.monitoring.v1 import alert_pb2
from slipway.monitoring.v1 import monitoring_policy_pb2 as policy_pb2
from slipway.monitoring.v1 import monitoring_service_pb2 as pb
from slipway.training.v1 import training_job_pb2
from slipway.training.v1 import training_service_pb2 as training_pb
from support.monitoring import Monitoring, running_monitoring
from support.registry import Registry
from support.serving import Serving, matrix_request, running_serving, set_alias
from support.training import QUEUED, SUCCEEDED, StartTraining, Training, bundled, job

MODEL = "models/iris"
WINDOW_ROWS = 150
REQUESTS_PER_WINDOW = 15  # of 10 rows each
WAIT_SECONDS = 60.0
DRIFT = training_job_pb2.TRAINING_TRIGGER_DRIFT
TRIGGERED = alert_pb2.RETRAINING_DECISION_TRIGGERED


def drifted_rows(seed: int) -> npt.NDArray[np.float64]:
    """One window of iris rows with every feature shifted by five standard deviations."""
    data = load_iris().data
    rng = np.random.default_rng(seed)
    rows = data[rng.integers(0, len(data), WINDOW_ROWS)]
    return np.asarray(rows + 5.0 * data.std(axis=0), dtype=np.float64)


async def send_window(serving: Serving, rows: npt.NDArray[np.float64], prefix: str) -> None:
    per_request = WINDOW_ROWS // REQUESTS_PER_WINDOW
    for i in range(REQUESTS_PER_WINDOW):
        chunk = rows[i * per_request : (i + 1) * per_request]
        reply = await serving.infer(matrix_request("iris", chunk, request_id=f"{prefix}-{i}"))
        assert reply.model_version == "1"


async def wait_stored(monitoring: Monitoring, version: str, rows: int) -> None:
    """Until the policy's window (an ad-hoc report, not stored) holds ``rows`` rows."""
    report = await monitoring.report_with_rows(version, rows, WAIT_SECONDS)
    assert report.data_drift.drifted  # the injected drift is visible


def drift_alert(
    decision: alert_pb2.RetrainingDecision.ValueType, report: str = ""
) -> Callable[[list[alert_pb2.Alert]], bool]:
    """A check of ``Monitoring.wait_alerts``: one firing data drift alert with ``decision``,
    raised on another report than ``report``."""

    def check(alerts: list[alert_pb2.Alert]) -> bool:
        return (
            len(alerts) == 1
            and alerts[0].state == alert_pb2.ALERT_STATE_FIRING
            and alerts[0].retraining_decision == decision
            and alerts[0].report != report
        )

    return check


def skipped_since(report: str) -> Callable[[list[alert_pb2.Alert]], bool]:
    """A check of ``Monitoring.wait_alerts``: the firing alert was updated on another report
    than ``report`` and says that retraining was skipped there."""

    def check(alerts: list[alert_pb2.Alert]) -> bool:
        return (
            len(alerts) == 1
            and alerts[0].report != report
            and "skipped" in alerts[0].retraining_detail
        )

    return check


async def train_first_version(
    start_training: StartTraining, registry: Registry
) -> training_job_pb2.TrainingJob:
    """Version 1 of models/iris, trained by a real job and promoted to production."""
    async with start_training(registry.address) as training:
        created = await training.create(
            job(MODEL, dataset=bundled("iris"), alias_on_success="staging", reason="first model")
        )
        done = await training.finished(created.name, within=WAIT_SECONDS)
    assert done.state == SUCCEEDED, done.failure
    assert done.model_version == f"{MODEL}/versions/1"
    await set_alias(registry, "iris", "production", 1)
    return done


async def training_jobs(
    training: Training, condition: str = ""
) -> list[training_job_pb2.TrainingJob]:
    flt = " AND ".join(c for c in (f'model = "{MODEL}"', condition) if c)
    reply = await training.stub.ListTrainingJobs(
        training_pb.ListTrainingJobsRequest(filter=flt),
        metadata=training.as_("viewer"),
    )
    return list(reply.training_jobs)


async def test_drift_through_serving_starts_one_retraining_job_while_it_runs(
    migrated_db: Database,
    tmp_path: Path,
    tokens_file: Path,
    tokens: dict[str, str],
    registry: Registry,
    service_token_file: Path,
    start_training: StartTraining,
) -> None:
    source = await train_first_version(start_training, registry)
    version = source.model_version
    lineage = (await registry.get_version(version)).lineage
    assert lineage.training_job == source.name

    # Training now serves its API only: the retraining job stays queued, i.e. still running
    # as far as monitoring is concerned, for as long as the test needs.
    async with (
        start_training(registry.address, workers=0) as training,
        running_monitoring(
            migrated_db,
            tmp_path / "monitoring",
            tokens_file,
            tokens,
            registry.address,
            service_token_file,
            evaluate=False,
            training_target=training.address,
        ) as monitoring,
        running_serving(
            migrated_db,
            tmp_path / "serving",
            tokens_file,
            tokens,
            registry.address,
            service_token_file,
            deployments=["iris@production"],
            monitoring_target=monitoring.address,
            prediction_log_batch=5,
        ) as serving,
    ):
        policy = (
            await monitoring.stub.CreateMonitoringPolicy(
                pb.CreateMonitoringPolicyRequest(
                    monitoring_policy=policy_pb2.MonitoringPolicy(
                        model=MODEL,
                        window=policy_pb2.WindowSpec(row_count=WINDOW_ROWS),
                        min_samples=100,
                        action=policy_pb2.POLICY_ACTION_RETRAIN,
                        retraining=policy_pb2.RetrainingConfig(cooldown=duration_pb2.Duration()),
                    ),
                    monitoring_policy_id="iris-drift",
                    reason="retrain on drift",
                ),
                metadata=monitoring.as_("approver"),  # its versions land on challenger
            )
        ).monitoring_policy
        assert policy.retraining.HasField("cooldown")  # zero: only a running job holds back

        # First window. The evaluator starts once all of it is logged, so the first window it
        # evaluates is exactly these rows.
        await send_window(serving, drifted_rows(seed=1), "first")
        await wait_stored(monitoring, version, WINDOW_ROWS)
        await monitoring.app.on_ready()
        drift_of_model = f'model = "{MODEL}" AND kind = DATA_DRIFT'
        (alert,) = await monitoring.wait_alerts(drift_alert(TRIGGERED), filter=drift_of_model)
        assert alert.model_version == version
        assert alert.policy == policy.name
        fired_on = await monitoring.stored_report(alert.report)
        assert fired_on.window.row_count == WINDOW_ROWS
        assert fired_on.data_drift.drifted_count == 4
        assert alert.training_job.startswith("trainingJobs/")
        assert source.name in alert.retraining_detail
        retraining = await training.get(alert.training_job)
        assert retraining.state == QUEUED
        assert retraining.trigger == DRIFT
        assert retraining.trigger_source == alert.name
        assert retraining.parent_version == version
        assert alert.report in retraining.reason
        assert policy.name in retraining.reason
        assert retraining.alias_on_success == "challenger"
        assert retraining.model == MODEL
        assert retraining.task == source.task
        assert retraining.estimator == source.estimator
        assert retraining.dataset == source.dataset
        assert retraining.split == source.split
        assert retraining.created_by == "service-user"

        # Second window of the same drift while the job is queued: the same alert is updated,
        # monitoring starts no other job, and the alert keeps naming the one it started.
        await send_window(serving, drifted_rows(seed=2), "second")
        (again,) = await monitoring.wait_alerts(skipped_since(alert.report), filter=drift_of_model)
        assert again.name == alert.name
        assert (await monitoring.stored_report(again.report)).window.row_count == WINDOW_ROWS
        assert again.retraining_decision == TRIGGERED
        assert again.training_job == retraining.name
        assert "skipped job running" in again.retraining_detail
        assert "TRAINING_JOB_STATE_QUEUED" in again.retraining_detail
        drift_jobs = await training_jobs(training, "trigger = DRIFT")
        assert [j.name for j in drift_jobs] == [retraining.name]
        assert {j.name for j in await training_jobs(training)} == {source.name, retraining.name}
        assert (await training.get(retraining.name)).state == QUEUED

    # Every decision is audited by monitoring on the alert, and the job's creation by training.
    events = await registry.audit_events(service="monitoring", resource=alert.name)
    assert [e.action for e in events] == [
        "monitoring.AlertFired",
        "monitoring.RetrainingTriggered",
        "monitoring.AlertUpdated",
        "monitoring.RetrainingSkipped",
    ]
    assert {e.principal.name for e in events} == {"service-user"}  # monitoring's own token
    assert retraining.name in events[1].payload_json
    assert "triggered" in events[1].payload_json
    assert "skipped_job_running" in events[3].payload_json
    triggered = await registry.audit_events(action="monitoring.RetrainingTriggered")
    assert [e.resource for e in triggered] == [alert.name]
    created = await registry.audit_events(
        action="training.CreateTrainingJob", resource=retraining.name
    )
    assert [e.principal.name for e in created] == ["service-user"]
    assert alert.report in created[0].reason
