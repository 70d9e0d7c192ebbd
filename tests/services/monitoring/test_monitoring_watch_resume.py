"""WatchAlerts resumes after a reconnect: every change carries its sequence in the monitoring
event log, and a watcher that reconnects with ``after_sequence`` first receives the changes it
missed, in order, then live ones; the Python client resumes the same way on UNAVAILABLE.

Alert changes are made through the domain on the service's database (as another monitoring
process would): the servicer finds them by polling the event log, as it finds any other
process's, so no registry or traffic is needed."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import grpc
import pytest

from slipway.client.monitoring import after_alert_change, watch_alerts_request
from slipway.core.db import Database
from slipway.monitoring.v1 import alert_pb2
from slipway.monitoring.v1 import monitoring_service_pb2 as pb
from slipway.services.monitoring.domain.alerts import Alerts
from slipway.services.monitoring.domain.entities import (
    DataQuality,
    DatasetDrift,
    Policy,
    Report,
    ReportWindow,
)
from slipway.services.monitoring.storage.repository import SqlMonitoringRepository
from support.monitoring import Monitoring, running_monitoring
from support.waiting import wait_until

WAIT_SECONDS = 30.0
FIRED, RESOLVED = pb.ALERT_TRANSITION_FIRED, pb.ALERT_TRANSITION_RESOLVED


def _policy(db: Database, policy_id: str) -> Policy:
    """A stored policy of models/m (the alerts' rows lock it)."""
    now = datetime.now(UTC)
    policy = Policy(name=f"monitoringPolicies/{policy_id}", model="models/m")
    with db.unit_of_work() as session:
        SqlMonitoringRepository().add_policy(session, policy_id, policy, "tester", now)
    return policy


def _report(version: str) -> Report:
    now = datetime.now(UTC)
    return Report(
        model="models/m",
        model_version=version,
        policy="",
        window=ReportWindow(now, now, 10, 10),
        create_time=now,
        reference_row_count=10,
        sufficient_samples=True,
        data_quality=DataQuality(),
        data_drift=DatasetDrift(drifted=True, share_threshold=0.5),
    )


def _judge(db: Database, policy: Policy, version: str, drifted: bool) -> None:
    """One window of ``version`` judged: fires, or resolves, its data drift alert."""
    changes = Alerts(db, SqlMonitoringRepository()).apply(
        policy, _report(version), {"data_drift": drifted}, {"data_drift"}, ""
    )
    assert len(changes) == 1


async def _receive(
    monitoring: Monitoring,
    request: pb.WatchAlertsRequest,
    count: int,
    into: list[pb.WatchAlertsResponse] | None = None,
) -> list[pb.WatchAlertsResponse]:
    """The first ``count`` messages of a watch (appended to ``into`` as they come, if given);
    then the stream is closed, as a disconnect closes it."""
    call = monitoring.stub.WatchAlerts(request, metadata=monitoring.as_("viewer"))
    got: list[pb.WatchAlertsResponse] = [] if into is None else into
    try:
        async with asyncio.timeout(WAIT_SECONDS):
            async for reply in call:
                got.append(reply)
                if len(got) >= count:
                    break
    finally:
        call.cancel()
    return got


async def test_a_watch_resumes_after_the_last_sequence_it_processed(
    migrated_db: Database, tmp_path: Path, tokens_file: Path, tokens: dict[str, str]
) -> None:
    async with running_monitoring(
        migrated_db,
        tmp_path / "monitoring",
        tokens_file,
        tokens,
        "127.0.0.1:9",  # never called: nothing here needs the registry
        tokens_file,
        evaluate=False,
    ) as monitoring:
        policy = _policy(migrated_db, "watched")
        _judge(migrated_db, policy, "models/m/versions/1", drifted=True)

        # A watcher replays the stored change and disconnects.
        [first] = await _receive(monitoring, pb.WatchAlertsRequest(after_sequence=0), 1)
        assert first.transition == FIRED
        assert first.sequence > 0
        alert = first.alert.name

        # While it is away, that alert resolves and another one fires.
        _judge(migrated_db, policy, "models/m/versions/1", drifted=False)
        _judge(migrated_db, policy, "models/m/versions/2", drifted=True)

        # Reconnected after its last sequence: exactly what it missed, in order, then a live
        # change on the same stream.
        resumed = pb.WatchAlertsRequest(model="models/m", after_sequence=first.sequence)
        seen: list[pb.WatchAlertsResponse] = []

        async def watch() -> None:
            await _receive(monitoring, resumed, 3, into=seen)

        watcher = asyncio.create_task(watch())
        await wait_until(lambda: len(seen) >= 2, "the missed changes")
        _judge(migrated_db, policy, "models/m/versions/3", drifted=True)
        await watcher
        missed_and_live = seen
        assert [(r.alert.model_version, r.transition) for r in missed_and_live] == [
            ("models/m/versions/1", RESOLVED),
            ("models/m/versions/2", FIRED),
            ("models/m/versions/3", FIRED),
        ]
        assert missed_and_live[0].alert.name == alert
        assert missed_and_live[0].alert.state == alert_pb2.ALERT_STATE_RESOLVED
        sequences = [first.sequence] + [r.sequence for r in missed_and_live]
        assert sequences == sorted(set(sequences)), "strictly increasing"

        # A watch that starts with the firing alerts gives them the position they were read
        # at, so resuming from it neither repeats nor misses a change.
        firing = await _receive(monitoring, pb.WatchAlertsRequest(include_firing=True), 2)
        assert {r.transition for r in firing} == {pb.ALERT_TRANSITION_EXISTING}
        assert {r.sequence for r in firing} == {missed_and_live[-1].sequence}


async def test_a_resume_position_must_be_valid(
    migrated_db: Database, tmp_path: Path, tokens_file: Path, tokens: dict[str, str]
) -> None:
    async with running_monitoring(
        migrated_db,
        tmp_path / "monitoring",
        tokens_file,
        tokens,
        "127.0.0.1:9",
        tokens_file,
        evaluate=False,
    ) as monitoring:
        for request in (
            pb.WatchAlertsRequest(after_sequence=-1),
            pb.WatchAlertsRequest(after_sequence=3, include_firing=True),
        ):
            with pytest.raises(grpc.aio.AioRpcError) as refused:
                await _receive(monitoring, request, 1)
            assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_the_client_resumes_after_the_last_change_or_restarts_the_firing_list() -> None:
    request = watch_alerts_request("m", include_firing=True, after_sequence=None)
    assert request.model == "models/m"
    assert not request.HasField("after_sequence")
    changed = pb.WatchAlertsResponse(transition=FIRED, sequence=41)
    resumed = after_alert_change(request, changed)
    assert resumed.HasField("after_sequence")
    assert (resumed.model, resumed.after_sequence) == ("models/m", 41)
    assert not resumed.include_firing
    # Broken while the firing alerts were coming: their list is sent again from the start.
    existing = pb.WatchAlertsResponse(transition=pb.ALERT_TRANSITION_EXISTING, sequence=41)
    again = after_alert_change(request, existing)
    assert again.include_firing
    assert not again.HasField("after_sequence")
