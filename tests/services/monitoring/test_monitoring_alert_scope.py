"""What an alert and a policy cover: an alert of a version that left the alias its traffic came
through resolves with that reason (audited, streamed to watchers), and a new policy judges the
traffic logged after it was created, never older windows; on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable
from pathlib import Path

import grpc
from google.protobuf import field_mask_pb2
from sqlalchemy import select

from slipway.audit.v1 import audit_service_pb2
from slipway.core.db import Database
from slipway.monitoring.v1 import alert_pb2, prediction_record_pb2
from slipway.monitoring.v1 import monitoring_policy_pb2 as policy_pb2
from slipway.monitoring.v1 import monitoring_service_pb2 as pb
from slipway.services.monitoring.storage.tables import EvaluationRow
from support.monitoring import FEATURES, Fruit, Monitoring, running_monitoring, scored_records
from support.monitoring import traffic as draw_traffic
from support.registry import Registry
from support.serving import register, set_alias
from support.waiting import wait_until


def _policy() -> policy_pb2.MonitoringPolicy:
    """A policy over windows of 200 rows, verdicts from 100."""
    return policy_pb2.MonitoringPolicy(
        model="models/fruit", window=policy_pb2.WindowSpec(row_count=200), min_samples=100
    )


async def _create(monitoring: Monitoring, policy_id: str) -> policy_pb2.MonitoringPolicy:
    reply = await monitoring.stub.CreateMonitoringPolicy(
        pb.CreateMonitoringPolicyRequest(
            monitoring_policy=_policy(), monitoring_policy_id=policy_id, reason="watch fruit"
        ),
        metadata=monitoring.as_("developer"),
    )
    return reply.monitoring_policy


async def _audit(monitoring: Monitoring, action: str) -> list[audit_service_pb2.AuditEvent]:
    reply = await monitoring.audit.ListAuditEvents(
        audit_service_pb2.ListAuditEventsRequest(page_size=1000), metadata=monitoring.as_("auditor")
    )
    return [e for e in reply.events if e.action == action]


def _cursor(db: Database, policy: policy_pb2.MonitoringPolicy) -> tuple[int, int] | None:
    """The (first, last) sequence of the last window ``policy`` evaluated of fruit's version."""
    with db.unit_of_work(read_only=True) as session:
        row = session.scalars(
            select(EvaluationRow).where(EvaluationRow.policy == policy.name.rsplit("/", 1)[-1])
        ).one_or_none()
        return None if row is None else (row.first_seq, row.last_seq)


def _drifted_records(
    tmp_path: Path, fruit: Fruit, seed: int, prefix: str, alias: str = ""
) -> list[prediction_record_pb2.PredictionRecord]:
    """200 rows of which two of three features drifted, as ``fruit`` answered them."""
    drifted = draw_traffic(tmp_path, 200, seed=seed)
    drifted.rows[:, 1] = drifted.rows[:, 1].astype(float) + 40.0
    drifted.rows[:, 0] = drifted.rows[:, 0].astype(float) * 1.5
    records = scored_records(fruit.version, fruit.model, drifted.rows, FEATURES, prefix=prefix)
    for record in records:
        record.alias = alias
    return records


def _drift_of(policy: str, version: str = "") -> Callable[[list[alert_pb2.Alert]], bool]:
    def check(alerts: list[alert_pb2.Alert]) -> bool:
        return any(
            a.policy == policy
            and a.kind == alert_pb2.ALERT_KIND_DATA_DRIFT
            and a.state == alert_pb2.ALERT_STATE_FIRING
            and (not version or a.model_version == version)
            for a in alerts
        )

    return check


async def test_an_alert_resolves_when_its_version_leaves_the_alias_it_was_watched_under(
    migrated_db: Database,
    tmp_path: Path,
    tokens_file: Path,
    tokens: dict[str, str],
    registry: Registry,
    service_token_file: Path,
    fruit: Fruit,
) -> None:
    second = await register(registry, service_token_file, "fruit", fruit.trained)
    async with running_monitoring(
        migrated_db,
        tmp_path / "monitoring",
        tokens_file,
        tokens,
        registry.address,
        service_token_file,
    ) as monitoring:
        policy = await _create(monitoring, "fruit-production")
        await monitoring.ingest(
            _drifted_records(tmp_path, fruit, seed=31, prefix="p", alias="production")
        )
        alerts = await monitoring.wait_alerts(_drift_of(policy.name, fruit.version))
        alert = next(a for a in alerts if a.kind == alert_pb2.ALERT_KIND_DATA_DRIFT)

        seen: list[pb.WatchAlertsResponse] = []

        async def watch() -> None:
            request = pb.WatchAlertsRequest(model="models/fruit", include_firing=True)
            async for reply in monitoring.stub.WatchAlerts(
                request, metadata=monitoring.as_("viewer")
            ):
                seen.append(reply)

        watcher = asyncio.create_task(watch())
        # Subscribed once it reports the firing alert; the resolution comes after.
        await wait_until(
            lambda: any(r.alert.name == alert.name for r in seen), "the watch to subscribe"
        )
        # While production still points at the version, its alert keeps firing.
        assert (
            await monitoring.stub.GetAlert(
                pb.GetAlertRequest(name=alert.name), metadata=monitoring.as_("viewer")
            )
        ).alert.state == alert_pb2.ALERT_STATE_FIRING

        await set_alias(registry, "fruit", "production", second)

        after = await monitoring.wait_alerts(
            lambda a: any(
                x.name == alert.name and x.state == alert_pb2.ALERT_STATE_RESOLVED for x in a
            )
        )
        gone = next(a for a in after if a.name == alert.name)
        assert gone.resolve_reason == (
            f"{fruit.version} left the alias it was watched under: "
            f"production (now models/fruit/versions/{second})"
        )
        assert gone.HasField("resolve_time")
        await wait_until(
            lambda: any(
                r.alert.name == alert.name and r.transition == pb.ALERT_TRANSITION_RESOLVED
                for r in seen
            ),
            "the watch to report the resolution",
        )
        watcher.cancel()
        with contextlib.suppress(asyncio.CancelledError, grpc.aio.AioRpcError):
            await watcher
        [resolved] = [
            e
            for e in await _audit(monitoring, "monitoring.AlertResolved")
            if e.resource == alert.name
        ]
        assert resolved.principal.name == "service-user"
        assert resolved.reason == gone.resolve_reason
        assert json.loads(resolved.payload_json)["resolved_by_alias_departure"] == {
            "production": f"models/fruit/versions/{second}"
        }
        assert resolved.request_id
        still = await monitoring.alerts(
            filter=f'state = FIRING AND model_version = "{fruit.version}"'
        )
        assert still == []


async def test_a_new_policy_fires_on_traffic_after_its_creation_not_on_older_windows(
    migrated_db: Database,
    tmp_path: Path,
    tokens_file: Path,
    tokens: dict[str, str],
    registry: Registry,
    service_token_file: Path,
    fruit: Fruit,
) -> None:
    async with running_monitoring(
        migrated_db,
        tmp_path / "monitoring",
        tokens_file,
        tokens,
        registry.address,
        service_token_file,
    ) as monitoring:
        # A policy that existed when the old traffic came fires on it: the traffic drifted.
        early = await _create(monitoring, "fruit-early")
        await monitoring.ingest(_drifted_records(tmp_path, fruit, seed=32, prefix="old"))
        await monitoring.wait_alerts(_drift_of(early.name))

        late = await _create(monitoring, "fruit-late")
        await monitoring.ingest(_drifted_records(tmp_path, fruit, seed=33, prefix="new"))
        alerts = await monitoring.wait_alerts(_drift_of(late.name))
        [alert] = [
            a for a in alerts if a.policy == late.name and a.kind == alert_pb2.ALERT_KIND_DATA_DRIFT
        ]
        # It fired on its first window, which holds the new traffic only (the report it fired
        # on is in the audit; later windows would replace the alert's own).
        [fired] = [
            e for e in await _audit(monitoring, "monitoring.AlertFired") if e.resource == alert.name
        ]
        report = await monitoring.stored_report(json.loads(fired.payload_json)["report"])
        assert report.window.row_count == 200
        assert report.window.start_time.ToDatetime() >= late.create_time.ToDatetime()
        # No alert of it, firing or resolved, was ever raised on the old windows.
        assert [a.name for a in await monitoring.alerts() if a.policy == late.name] == [
            a.name for a in alerts if a.policy == late.name
        ]

        # An updated policy keeps its place: the next window is the next traffic, which is
        # clean and resolves the alert.
        cursor = await asyncio.to_thread(_cursor, migrated_db, late)
        assert cursor is not None
        late.description = "watch fruit, described"
        await monitoring.stub.UpdateMonitoringPolicy(
            pb.UpdateMonitoringPolicyRequest(
                monitoring_policy=late,
                update_mask=field_mask_pb2.FieldMask(paths=["description"]),
                reason="describe it",
            ),
            metadata=monitoring.as_("developer"),
        )
        assert await asyncio.to_thread(_cursor, migrated_db, late) == cursor
        clean = draw_traffic(tmp_path, 200, seed=34)
        await monitoring.ingest(
            scored_records(fruit.version, fruit.model, clean.rows, FEATURES, prefix="clean")
        )
        await monitoring.wait_alerts(
            lambda found: any(
                a.name == alert.name and a.state == alert_pb2.ALERT_STATE_RESOLVED for a in found
            )
        )
