"""GetLineageReport: the version behind an alias, who trained it on which data with which spec and
seed, its parent, every alias move with its reason, the drift alert that started the retraining
that produced it, and the audit events about all of it with the chain's verification.

The scenario runs for real on SQLite and PostgreSQL: training trains version 1, an approver
promotes it, monitoring sees drifted traffic on it and starts a retraining whose result (version
2, alias `challenger`) an approver promotes; a registry that knows where training and monitoring
listen then reports on `models/iris@production`. The Markdown rendering is tested on its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import grpc
import numpy as np
import numpy.typing as npt
import pytest
from google.protobuf import duration_pb2, json_format
from sklearn.datasets import load_iris

from slipway.audit.v1 import audit_event_pb2, chain_verification_pb2
from slipway.cli.lineage_render import to_json, to_markdown
from slipway.common.v1 import principal_pb2
from slipway.core.context import Principal
from slipway.core.db import Database
from slipway.core.names import version_ref
from slipway.core.values import to_pb
from slipway.lineage.v1 import lineage_report_pb2
from slipway.ml.artifacts import LocalArtifactStore
from slipway.ml.model_files import load_model
from slipway.monitoring.v1 import alert_pb2
from slipway.monitoring.v1 import monitoring_policy_pb2 as policy_pb2
from slipway.monitoring.v1 import monitoring_service_pb2 as monitoring_pb
from slipway.registry.v1 import (
    alias_history_pb2,
    lineage_pb2,
    model_version_pb2,
)
from slipway.registry.v1 import registry_service_pb2 as pb
from slipway.services.lineage.domain.lineage import LineageReports, PeerAlert, PeerJob
from slipway.services.registry.domain.entities import ArtifactKind, NewVersion
from slipway.services.registry.domain.provenance import PeerError
from slipway.services.registry.domain.service import RegistryDomain
from slipway.services.registry.storage.repository import SqlRegistryRepository
from slipway.training.v1 import training_job_pb2
from support.monitoring import Monitoring, running_monitoring, scored_records
from support.registry import (
    Registry,
    error_reason,
    model_bytes,
    sha256,
    upload_requests,
    version_spec,
)
from support.training import SUCCEEDED, StartTraining, Training, bundled, job

StartRegistry = Callable[..., contextlib.AbstractAsyncContextManager[Registry]]
MODEL = "models/iris"
WINDOW_ROWS = 150
WAIT_SECONDS = 90.0
FIRST_REASON = "reviewed: holdout accuracy above 0.9 (ticket ML-1)"
SECOND_REASON = "retrained on drifted traffic; challenger reviewed (ticket ML-2)"
DRIFT = training_job_pb2.TRAINING_TRIGGER_DRIFT
TRIGGERED = alert_pb2.RETRAINING_DECISION_TRIGGERED
SET = alias_history_pb2.ALIAS_CHANGE_SET
MOVED = alias_history_pb2.ALIAS_CHANGE_MOVED
CHAIN_OK = chain_verification_pb2.CHAIN_STATUS_OK


async def report_of(registry: Registry, name: str, role: str) -> lineage_report_pb2.LineageReport:
    return await registry.lineage_report(name, role)


async def promote(registry: Registry, number: int, reason: str) -> None:
    await registry.stub.SetModelAlias(
        pb.SetModelAliasRequest(
            name=MODEL, alias="production", version_number=number, reason=reason
        ),
        metadata=registry.as_("approver"),
    )


def register_verified(
    db: Database, artifact_dir: Path, lineage: dict[str, object], data: bytes
) -> None:
    """A version as the registry stores one the training service registered for a job it
    verified (the check itself is exercised in test_registry_provenance.py)."""
    domain = RegistryDomain(db, SqlRegistryRepository(), LocalArtifactStore(artifact_dir))
    spec = NewVersion(
        lineage={**lineage, "created_by": "developer-user", "provenance": "VERIFIED"},
        artifact_sha256=sha256(data),
    )
    trainer = Principal("trainer-user", frozenset({"trainer"}))
    upload = domain.start_version(trainer, MODEL.removeprefix("models/"), spec, create_model=True)
    upload.write(ArtifactKind.MODEL, data)
    upload.finish()


def drifted_rows(seed: int) -> npt.NDArray[np.float64]:
    """One window of iris rows with every feature shifted by five standard deviations."""
    data = load_iris().data
    rows = data[np.random.default_rng(seed).integers(0, len(data), WINDOW_ROWS)]
    return np.asarray(rows + 5.0 * data.std(axis=0), dtype=np.float64)


async def loaded_model(
    registry: Registry, version: model_version_pb2.ModelVersion, folder: Path
) -> object:
    _, data = await registry.download(version.name)
    path = folder / "model.skops"
    await asyncio.to_thread(path.write_bytes, data)
    framework = version.framework_versions
    versions = {
        "python": framework.python,
        "scikit_learn": framework.scikit_learn,
        "numpy": framework.numpy,
        "scipy": framework.scipy,
        "skops": framework.skops,
    }
    return load_model(
        path,
        sha256=version.artifact.sha256,
        fmt="skops",
        framework_versions={k: v for k, v in versions.items() if v},
    )


async def drift_until_retrained(
    registry: Registry,
    training: Training,
    monitoring: Monitoring,
    first: model_version_pb2.ModelVersion,
    folder: Path,
) -> alert_pb2.Alert:
    """Drifted traffic on ``first`` until monitoring fires a data drift alert that starts a
    retraining; returns the alert once that job succeeded."""
    await monitoring.stub.CreateMonitoringPolicy(
        monitoring_pb.CreateMonitoringPolicyRequest(
            monitoring_policy=policy_pb2.MonitoringPolicy(
                model=MODEL,
                window=policy_pb2.WindowSpec(row_count=WINDOW_ROWS),
                min_samples=100,
                action=policy_pb2.POLICY_ACTION_RETRAIN,
                retraining=policy_pb2.RetrainingConfig(cooldown=duration_pb2.Duration()),
            ),
            monitoring_policy_id="iris-drift",
            reason="retrain iris when its inputs drift",
        ),
        metadata=monitoring.as_("approver"),  # its versions land on challenger
    )
    model = await loaded_model(registry, first, folder)
    names = [feature.name for feature in first.signature.inputs]
    await monitoring.ingest(
        scored_records(first.name, model, drifted_rows(seed=1), names, prefix="drifted")
    )

    def triggered(alerts: list[alert_pb2.Alert]) -> bool:
        return any(a.retraining_decision == TRIGGERED for a in alerts)

    alerts = await monitoring.wait_alerts(
        triggered, filter=f'model_version = "{first.name}" AND kind = DATA_DRIFT'
    )
    alert = next(a for a in alerts if a.retraining_decision == TRIGGERED)
    retraining = await training.finished(alert.training_job, within=WAIT_SECONDS)
    assert retraining.state == SUCCEEDED, retraining.failure
    return alert


async def test_report_of_a_retrained_production_version_explains_why_it_is_there(
    migrated_db: Database,
    tmp_path: Path,
    tokens_file: Path,
    tokens: dict[str, str],
    registry: Registry,
    start_registry: StartRegistry,
    service_token_file: Path,
    start_training: StartTraining,
) -> None:
    async with (
        start_training(registry.address) as training,
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
    ):
        source = await training.create(
            job(MODEL, dataset=bundled("iris"), seed=11, reason="first model of iris")
        )
        source = await training.finished(source.name, within=WAIT_SECONDS)
        assert source.state == SUCCEEDED, source.failure
        await promote(registry, 1, FIRST_REASON)
        first = await registry.get_version(source.model_version)

        await monitoring.app.on_ready()  # the evaluator
        alert = await drift_until_retrained(registry, training, monitoring, first, tmp_path)
        retrained = await training.get(alert.training_job)
        assert retrained.model_version == f"{MODEL}/versions/2"
        await promote(registry, 2, SECOND_REASON)

        # A registry that knows its peers (training and monitoring started after the first).
        async with start_registry(
            training_target=training.address,
            monitoring_target=monitoring.address,
            peer_token_file=service_token_file,
        ) as reporting:
            report = await report_of(reporting, f"{MODEL}@production", "auditor")
            viewed = await report_of(reporting, f"{MODEL}@production", "viewer")
            by_number = await report_of(reporting, f"{MODEL}/versions/2", "admin")

    # What, from which training, on which data, with which spec and seed.
    version = report.model_version
    assert version.name == f"{MODEL}/versions/2"
    assert report.requested_name == f"{MODEL}@production"
    assert report.HasField("generate_time")
    assert list(report.warnings) == []
    assert report.training_job.name == alert.training_job
    assert report.training_job.trigger == DRIFT
    assert report.training_job.trigger_source == alert.name
    assert report.training_job.parent_version == first.name
    assert report.training_job.estimator == source.estimator
    assert report.training_job.split.seed == 11
    assert version.lineage.training_job == alert.training_job
    assert version.lineage.random_seed == 11
    assert len(version.lineage.dataset.sha256) == 64
    assert version.lineage.dataset.sha256 == first.lineage.dataset.sha256
    assert version.lineage.dataset.row_count == 150
    assert version.metrics
    assert version.params

    # Where it came from, and how it got where it is.
    assert report.parent_version.name == first.name
    assert report.parent_version.lineage.training_job == source.name
    moves = [
        (e.alias, e.change, e.from_version_number, e.to_version_number, e.actor.name)
        for e in report.alias_history
    ]
    assert moves == [
        ("challenger", SET, 0, 2, "trainer-user"),
        ("production", MOVED, 1, 2, "approver-user"),
    ]
    assert alert.report in report.alias_history[0].reason
    assert report.alias_history[1].reason == SECOND_REASON

    # The alert that started the retraining (on the parent: none fired on version 2).
    (reported_alert,) = report.alerts
    assert reported_alert.name == alert.name
    assert reported_alert.model_version == first.name
    assert reported_alert.kind == alert_pb2.ALERT_KIND_DATA_DRIFT
    assert reported_alert.retraining_decision == TRIGGERED
    assert reported_alert.training_job == alert.training_job

    # The audit events on all of that, oldest first, and the chain verified up to them.
    events = report.audit_events
    sequences = [e.sequence for e in events]
    assert sequences == sorted(sequences)
    assert len(set(sequences)) == len(sequences)
    actions = {(e.action, e.resource) for e in events}
    assert {
        ("registry.CreateModelVersion", version.name),
        ("training.CreateTrainingJob", alert.training_job),
        ("monitoring.AlertFired", alert.name),
        ("monitoring.RetrainingTriggered", alert.name),
        ("registry.SetModelAlias", f"{MODEL}@challenger"),
        ("registry.SetModelAlias", f"{MODEL}@production"),
    } <= actions
    by_id = {e.event_id: e for e in events}
    for entry in report.alias_history:
        assert by_id[entry.audit_event_id].reason == entry.reason
    # The promotion of version 1 moved no alias to or away from version 2.
    assert FIRST_REASON not in {e.reason for e in events}
    # Who enabled automatic retraining, and why.
    assert ("monitoring.CreateMonitoringPolicy", alert.policy) in actions
    # Not the traffic: monitoring audits each batch of predictions on the model.
    assert "monitoring.IngestPredictions" not in {e.action for e in events}
    assert {e.resource for e in events} <= {
        version.name,
        MODEL,
        alert.training_job,
        alert.name,
        alert.policy,
        f"{MODEL}@challenger",
        f"{MODEL}@production",
    }
    verification = report.audit_verification
    assert verification.status == CHAIN_OK
    assert verification.first_sequence == 1
    assert verification.last_sequence == events[-1].sequence
    assert verification.event_count == events[-1].sequence
    assert verification.last_hash == events[-1].hash

    # A viewer gets everything but the audit log.
    assert not viewed.audit_events
    assert not viewed.HasField("audit_verification")
    assert [w for w in viewed.warnings if "audit events need the auditor role" in w]
    assert len(viewed.warnings) == 1
    assert viewed.training_job == report.training_job
    assert [a.name for a in viewed.alerts] == [alert.name]
    assert list(viewed.alias_history) == list(report.alias_history)

    # By number, the same version and the same history.
    assert by_number.model_version == report.model_version
    assert [e.event_id for e in by_number.audit_events] == [e.event_id for e in events]

    # The auditor's Markdown names both moves with their reasons and the alert.
    text = to_markdown(report)
    assert SECOND_REASON in text
    assert alert.report in text
    assert alert.name in text
    assert "Audit chain: **OK**" in text
    assert version.lineage.dataset.sha256 in text


async def test_report_without_reachable_peers_has_warnings_and_the_rest(
    registry: Registry, start_registry: StartRegistry, tmp_path: Path, service_token_file: Path
) -> None:
    # A version training registered for a verified job; nobody listens on the peers' port.
    lineage = {
        "training_job": "trainingJobs/gone",
        "random_seed": 3,
        "dataset": {"uri": "file:fruit.csv", "sha256": "a" * 64, "row_count": 300},
    }
    assert registry.settings.artifact_dir is not None
    await asyncio.to_thread(
        register_verified, registry.db, registry.settings.artifact_dir, lineage, model_bytes()
    )
    await promote(registry, 1, FIRST_REASON)
    closed = "127.0.0.1:1"
    async with (
        start_registry(
            training_target=closed, monitoring_target=closed, peer_token_file=service_token_file
        ) as unreachable,
        start_registry() as unconfigured,
    ):
        started = time.monotonic()
        report = await report_of(unreachable, f"{MODEL}@production", "auditor")
        # Answered, not held until some far-off deadline: loose, for a machine at load 10
        # (a closed port refuses at once; each peer call has a 10 s deadline of its own).
        assert time.monotonic() - started < 60
        alone = await report_of(unconfigured, f"{MODEL}@production", "auditor")

    assert report.model_version.name == f"{MODEL}/versions/1"
    assert not report.HasField("training_job")
    assert not report.alerts
    warnings = "\n".join(report.warnings)
    assert "trainingJobs/gone" in warnings
    assert f"training service at {closed} is unreachable" in warnings
    assert f"monitoring service at {closed} is unreachable" in warnings
    assert [e.reason for e in report.alias_history] == [FIRST_REASON]
    assert report.audit_verification.status == CHAIN_OK
    assert "registry.SetModelAlias" in {e.action for e in report.audit_events}

    assert "the training service is not configured (--training-target)" in "\n".join(alone.warnings)
    assert "the monitoring service is not configured (--monitoring-target)" in "\n".join(
        alone.warnings
    )
    assert alone.alias_history == report.alias_history

    assert "## Warnings" in to_markdown(report)


async def test_peers_are_found_in_the_suite_file_when_not_configured(
    registry: Registry, start_registry: StartRegistry, tmp_path: Path, service_token_file: Path
) -> None:
    """As under `slipway up`: the registry starts before training and monitoring, and finds
    them in the suite file written once they run."""
    await registry.stub.CreateModelVersion(
        upload_requests(MODEL, model_bytes(), version_spec(model_bytes()), create_model=True),
        metadata=registry.as_("developer"),
    )
    suite_file = tmp_path / "suite.json"
    async with start_registry(
        suite_file=suite_file, peer_token_file=service_token_file
    ) as reporting:
        before = await report_of(reporting, f"{MODEL}/versions/1", "viewer")
        suite_file.write_text(
            json.dumps(
                {
                    "services": {
                        "training": {"grpc_address": "127.0.0.1:1"},
                        "monitoring": {"grpc_address": "127.0.0.1:1"},
                    }
                }
            )
        )
        after = await report_of(reporting, f"{MODEL}/versions/1", "viewer")
    assert any("monitoring service is not configured" in w for w in before.warnings)
    assert any("monitoring service at 127.0.0.1:1 is unreachable" in w for w in after.warnings)


async def test_unknown_and_malformed_names(registry: Registry) -> None:
    await registry.stub.CreateModelVersion(
        upload_requests(MODEL, model_bytes(), version_spec(model_bytes()), create_model=True),
        metadata=registry.as_("developer"),
    )
    for name, code, reason in (
        ("models/nope/versions/1", grpc.StatusCode.NOT_FOUND, "VERSION_NOT_FOUND"),
        (f"{MODEL}/versions/9", grpc.StatusCode.NOT_FOUND, "VERSION_NOT_FOUND"),
        (f"{MODEL}@production", grpc.StatusCode.NOT_FOUND, "ALIAS_NOT_FOUND"),
        ("models/nope@production", grpc.StatusCode.NOT_FOUND, "MODEL_NOT_FOUND"),
        ("", grpc.StatusCode.INVALID_ARGUMENT, "INVALID_NAME"),
        (f"{MODEL}/versions/0", grpc.StatusCode.INVALID_ARGUMENT, "INVALID_VERSION_NUMBER"),
        ("trainingJobs/x", grpc.StatusCode.INVALID_ARGUMENT, "INVALID_NAME"),
    ):
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await report_of(registry, name, "viewer")
        assert caught.value.code() == code, name
        assert error_reason(caught.value) == reason, name


class FakePeers:
    """Peers answering with plain strings: the domain carries their messages untouched."""

    def __init__(self, alerts: list[PeerAlert[str]], more: bool) -> None:
        self.alerts, self.more = alerts, more

    async def training_job(self, name: str) -> PeerJob[str]:
        return PeerJob(f"job {name}", trigger_alert="alerts/started-it")

    async def alerts_on(self, version: str, limit: int) -> tuple[list[PeerAlert[str]], bool]:
        return self.alerts[:limit], self.more

    async def alert(self, name: str) -> PeerAlert[str]:
        if name != "alerts/started-it":
            raise PeerError(f"the monitoring service does not know {name}")
        return PeerAlert(name, datetime(2025, 1, 1, tzinfo=UTC), "the drift that started it")


async def test_alerts_are_merged_oldest_first_and_truncation_is_reported(
    migrated_db: Database, registry: Registry, tmp_path: Path
) -> None:
    await asyncio.to_thread(
        register_verified,
        migrated_db,
        tmp_path / "artifacts",
        {"training_job": "trainingJobs/j"},
        model_bytes(),
    )
    domain = RegistryDomain(
        migrated_db, SqlRegistryRepository(), LocalArtifactStore(tmp_path / "artifacts")
    )
    later = PeerAlert("alerts/later", datetime(2025, 2, 1, tzinfo=UTC), "a later alert")
    peers = FakePeers([later, PeerAlert("alerts/started-it", None, "listed too")], more=True)
    reports = LineageReports(domain, peers, audit_event_limit=2, alert_limit=1)
    auditor = Principal("auditor-user", frozenset({"auditor"}))

    report = await reports.build(auditor, version_ref(f"{MODEL}/versions/1"), "requested")

    assert report.training_job == "job trainingJobs/j"
    assert report.alerts == ["the drift that started it", "a later alert"]
    assert report.audit is not None
    assert [e.action for e in report.audit.events] == [
        "registry.CreateModel",
        "registry.CreateModelVersion",
    ]
    assert report.audit.truncated
    assert report.audit.verification.ok
    assert report.audit.verification.last_sequence == report.audit.events[-1].sequence
    assert report.warnings == [
        "only the newest 1 alerts on models/iris/versions/1 are listed; ListAlerts has the rest",
        "only the oldest 2 audit events are listed; ListAuditEvents with a resource filter has "
        "the rest",
    ]

    # The alert that started the job is not asked for again when it is listed already.
    peers.alerts = [PeerAlert("alerts/started-it", None, "listed")]
    viewer = Principal("viewer-user", frozenset({"viewer"}))
    again = await reports.build(viewer, version_ref(f"{MODEL}/versions/1"), "requested")
    assert again.alerts == ["listed"]
    assert again.audit is None
    assert again.warnings[-1].startswith("audit events need the auditor role")


# -- rendering ---------------------------------------------------------------------------------


def _rendered_report() -> lineage_report_pb2.LineageReport:
    report = lineage_report_pb2.LineageReport(
        requested_name="models/fraud@production", warnings=["monitoring unreachable | retry"]
    )
    report.generate_time.FromJsonString("2025-03-04T10:00:00Z")
    version = report.model_version
    version.name = "models/fraud/versions/2"
    version.state = model_version_pb2.MODEL_VERSION_STATE_READY
    version.aliases.extend(["production"])
    version.created_by = "service:training"
    version.metrics.update({"accuracy": 0.931, "f1": 0.9})
    version.params["C"].CopyFrom(to_pb(0.5))
    version.params["penalty"].CopyFrom(to_pb("l2"))
    version.framework_versions.scikit_learn = "1.6.1"
    version.lineage.CopyFrom(
        lineage_pb2.Lineage(
            training_job="trainingJobs/j2",
            random_seed=42,
            created_by="alice",
            parent_version="models/fraud/versions/1",
            dataset=lineage_pb2.DatasetReference(
                uri="file:fraud.csv", sha256="ab" * 32, row_count=12000
            ),
        )
    )
    training = report.training_job
    training.name = "trainingJobs/j2"
    training.state = training_job_pb2.TRAINING_JOB_STATE_SUCCEEDED
    training.trigger = DRIFT
    training.trigger_source = "alerts/a1"
    training.reason = "data drift: 3 of 20 features drifted"
    training.created_by = "service:monitoring"
    training.estimator.pipeline.steps.add(name="scale").spec.estimator.class_name = "StandardScaler"
    step = training.estimator.pipeline.steps.add(name="model")
    step.spec.estimator.class_name = "LogisticRegression"
    step.spec.estimator.hyperparameters["C"].CopyFrom(to_pb(0.5))
    training.dataset.path = "fraud.csv"
    training.dataset.target_column = "is_fraud"
    report.parent_version.name = "models/fraud/versions/1"
    report.parent_version.metrics["accuracy"] = 0.95
    moves = [
        ("challenger", SET, 0, 2, "service:training", "retrained on drift"),
        ("production", MOVED, 1, 2, "bob", "challenger wins | A/B test ML-7"),
    ]
    for alias, change, before, after, who, why in moves:
        entry = report.alias_history.add(
            alias=alias,
            change=change,
            from_version_number=before,
            to_version_number=after,
            reason=why,
        )
        entry.actor.name = who
        entry.actor.roles.append(principal_pb2.ROLE_APPROVER)
        entry.change_time.FromJsonString("2025-03-03T09:00:00Z")
    alert = report.alerts.add(
        name="alerts/a1",
        model_version="models/fraud/versions/1",
        kind=alert_pb2.ALERT_KIND_DATA_DRIFT,
        state=alert_pb2.ALERT_STATE_RESOLVED,
        summary="data drift: 3 of 20 features drifted (amount, hour, mcc)",
        retraining_decision=TRIGGERED,
        training_job="trainingJobs/j2",
    )
    alert.fire_time.FromJsonString("2025-03-01T08:00:00Z")
    event = report.audit_events.add(
        sequence=7,
        action="registry.SetModelAlias",
        resource="models/fraud@production",
        outcome=audit_event_pb2.AUDIT_OUTCOME_OK,
        reason="challenger wins | A/B test ML-7",
    )
    event.principal.name = "bob"
    report.audit_verification.CopyFrom(
        chain_verification_pb2.ChainVerification(
            status=chain_verification_pb2.CHAIN_STATUS_BROKEN,
            break_sequence=5,
            break_kind=chain_verification_pb2.CHAIN_BREAK_KIND_CHANGED_ROW,
            detail="event 5 does not hash to its stored hash",
        )
    )
    return report


def test_markdown_reads_as_an_audit_record() -> None:
    text = to_markdown(_rendered_report())
    lines = text.splitlines()
    assert lines[0] == "# Lineage report: models/fraud/versions/2"
    headings = [line for line in lines if line.startswith("#")]
    assert headings == [
        "# Lineage report: models/fraud/versions/2",
        "## Version",
        "## Training",
        "### Estimator spec",
        "### Parameters",
        "### Metrics (holdout)",
        "## Parent version",
        "## Alias moves",
        "## Monitoring alerts",
        "## Audit trail",
        "## Warnings",
    ]
    assert "Requested as `models/fraud@production`, generated 2025-03-04 10:00:00 UTC." in text
    assert "**This report is incomplete** (1 warning, listed at the end)." in text
    # Training: who, data, spec, params, seed, metrics.
    assert "- **Asked for by**: `alice`" in lines
    assert "- **Job created by**: `service:monitoring`" in lines
    assert "- **Trigger**: DRIFT, started by `alerts/a1`" in lines
    assert "- **Dataset**: `file:fraud.csv`" in lines
    assert f"- **Dataset SHA-256**: `{'ab' * 32}`" in lines
    assert "- **Rows**: 12,000" in lines
    assert "- **Seed**: 42" in lines
    assert "- **Libraries**: scikit-learn 1.6.1" in lines
    assert (
        "```\nPipeline(\n  scale:\n    StandardScaler()\n  model:\n"
        "    LogisticRegression(C=0.5)\n)\n```" in text
    )
    assert "| `C` | 0.5 |" in lines
    assert '| `penalty` | "l2" |' in lines
    assert "| `accuracy` | 0.931 |" in lines
    # Parent, with the metrics side by side.
    assert "| `accuracy` | 0.95 | 0.931 |" in lines
    assert "| `f1` | - | 0.9 |" in lines
    # Alias moves: a table row per move, pipes in reasons escaped.
    assert (
        "| 2025-03-03 09:00:00 UTC | `production` | v1 → v2 | `bob` (approver) | "
        "challenger wins \\| A/B test ML-7 |"
    ) in lines
    assert (
        "| 2025-03-03 09:00:00 UTC | `challenger` | none → v2 | `service:training` "
        "(approver) | retrained on drift |"
    ) in lines
    # Alerts, with the retraining they started.
    assert (
        "| 2025-03-01 08:00:00 UTC | `alerts/a1` | `models/fraud/versions/1` | DATA_DRIFT | "
        "RESOLVED | data drift: 3 of 20 features drifted (amount, hour, mcc) | "
        "TRIGGERED: `trainingJobs/j2` |"
    ) in lines
    # The chain's status comes first in the audit section, then the events.
    assert (
        "Audit chain: **BROKEN** at event 5 (CHANGED_ROW): event 5 does not hash to its "
        "stored hash. Events from 5 on cannot be relied on."
    ) in lines
    assert (
        "| 7 | - | `bob` | `registry.SetModelAlias` | `models/fraud@production` | OK | "
        "challenger wins \\| A/B test ML-7 |"
    ) in lines
    assert lines[-1] == "- monitoring unreachable | retry"


def test_markdown_of_a_hand_uploaded_first_version_says_so() -> None:
    report = lineage_report_pb2.LineageReport(
        model_version=model_version_pb2.ModelVersion(name="models/m/versions/1"),
        requested_name="models/m/versions/1",
    )
    report.audit_verification.status = CHAIN_OK
    report.audit_verification.first_sequence = 1
    report.audit_verification.last_sequence = 3
    report.audit_verification.event_count = 3
    text = to_markdown(report)
    assert "No training job: the version was uploaded directly." in text
    assert "None: this is a first version, not a retraining." in text
    assert "No alias ever pointed to this version." in text
    assert "No alerts on this version" in text
    assert "Audit chain: **OK**. Events 1 to 3 (3 events)" in text
    assert "## Warnings" not in text
    assert "Requested as" not in text


def test_json_keeps_every_field_with_proto_names() -> None:
    report = _rendered_report()
    document = json.loads(to_json(report))
    assert document["requested_name"] == "models/fraud@production"
    assert document["model_version"]["lineage"]["dataset"]["sha256"] == "ab" * 32
    assert document["alias_history"][1]["reason"] == "challenger wins | A/B test ML-7"
    assert document["audit_verification"]["status"] == "CHAIN_STATUS_BROKEN"
    parsed = lineage_report_pb2.LineageReport()
    json_format.Parse(to_json(report), parsed)
    assert parsed == report
