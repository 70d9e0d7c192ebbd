"""The monitoring contract as its comments state it: a stored report is read by name and a report
is computed by another method; an alert names its report; WatchAlerts resumes after a reconnect
from the last sequence it delivered; the three resources are annotated (AIP-123; that every field
states its behaviour is test_field_behavior.py's), every timestamp is a `*_time` (AIP-142) and
every enum that will grow says so.

Alert changes are made through the domain on the service's database, as another monitoring
process would make them: the servicer finds them by polling the event log, as it finds any other
process's, so neither traffic nor a trained model is needed."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import grpc
import pytest
from google.api import field_behavior_pb2, resource_pb2
from google.protobuf.descriptor import Descriptor, FieldDescriptor

from slipway.client.monitoring import after_alert_change, watch_alerts_request
from slipway.core.db import Database
from slipway.monitoring.v1 import (
    alert_pb2,
    drift_pb2,
    monitoring_policy_pb2,
    monitoring_report_pb2,
    prediction_record_pb2,
)
from slipway.monitoring.v1 import monitoring_service_pb2 as pb
from slipway.services.monitoring.domain.entities import Policy
from slipway.services.monitoring.storage.repository import SqlMonitoringRepository
from support.monitoring import Monitoring, judge_drift, running_monitoring
from support.registry import Registry
from support.waiting import wait_until

WAIT_SECONDS = 30.0
FIRED, RESOLVED = pb.ALERT_TRANSITION_FIRED, pb.ALERT_TRANSITION_RESOLVED
FILES = (
    alert_pb2,
    drift_pb2,
    monitoring_policy_pb2,
    monitoring_report_pb2,
    prediction_record_pb2,
    pb,
)


def _messages() -> list[Descriptor]:
    found = []
    for module in FILES:
        pending = list(module.DESCRIPTOR.message_types_by_name.values())
        while pending:
            message = pending.pop()
            if not message.GetOptions().map_entry:
                found.append(message)
                pending.extend(message.nested_types)
    return found


def _behaviours(field: FieldDescriptor) -> set[int]:
    return set(field.GetOptions().Extensions[field_behavior_pb2.field_behavior])


def _reference(field: FieldDescriptor) -> str:
    return field.GetOptions().Extensions[resource_pb2.resource_reference].type


def _policy(db: Database, policy_id: str, model: str = "models/m") -> Policy:
    """A stored policy (an alert's row locks its policy's)."""
    policy = Policy(name=f"monitoringPolicies/{policy_id}", model=model)
    with db.unit_of_work() as session:
        SqlMonitoringRepository().add_policy(
            session, policy_id, policy, "tester", datetime.now(UTC)
        )
    return policy


@pytest.fixture
async def monitoring(
    migrated_db: Database, tmp_path: Path, tokens_file: Path, tokens: dict[str, str]
) -> AsyncIterator[Monitoring]:
    """A monitoring service whose registry is never called (nothing here needs one)."""
    async with running_monitoring(
        migrated_db,
        tmp_path / "monitoring",
        tokens_file,
        tokens,
        "127.0.0.1:9",
        tokens_file,
        evaluate=False,
    ) as running:
        yield running


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


# -- static: the shapes ------------------------------------------------------------------------


def test_get_reads_a_stored_report_by_name_and_compute_takes_the_window() -> None:
    get = pb.GetMonitoringReportRequest.DESCRIPTOR
    assert [f.name for f in get.fields] == ["name"]
    assert _reference(get.fields_by_name["name"]) == "monitoring.slipway.dev/MonitoringReport"
    compute = pb.ComputeMonitoringReportRequest.DESCRIPTOR
    assert [f.name for f in compute.fields] == ["model_version", "policy", "start_time", "end_time"]
    service = pb.DESCRIPTOR.services_by_name["MonitoringService"]
    assert {"GetMonitoringReport", "ComputeMonitoringReport"} <= set(service.methods_by_name)


def test_an_alert_names_its_report_and_embeds_nothing_large() -> None:
    alert = alert_pb2.Alert.DESCRIPTOR
    report = alert.fields_by_name["report"]
    assert report.type == FieldDescriptor.TYPE_STRING
    assert _reference(report) == "monitoring.slipway.dev/MonitoringReport"
    embedded = [f.name for f in alert.fields if f.type == FieldDescriptor.TYPE_MESSAGE]
    assert embedded == ["fire_time", "resolve_time", "update_time"]


def test_resources_are_annotated_named_by_identifiers_and_etags_are_sent_back() -> None:
    resources = {
        m.name: m.GetOptions().Extensions[resource_pb2.resource]
        for m in _messages()
        if m.GetOptions().HasExtension(resource_pb2.resource)
    }
    assert set(resources) == {"Alert", "MonitoringPolicy", "MonitoringReport"}
    for name, resource in resources.items():
        assert resource.type == f"monitoring.slipway.dev/{name}"
        assert resource.pattern
        assert resource.plural
        assert resource.singular
    identified = {
        m.name
        for m in _messages()
        if any(field_behavior_pb2.IDENTIFIER in _behaviours(f) for f in m.fields)
    }
    assert identified == set(resources)
    etag = monitoring_policy_pb2.MonitoringPolicy.DESCRIPTOR.fields_by_name["etag"]
    assert field_behavior_pb2.OUTPUT_ONLY not in _behaviours(etag)
    model = monitoring_policy_pb2.MonitoringPolicy.DESCRIPTOR.fields_by_name["model"]
    assert field_behavior_pb2.IMMUTABLE in _behaviours(model)


def test_every_timestamp_is_a_time_and_every_growing_enum_says_so() -> None:
    wrong = [
        f"{m.full_name}.{f.name}"
        for m in _messages()
        for f in m.fields
        if f.message_type is not None
        and f.message_type.full_name == "google.protobuf.Timestamp"
        and not f.name.endswith("_time")
    ]
    assert not wrong, wrong
    growing = {
        "AlertKind",
        "RetrainingDecision",
        "SchemaIssueKind",
        "EstimationMethod",
        "DriftMethod",
        "ConceptDriftDetector",
        "PolicyAction",
        "TrafficRole",
        "AlertTransition",
    }
    sources = "".join(
        (Path(__file__).resolve().parents[2] / "protos" / module.DESCRIPTOR.name).read_text()
        for module in FILES
    )
    for enum in growing:
        said = sources.split(f"enum {enum} {{", 1)[0].rsplit("\n\n", 1)[-1]
        assert "More values will be added" in said, enum


# -- live: reports by name, alerts by sequence -------------------------------------------------


async def test_a_stored_report_is_read_by_name(
    monitoring: Monitoring, migrated_db: Database
) -> None:
    judge_drift(migrated_db, _policy(migrated_db, "stored"), "models/m/versions/1", drifted=True)
    [alert] = (
        await monitoring.stub.ListAlerts(pb.ListAlertsRequest(), metadata=monitoring.as_("viewer"))
    ).alerts
    assert alert.report.startswith("monitoringReports/")
    report = await monitoring.stored_report(alert.report)
    assert report.name == alert.report
    assert report.model_version == "models/m/versions/1"
    assert report.data_drift.drifted

    viewer = monitoring.as_("viewer")
    for name, code in (
        ("monitoringReports/missing", grpc.StatusCode.NOT_FOUND),
        ("models/m/versions/1", grpc.StatusCode.INVALID_ARGUMENT),
        ("", grpc.StatusCode.INVALID_ARGUMENT),
    ):
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await monitoring.stub.GetMonitoringReport(
                pb.GetMonitoringReportRequest(name=name), metadata=viewer
            )
        assert refused.value.code() == code, name


async def test_compute_reads_the_version_from_the_registry(
    registry: Registry,
    migrated_db: Database,
    tmp_path: Path,
    tokens_file: Path,
    tokens: dict[str, str],
    service_token_file: Path,
) -> None:
    async with running_monitoring(
        migrated_db,
        tmp_path / "monitoring",
        tokens_file,
        tokens,
        registry.address,
        service_token_file,
        evaluate=False,
    ) as monitoring:
        viewer = monitoring.as_("viewer")
        for request, code in (
            (
                pb.ComputeMonitoringReportRequest(model_version="models/none/versions/1"),
                grpc.StatusCode.NOT_FOUND,
            ),
            (pb.ComputeMonitoringReportRequest(), grpc.StatusCode.INVALID_ARGUMENT),
        ):
            with pytest.raises(grpc.aio.AioRpcError) as refused:
                await monitoring.stub.ComputeMonitoringReport(request, metadata=viewer)
            assert refused.value.code() == code, request


async def test_a_watch_resumes_after_the_last_sequence_it_processed(
    monitoring: Monitoring, migrated_db: Database
) -> None:
    policy = _policy(migrated_db, "watched")
    judge_drift(migrated_db, policy, "models/m/versions/1", drifted=True)

    # A watcher replays the stored change and disconnects.
    [first] = await _receive(monitoring, pb.WatchAlertsRequest(after_sequence=0), 1)
    assert first.transition == FIRED
    assert first.sequence > 0

    # While it is away, that alert resolves and another one fires.
    judge_drift(migrated_db, policy, "models/m/versions/1", drifted=False)
    judge_drift(migrated_db, policy, "models/m/versions/2", drifted=True)

    # Reconnected after its last sequence: exactly what it missed, in order, then a live change
    # on the same stream.
    resumed = pb.WatchAlertsRequest(model="models/m", after_sequence=first.sequence)
    seen: list[pb.WatchAlertsResponse] = []
    watcher = asyncio.create_task(_receive(monitoring, resumed, 3, into=seen))
    try:
        await wait_until(lambda: len(seen) >= 2, "the missed changes")
        judge_drift(migrated_db, policy, "models/m/versions/3", drifted=True)
        await watcher
    finally:
        watcher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watcher
    assert [(r.alert.model_version, r.transition) for r in seen] == [
        ("models/m/versions/1", RESOLVED),
        ("models/m/versions/2", FIRED),
        ("models/m/versions/3", FIRED),
    ]
    assert seen[0].alert.name == first.alert.name
    assert seen[0].alert.state == alert_pb2.ALERT_STATE_RESOLVED
    sequences = [first.sequence] + [r.sequence for r in seen]
    assert sequences == sorted(set(sequences)), "strictly increasing"

    # A watch that starts with the firing alerts gives them the position they were read at, so
    # resuming from it neither repeats nor misses a change.
    firing = await _receive(monitoring, pb.WatchAlertsRequest(include_firing=True), 2)
    assert {r.transition for r in firing} == {pb.ALERT_TRANSITION_EXISTING}
    assert {r.sequence for r in firing} == {seen[-1].sequence}


async def test_a_resume_position_must_be_valid(monitoring: Monitoring) -> None:
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
