"""Policies (CRUD, checks, optimistic concurrency, audit) and the alerts the evaluator raises
from them: fired on drift, resolved when a later window is clean, streamed by WatchAlerts, and
a performance alert without any data drift alert when only the concept changed; on SQLite and
PostgreSQL."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

import grpc
import numpy as np
import pytest
from google.protobuf import field_mask_pb2
from prometheus_client import CollectorRegistry
from sqlalchemy import func, select

from slipway.audit.v1 import audit_service_pb2
from slipway.core.db import Database
from slipway.monitoring.v1 import alert_pb2, drift_pb2
from slipway.monitoring.v1 import monitoring_policy_pb2 as policy_pb2
from slipway.monitoring.v1 import monitoring_report_pb2 as report_pb2
from slipway.monitoring.v1 import monitoring_service_pb2 as pb
from slipway.services.monitoring.domain.alerts import Alerts
from slipway.services.monitoring.messages import policy_from_pb, report_from_pb
from slipway.services.monitoring.storage.repository import SqlMonitoringRepository
from slipway.services.monitoring.storage.tables import EvaluationRow, PredictionRow
from support.monitoring import (
    FEATURES,
    Fruit,
    Monitoring,
    known_models,
    running_monitoring,
    scored_records,
    traffic,
)
from support.registry import Registry
from support.waiting import wait_until


def _policy(model: str = "models/fruit", **fields: object) -> policy_pb2.MonitoringPolicy:
    """A policy over windows of 200 rows, verdicts from 100."""
    values = {"min_samples": 100, **fields}
    return policy_pb2.MonitoringPolicy(
        model=model, window=policy_pb2.WindowSpec(row_count=200), **values
    )  # type: ignore[arg-type]


async def _create(
    monitoring: Monitoring, policy: policy_pb2.MonitoringPolicy, policy_id: str = ""
) -> policy_pb2.MonitoringPolicy:
    reply = await monitoring.stub.CreateMonitoringPolicy(
        pb.CreateMonitoringPolicyRequest(
            monitoring_policy=policy, monitoring_policy_id=policy_id, reason="watch fruit"
        ),
        metadata=monitoring.as_("developer"),
    )
    return reply.monitoring_policy


async def _audit(monitoring: Monitoring, action: str) -> list[audit_service_pb2.AuditEvent]:
    reply = await monitoring.audit.ListAuditEvents(
        audit_service_pb2.ListAuditEventsRequest(page_size=1000), metadata=monitoring.as_("auditor")
    )
    return [e for e in reply.events if e.action == action]


def _metrics(monitoring: Monitoring) -> dict[str, float]:
    """The service's Prometheus series, by name and sorted labels."""
    registry = CollectorRegistry()
    for collector in monitoring.app.collectors:
        registry.register(collector)
    series = {}
    for family in registry.collect():
        for sample in family.samples:
            labels = ",".join(f'{k}="{v}"' for k, v in sorted(sample.labels.items()))
            series[f"{sample.name}{{{labels}}}"] = sample.value
    return series


def _last_seq(db: Database) -> int:
    """The sequence number of the newest logged prediction."""
    with db.unit_of_work(read_only=True) as session:
        return int(session.scalar(select(func.max(PredictionRow.seq))) or 0)


def _evaluated_upto(db: Database, policy: policy_pb2.MonitoringPolicy, version: str) -> int:
    """The last logged prediction the evaluator has taken into a window of ``policy``."""
    with db.unit_of_work(read_only=True) as session:
        row = session.get(EvaluationRow, (policy.name.rsplit("/", 1)[-1], version))
        return row.last_seq if row is not None else 0


def _key(name: str, **labels: str) -> str:
    text = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    return f"slipway_monitoring_{name}{{{text}}}"


async def test_policies_are_checked_versioned_listed_and_audited(
    migrated_db: Database,
    tmp_path: Path,
    tokens_file: Path,
    tokens: dict[str, str],
    registry: Registry,
    service_token_file: Path,
) -> None:
    await known_models(registry, "fruit", "apple")
    async with running_monitoring(
        migrated_db,
        tmp_path / "monitoring",
        tokens_file,
        tokens,
        registry.address,
        service_token_file,
        evaluate=False,
    ) as monitoring:
        created = await _create(monitoring, _policy(description="fruit drift"), "fruit-drift")
        assert created.name == "monitoringPolicies/fruit-drift"
        assert created.created_by == "developer-user"
        assert created.etag
        other = await _create(monitoring, _policy(model="models/apple"))
        assert other.name.startswith("monitoringPolicies/p")
        with pytest.raises(grpc.aio.AioRpcError) as failure:
            await _create(monitoring, _policy(), "fruit-drift")
        assert failure.value.code() == grpc.StatusCode.ALREADY_EXISTS

        # Every problem at once, with field paths.
        bad = _policy(model="fruit", min_samples=-1)
        bad.window.row_count = 0
        bad.drift.categorical.method = drift_pb2.DRIFT_METHOD_KS
        bad.drift.numeric.threshold = 1.5
        bad.drift.numeric.method = drift_pb2.DRIFT_METHOD_KS
        bad.performance.thresholds.add(metric="precision")
        bad.performance.concept_drift_parameters["lambda"] = 3
        bad.retraining.alias_on_success = "production"
        bad.retraining.dataset_path = "../secrets.csv"
        with pytest.raises(grpc.aio.AioRpcError) as failure:
            await _create(monitoring, bad)
        assert failure.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        details = failure.value.details() or ""
        for path in (
            "monitoring_policy.model",
            "window.row_count",
            "min_samples",
            "drift.categorical.method",
            "drift.numeric.threshold",
            "performance.thresholds[0].metric",
            'concept_drift_parameters["lambda"]',
            "retraining.alias_on_success",
            "retraining.dataset_path",
        ):
            assert path in details, path

        listed = await monitoring.stub.ListMonitoringPolicies(
            pb.ListMonitoringPoliciesRequest(page_size=1), metadata=monitoring.as_("viewer")
        )
        assert len(listed.monitoring_policies) == 1
        assert listed.next_page_token
        rest = await monitoring.stub.ListMonitoringPolicies(
            pb.ListMonitoringPoliciesRequest(page_size=1, page_token=listed.next_page_token),
            metadata=monitoring.as_("viewer"),
        )
        names = {listed.monitoring_policies[0].name, rest.monitoring_policies[0].name}
        assert names == {created.name, other.name}
        only = await monitoring.stub.ListMonitoringPolicies(
            pb.ListMonitoringPoliciesRequest(filter='model = "models/fruit"'),
            metadata=monitoring.as_("viewer"),
        )
        assert [p.name for p in only.monitoring_policies] == [created.name]

        change = policy_pb2.MonitoringPolicy(
            name=created.name, etag=created.etag, window=policy_pb2.WindowSpec(row_count=500)
        )
        updated = (
            await monitoring.stub.UpdateMonitoringPolicy(
                pb.UpdateMonitoringPolicyRequest(
                    monitoring_policy=change,
                    update_mask=field_mask_pb2.FieldMask(paths=["window"]),
                    reason="bigger windows",
                ),
                metadata=monitoring.as_("developer"),
            )
        ).monitoring_policy
        assert updated.window.row_count == 500
        assert updated.description == "fruit drift"
        assert updated.etag != created.etag
        for mask, code in (
            (["window"], grpc.StatusCode.ABORTED),  # the old etag
            (["model"], grpc.StatusCode.INVALID_ARGUMENT),
        ):
            with pytest.raises(grpc.aio.AioRpcError) as failure:
                await monitoring.stub.UpdateMonitoringPolicy(
                    pb.UpdateMonitoringPolicyRequest(
                        monitoring_policy=change, update_mask=field_mask_pb2.FieldMask(paths=mask)
                    ),
                    metadata=monitoring.as_("developer"),
                )
            assert failure.value.code() == code
        with pytest.raises(grpc.aio.AioRpcError) as failure:
            await monitoring.stub.CreateMonitoringPolicy(
                pb.CreateMonitoringPolicyRequest(monitoring_policy=_policy()),
                metadata=monitoring.as_("viewer"),
            )
        assert failure.value.code() == grpc.StatusCode.PERMISSION_DENIED

        await monitoring.stub.DeleteMonitoringPolicy(
            pb.DeleteMonitoringPolicyRequest(name=other.name, reason="not needed"),
            metadata=monitoring.as_("developer"),
        )
        with pytest.raises(grpc.aio.AioRpcError) as failure:
            await monitoring.stub.GetMonitoringPolicy(
                pb.GetMonitoringPolicyRequest(name=other.name), metadata=monitoring.as_("viewer")
            )
        assert failure.value.code() == grpc.StatusCode.NOT_FOUND
        for action, reason in (
            ("monitoring.CreateMonitoringPolicy", "watch fruit"),
            ("monitoring.UpdateMonitoringPolicy", "bigger windows"),
            ("monitoring.DeleteMonitoringPolicy", "not needed"),
        ):
            events = [e for e in await _audit(monitoring, action) if e.reason == reason]
            assert events, action
            assert events[0].principal.name == "developer-user", action


async def test_drift_fires_an_alert_a_clean_window_resolves_it_and_watchers_see_both(
    migrated_db: Database,
    tmp_path: Path,
    tokens_file: Path,
    tokens: dict[str, str],
    registry: Registry,
    service_token_file: Path,
    fruit: Fruit,
) -> None:
    clean = traffic(tmp_path, 200, seed=21)
    drifted = traffic(tmp_path, 200, seed=22)
    drifted.rows[:, 1] = drifted.rows[:, 1].astype(float) + 40.0  # 2 of 3 features drift
    drifted.rows[:, 0] = drifted.rows[:, 0].astype(float) * 1.5
    async with running_monitoring(
        migrated_db,
        tmp_path / "monitoring",
        tokens_file,
        tokens,
        registry.address,
        service_token_file,
    ) as monitoring:
        policy = await _create(monitoring, _policy(), "fruit-drift")
        seen: list[pb.WatchAlertsResponse] = []

        async def watch() -> None:
            request = pb.WatchAlertsRequest(model="models/fruit", include_firing=True)
            async for reply in monitoring.stub.WatchAlerts(
                request, metadata=monitoring.as_("viewer")
            ):
                seen.append(reply)

        watcher = asyncio.create_task(watch())
        # The watch must be subscribed before the drift fires, or it misses the FIRED change.
        # Proof of it: a data-quality alert of the model fired here (the checks below look at
        # drift only), which the watch reports as FIRED or, when it subscribed later, EXISTING.
        probe = report_pb2.MonitoringReport(model="models/fruit", model_version=fruit.version)
        quality = {"data_quality": True}
        [probed] = await asyncio.to_thread(
            Alerts(migrated_db, SqlMonitoringRepository()).apply,
            policy_from_pb(policy),
            report_from_pb(probe),
            quality,
            set(quality),
            "probe",
        )
        await wait_until(lambda: seen, "the watch to report the probe alert")
        await monitoring.ingest(
            scored_records(fruit.version, fruit.model, drifted.rows, FEATURES, prefix="drift")
        )
        alerts = await monitoring.wait_alerts(
            lambda a: any(x.kind == alert_pb2.ALERT_KIND_DATA_DRIFT for x in a)
        )
        alert = next(a for a in alerts if a.kind == alert_pb2.ALERT_KIND_DATA_DRIFT)
        assert alert.state == alert_pb2.ALERT_STATE_FIRING
        assert alert.policy == policy.name
        assert alert.model_version == fruit.version
        assert "weight" in alert.subjects
        assert alert.summary.startswith("data drift: ")
        assert alert.severity == alert_pb2.ALERT_SEVERITY_WARNING
        assert alert.report.startswith("monitoringReports/")
        assert (await monitoring.stored_report(alert.report)).window.row_count == 200
        assert alert.retraining_decision == alert_pb2.RETRAINING_DECISION_UNSPECIFIED
        model, version = "models/fruit", fruit.version
        firing = _key("alerts_firing", model=model, kind="data_drift")
        # The gauges follow the stored alert by a moment.
        await wait_until(lambda: _metrics(monitoring).get(firing) == 1.0, "the firing gauge")
        series = _metrics(monitoring)
        assert series[_key("dataset_drifted", model=model, version=version)] == 1.0
        assert (
            series[_key("feature_drifted", model=model, version=version, feature="weight")] == 1.0
        )
        assert series[_key("ingested_rows_total", model=model)] == 200
        assert series[firing] == 1.0
        stored = await monitoring.stored_report(alert.report)
        assert stored.name == alert.report
        assert stored.data_drift.drifted
        # A clean window resolves it.
        await monitoring.ingest(
            scored_records(fruit.version, fruit.model, clean.rows, FEATURES, prefix="clean")
        )
        after = await monitoring.wait_alerts(
            lambda a: any(
                x.name == alert.name and x.state == alert_pb2.ALERT_STATE_RESOLVED for x in a
            )
        )
        gone = next(a for a in after if a.name == alert.name)
        assert gone.resolve_reason.startswith("a window within the policy's thresholds")
        assert "monitoringReports/" in gone.resolve_reason
        firing = await monitoring.alerts(filter="state = FIRING AND kind = DATA_DRIFT")
        assert firing == []
        await wait_until(
            lambda: any(r.transition == pb.ALERT_TRANSITION_RESOLVED for r in seen),
            "the watch to report the resolution",
        )
        watcher.cancel()
        with contextlib.suppress(asyncio.CancelledError, grpc.aio.AioRpcError):
            await watcher
        transitions = [
            (r.alert.name, r.transition)
            for r in seen
            if r.alert.kind == alert_pb2.ALERT_KIND_DATA_DRIFT
        ]
        assert transitions == [
            (alert.name, pb.ALERT_TRANSITION_FIRED),
            (alert.name, pb.ALERT_TRANSITION_RESOLVED),
        ]
        fired = await _audit(monitoring, "monitoring.AlertFired")
        resolved = await _audit(monitoring, "monitoring.AlertResolved")
        assert alert.name in [e.resource for e in fired]
        assert alert.name in [e.resource for e in resolved]
        # The principal of the token monitoring presents to its peers (the probe was fired
        # here, outside the service).
        principals = {e.principal.name for e in fired + resolved if e.resource != probed.alert.name}
        assert principals == {"service-user"}
        assert all(e.request_id for e in fired + resolved)


async def test_deleting_a_policy_resolves_its_firing_alerts_under_the_deleter(
    migrated_db: Database,
    tmp_path: Path,
    tokens_file: Path,
    tokens: dict[str, str],
    registry: Registry,
    service_token_file: Path,
    fruit: Fruit,
) -> None:
    drifted = traffic(tmp_path, 200, seed=23)
    drifted.rows[:, 1] = drifted.rows[:, 1].astype(float) + 40.0
    drifted.rows[:, 0] = drifted.rows[:, 0].astype(float) * 1.5
    async with running_monitoring(
        migrated_db,
        tmp_path / "monitoring",
        tokens_file,
        tokens,
        registry.address,
        service_token_file,
    ) as monitoring:
        doomed = await _create(monitoring, _policy(), "fruit-doomed")
        kept = await _create(monitoring, _policy(), "fruit-kept")
        await monitoring.ingest(
            scored_records(fruit.version, fruit.model, drifted.rows, FEATURES, prefix="drift")
        )
        alerts = await monitoring.wait_alerts(
            lambda a: (
                {x.policy for x in a if x.kind == alert_pb2.ALERT_KIND_DATA_DRIFT}
                == {doomed.name, kept.name}
            )
        )
        alert = next(
            a
            for a in alerts
            if a.policy == doomed.name and a.kind == alert_pb2.ALERT_KIND_DATA_DRIFT
        )
        firing_before = {
            a.name
            for a in alerts
            if a.policy == doomed.name and a.state == alert_pb2.ALERT_STATE_FIRING
        }

        await monitoring.stub.DeleteMonitoringPolicy(
            pb.DeleteMonitoringPolicyRequest(name=doomed.name, reason="feature set changed"),
            metadata=monitoring.as_("developer"),
        )

        after = {a.name: a for a in await monitoring.alerts()}
        for name in firing_before:  # every alert of the deleted policy, at once
            assert after[name].state == alert_pb2.ALERT_STATE_RESOLVED, after[name]
            assert after[name].resolve_reason == (
                f"its policy {doomed.name} was deleted by developer-user: feature set changed"
            )
            assert after[name].HasField("resolve_time")
        assert any(
            a.policy == kept.name and a.state == alert_pb2.ALERT_STATE_FIRING
            for a in after.values()
        )  # the other policy's alerts are left alone
        resolved = [
            e
            for e in await _audit(monitoring, "monitoring.AlertResolved")
            if e.resource in firing_before
        ]
        assert sorted(e.resource for e in resolved) == sorted(firing_before)
        assert {e.principal.name for e in resolved} == {"developer-user"}
        deleted = await _audit(monitoring, "monitoring.DeleteMonitoringPolicy")
        assert alert.name in deleted[-1].payload_json
        # One call: the deletion and the resolutions carry its request id.
        assert {e.request_id for e in resolved} == {deleted[-1].request_id}
        assert deleted[-1].request_id

        # An evaluation that read the policy before the deletion and judges after it (the
        # evaluator holds its copy for a whole round) fires nothing: that alert would fire for
        # ever, with no policy left to resolve it.
        late = Alerts(migrated_db, SqlMonitoringRepository()).apply(
            policy_from_pb(doomed),
            report_from_pb(await monitoring.stored_report(alert.report)),
            {"data_drift": True},
            {"data_drift"},
            "",
        )
        assert late == []
        # Nor does the running service: waited for until a round that began after the
        # deletion has ended, not slept through. The kept policy's second window from now
        # is evaluated in a round that began after its first one (itself of rows logged after
        # the deletion) ended, and that round no longer knows the deleted policy.
        for seed in (24, 25):
            clean = traffic(tmp_path, 200, seed=seed)
            await monitoring.ingest(
                scored_records(fruit.version, fruit.model, clean.rows, FEATURES, prefix=f"c{seed}")
            )
            logged = await asyncio.to_thread(_last_seq, migrated_db)
            await wait_until(
                lambda upto=logged: _evaluated_upto(migrated_db, kept, fruit.version) >= upto,
                "the kept policy's next window",
            )
        assert [
            a.name
            for a in await monitoring.alerts(filter="state = FIRING")
            if a.policy == doomed.name
        ] == []


async def test_concept_drift_raises_a_performance_alert_once_labels_arrive_and_no_drift_alert(
    migrated_db: Database,
    tmp_path: Path,
    tokens_file: Path,
    tokens: dict[str, str],
    registry: Registry,
    service_token_file: Path,
    fruit: Fruit,
) -> None:
    window = traffic(tmp_path, 400, seed=31)
    async with running_monitoring(
        migrated_db,
        tmp_path / "monitoring",
        tokens_file,
        tokens,
        registry.address,
        service_token_file,
    ) as monitoring:
        policy = _policy()
        policy.window.row_count = 400
        await _create(monitoring, policy, "fruit-quality")
        records = scored_records(
            fruit.version, fruit.model, window.rows, FEATURES, prefix="concept", per_record=20
        )
        await monitoring.ingest(records)
        # The window is evaluated without labels first: nothing to say about performance.
        # Waited for (its report's row count), not slept through: a sleep on a slow machine
        # may end before the evaluation and prove nothing. The alerts of the evaluation are
        # stored right after its report, in the same step of the evaluator.
        rows = _key("window_rows", model="models/fruit", version=fruit.version)
        await wait_until(lambda: _metrics(monitoring).get(rows) == 400, "the unlabeled window")
        assert [
            a for a in await monitoring.alerts() if a.kind != alert_pb2.ALERT_KIND_DATA_QUALITY
        ] == []
        # The world changed: the label now follows the opposite rule, inputs unchanged.
        flipped = np.where(window.labels == "big", "small", "big").astype(object)
        await monitoring.label(
            [(r.request_id, flipped[i * 20 : (i + 1) * 20]) for i, r in enumerate(records)]
        )
        alerts = await monitoring.wait_alerts(
            lambda a: (
                {alert_pb2.ALERT_KIND_PERFORMANCE, alert_pb2.ALERT_KIND_CONCEPT_DRIFT}
                <= {x.kind for x in a}
            )
        )
        kinds = {a.kind for a in alerts}
        assert alert_pb2.ALERT_KIND_DATA_DRIFT not in kinds
        assert alert_pb2.ALERT_KIND_PREDICTION_DRIFT not in kinds
        performance = next(a for a in alerts if a.kind == alert_pb2.ALERT_KIND_PERFORMANCE)
        assert performance.severity == alert_pb2.ALERT_SEVERITY_CRITICAL
        judged = await monitoring.stored_report(performance.report)
        accuracy = next(m for m in judged.performance.metrics if m.metric == "accuracy")
        assert accuracy.degraded
        assert accuracy.value < 0.5 < accuracy.reference_value
        assert judged.performance.labeled_row_count == 400
        assert not judged.data_drift.drifted
        assert judged.performance.concept_drift.detected
