"""Every mutating RPC of every service, called once through real servers, writes its audit
events: exactly the ones written out below (one, for an upload two), with the right action,
resource, principal and outcome; and the same call from a role that may not make it writes
exactly one DENIED event once its refusal window closes.

The methods come from the contracts and the role table (every method the table marks as a
change, and every method whose request takes an idempotency ``request_id``): a new mutating RPC
without a row here fails the test until its row is written. The expected action and resource of
each row are written by hand, not derived from the code under test.

All four services run in-process on one SQLite database (the audit log is shared), each with
the edge auditor `slipway <service>` builds, on a short refusal window.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import grpc
import numpy as np
import pytest
from google.protobuf.field_mask_pb2 import FieldMask

from slipway.audit.v1 import audit_event_pb2, audit_service_pb2, audit_service_pb2_grpc
from slipway.core.audit.recorder import DatabaseEdgeAuditor
from slipway.core.db import Database
from slipway.core.roles import ROLE_TABLE
from slipway.core.server import ServiceRegistration
from slipway.core.settings import ServiceSettings
from slipway.inference.v2 import grpc_service_pb2 as serving_pb
from slipway.inference.v2 import grpc_service_pb2_grpc as serving_grpc
from slipway.monitoring.v1 import monitoring_policy_pb2, prediction_record_pb2
from slipway.monitoring.v1 import monitoring_service_pb2 as monitoring_pb
from slipway.monitoring.v1 import monitoring_service_pb2_grpc as monitoring_grpc
from slipway.registry.v1 import model_pb2, model_version_pb2
from slipway.registry.v1 import registry_service_pb2 as registry_pb
from slipway.registry.v1 import registry_service_pb2_grpc as registry_grpc
from slipway.services.monitoring import main as monitoring_main
from slipway.services.monitoring.settings import MonitoringSettings
from slipway.services.registry import main as registry_main
from slipway.services.registry.settings import RegistrySettings
from slipway.services.serving import main as serving_main
from slipway.services.serving.settings import ServingSettings
from slipway.services.training import main as training_main
from slipway.services.training.settings import TrainingSettings
from slipway.training.v1 import training_service_pb2 as training_pb
from slipway.training.v1 import training_service_pb2_grpc as training_grpc
from support.harness import auth, running_server, settings_for
from support.monitoring import label_tensor, prediction_record
from support.registry import (
    SQLITE_ONLY,
    audit_filter,
    model_bytes,
    upload_requests,
    version_spec,
)
from support.services import ALL_APIS
from support.serving import iris_spec, register, train_locally
from support.training import job, registry_peer_settings
from support.waiting import wait_until

# Refusals are counted per window and written as it closes: short, so the test waits little.
REFUSAL_WINDOW_SECONDS = 0.5
# Refused at the edge: a role outside every mutating method's roles.
REFUSED_ROLE = "viewer"

Metadata = tuple[tuple[str, str], ...]


@dataclass
class Suite:
    """The four running services and their clients."""

    registry: registry_grpc.RegistryServiceAsyncStub
    training: training_grpc.TrainingServiceAsyncStub
    serving: serving_grpc.GRPCInferenceServiceAsyncStub
    monitoring: monitoring_grpc.MonitoringServiceAsyncStub
    audit: audit_service_pb2_grpc.AuditServiceAsyncStub
    tokens: dict[str, str]
    registry_address: str
    service_token_file: Path  # how versions to serve are registered (as training does)
    tmp_path: Path
    data_root: Path

    def as_(self, role: str) -> Metadata:
        return auth(self.tokens[role])


@dataclass
class Prepared:
    """One call, ready to be made with any caller's metadata, and what it must write: the
    ``(action, resource)`` of each OK event in order, and the resource its refusal names."""

    call: Callable[[Metadata], Awaitable[Any]]
    written: tuple[tuple[str, str], ...]
    refused_resource: str


@dataclass(frozen=True)
class Row:
    """A mutating RPC: an allowed role, and how to prepare its call (state it needs first)."""

    role: str
    prepare: Callable[[Suite], Awaitable[Prepared]]


# -- the registry ---------------------------------------------------------------------------


async def _model(s: Suite, model_id: str) -> str:
    reply = await s.registry.CreateModel(
        registry_pb.CreateModelRequest(model_id=model_id), metadata=s.as_("admin")
    )
    return str(reply.model.name)


async def _upload(s: Suite, metadata: Metadata, model_id: str) -> Any:
    data = model_bytes()
    return await s.registry.CreateModelVersion(
        upload_requests(f"models/{model_id}", data, version_spec(data)),
        metadata=metadata,
        timeout=60,
    )


async def _version(s: Suite, model_id: str) -> str:
    await _model(s, model_id)
    reply = await _upload(s, s.as_("admin"), model_id)
    assert reply.model_version.state == model_version_pb2.MODEL_VERSION_STATE_READY
    return str(reply.model_version.name)


async def create_model(s: Suite) -> Prepared:
    async def call(metadata: Metadata) -> Any:
        return await s.registry.CreateModel(
            registry_pb.CreateModelRequest(model_id="created"), metadata=metadata
        )

    return Prepared(call, (("registry.CreateModel", "models/created"),), "")


async def update_model(s: Suite) -> Prepared:
    await _model(s, "updated")

    async def call(metadata: Metadata) -> Any:
        return await s.registry.UpdateModel(
            registry_pb.UpdateModelRequest(
                model=model_pb2.Model(name="models/updated", description="new"),
                update_mask=FieldMask(paths=["description"]),
            ),
            metadata=metadata,
        )

    return Prepared(call, (("registry.UpdateModel", "models/updated"),), "models/updated")


async def delete_model(s: Suite) -> Prepared:
    await _model(s, "deleted")

    async def call(metadata: Metadata) -> Any:
        return await s.registry.DeleteModel(
            registry_pb.DeleteModelRequest(name="models/deleted", reason="unused"),
            metadata=metadata,
        )

    return Prepared(call, (("registry.DeleteModel", "models/deleted"),), "models/deleted")


async def create_model_version(s: Suite) -> Prepared:
    await _model(s, "uploaded")

    async def call(metadata: Metadata) -> Any:
        return await _upload(s, metadata, "uploaded")

    # An upload is two transactions: the version is reserved (PENDING), then made READY once
    # its bytes are stored; each writes its event.
    name = "models/uploaded/versions/1"
    return Prepared(
        call,
        (("registry.CreateModelVersion", name), ("registry.CreateModelVersion", name)),
        # A refusal comes before any message of the stream is read: no resource to name.
        "",
    )


async def update_model_version(s: Suite) -> Prepared:
    name = await _version(s, "described")

    async def call(metadata: Metadata) -> Any:
        return await s.registry.UpdateModelVersion(
            registry_pb.UpdateModelVersionRequest(
                model_version=model_version_pb2.ModelVersion(name=name, description="new"),
                update_mask=FieldMask(paths=["description"]),
            ),
            metadata=metadata,
        )

    expected = "models/described/versions/1"
    return Prepared(call, (("registry.UpdateModelVersion", expected),), expected)


async def archive_model_version(s: Suite) -> Prepared:
    name = await _version(s, "archived")

    async def call(metadata: Metadata) -> Any:
        return await s.registry.ArchiveModelVersion(
            registry_pb.ArchiveModelVersionRequest(name=name, reason="superseded"),
            metadata=metadata,
        )

    expected = "models/archived/versions/1"
    return Prepared(call, (("registry.ArchiveModelVersion", expected),), expected)


async def set_model_alias(s: Suite) -> Prepared:
    await _version(s, "aliased")

    async def call(metadata: Metadata) -> Any:
        return await s.registry.SetModelAlias(
            registry_pb.SetModelAliasRequest(
                name="models/aliased", alias="candidate", version_number=1
            ),
            metadata=metadata,
        )

    return Prepared(
        call, (("registry.SetModelAlias", "models/aliased@candidate"),), "models/aliased"
    )


async def delete_model_alias(s: Suite) -> Prepared:
    await _version(s, "unaliased")
    await s.registry.SetModelAlias(
        registry_pb.SetModelAliasRequest(
            name="models/unaliased", alias="candidate", version_number=1
        ),
        metadata=s.as_("admin"),
    )

    async def call(metadata: Metadata) -> Any:
        return await s.registry.DeleteModelAlias(
            registry_pb.DeleteModelAliasRequest(name="models/unaliased", alias="candidate"),
            metadata=metadata,
        )

    return Prepared(
        call,
        (("registry.DeleteModelAlias", "models/unaliased@candidate"),),
        "models/unaliased",
    )


# -- training ---------------------------------------------------------------------------------


async def _queued_job(s: Suite, metadata: Metadata) -> Any:
    # No worker runs in this test: the job stays QUEUED, so nothing else is written for it.
    return await s.training.CreateTrainingJob(
        training_pb.CreateTrainingJobRequest(training_job=job("models/wine")), metadata=metadata
    )


async def create_training_job(s: Suite) -> Prepared:
    async def call(metadata: Metadata) -> Any:
        reply = await _queued_job(s, metadata)
        # The job's name is chosen by the server: the row names it once the call answered.
        name = reply.training_job.name
        assert name.startswith("trainingJobs/"), name
        prepared.written = (("training.CreateTrainingJob", name),)
        return reply

    prepared = Prepared(call, (), "")
    return prepared


async def cancel_training_job(s: Suite) -> Prepared:
    name = str((await _queued_job(s, s.as_("developer"))).training_job.name)

    async def call(metadata: Metadata) -> Any:
        return await s.training.CancelTrainingJob(
            training_pb.CancelTrainingJobRequest(name=name), metadata=metadata
        )

    return Prepared(call, (("training.CancelTrainingJob", name),), name)


# -- serving (the repository extension: which model a process serves) ------------------------


async def _served_version(s: Suite, model_id: str) -> None:
    trained = train_locally(iris_spec(), s.tmp_path / f"{model_id}-model", s.data_root)
    registry = SimpleNamespace(address=s.registry_address)  # all `register` needs of it
    await register(registry, s.service_token_file, model_id, trained)


async def repository_model_load(s: Suite) -> Prepared:
    await _served_version(s, "loaded")

    async def call(metadata: Metadata) -> Any:
        return await s.serving.RepositoryModelLoad(
            serving_pb.RepositoryModelLoadRequest(model_name="loaded@1"), metadata=metadata
        )

    return Prepared(call, (("serving.RepositoryModelLoad", "models/loaded"),), "loaded@1")


async def repository_model_unload(s: Suite) -> Prepared:
    await _served_version(s, "unloaded")
    await s.serving.RepositoryModelLoad(
        serving_pb.RepositoryModelLoadRequest(model_name="unloaded@1"), metadata=s.as_("admin")
    )

    async def call(metadata: Metadata) -> Any:
        return await s.serving.RepositoryModelUnload(
            serving_pb.RepositoryModelUnloadRequest(model_name="unloaded"), metadata=metadata
        )

    return Prepared(call, (("serving.RepositoryModelUnload", "models/unloaded"),), "unloaded")


# -- monitoring -----------------------------------------------------------------------------


async def ingest_predictions(s: Suite) -> Prepared:
    record = prediction_record(
        "models/scored/versions/1",
        "scored-1",
        {"x": np.array([1.0, 2.0])},
        {"predict": np.array([0, 1])},
    )

    async def call(metadata: Metadata) -> Any:
        async def batches() -> AsyncIterator[monitoring_pb.IngestPredictionsRequest]:
            yield monitoring_pb.IngestPredictionsRequest(records=[record])

        reply = await s.monitoring.IngestPredictions(batches(), metadata=metadata)
        assert reply.accepted_record_count == 1
        return reply

    return Prepared(call, (("monitoring.IngestPredictions", "models/scored"),), "")


async def ingest_ground_truth(s: Suite) -> Prepared:
    async def call(metadata: Metadata) -> Any:
        return await s.monitoring.IngestGroundTruth(
            monitoring_pb.IngestGroundTruthRequest(
                ground_truths=[
                    prediction_record_pb2.GroundTruth(
                        request_id="unknown-yet",
                        labels=label_tensor(np.array([1])),
                    )
                ]
            ),
            metadata=metadata,
        )

    return Prepared(call, (("monitoring.IngestGroundTruth", "groundTruth"),), "")


async def _policy(s: Suite, policy_id: str) -> str:
    await _model(s, f"{policy_id}-model")
    reply = await s.monitoring.CreateMonitoringPolicy(
        monitoring_pb.CreateMonitoringPolicyRequest(
            monitoring_policy=monitoring_policy_pb2.MonitoringPolicy(
                model=f"models/{policy_id}-model"
            ),
            monitoring_policy_id=policy_id,
        ),
        metadata=s.as_("admin"),
    )
    return str(reply.monitoring_policy.name)


async def create_monitoring_policy(s: Suite) -> Prepared:
    await _model(s, "watched")

    async def call(metadata: Metadata) -> Any:
        return await s.monitoring.CreateMonitoringPolicy(
            monitoring_pb.CreateMonitoringPolicyRequest(
                monitoring_policy=monitoring_policy_pb2.MonitoringPolicy(model="models/watched"),
                monitoring_policy_id="watched",
            ),
            metadata=metadata,
        )

    return Prepared(
        call, (("monitoring.CreateMonitoringPolicy", "monitoringPolicies/watched"),), ""
    )


async def update_monitoring_policy(s: Suite) -> Prepared:
    name = await _policy(s, "retuned")

    async def call(metadata: Metadata) -> Any:
        return await s.monitoring.UpdateMonitoringPolicy(
            monitoring_pb.UpdateMonitoringPolicyRequest(
                monitoring_policy=monitoring_policy_pb2.MonitoringPolicy(
                    name=name, description="new"
                ),
                update_mask=FieldMask(paths=["description"]),
            ),
            metadata=metadata,
        )

    expected = "monitoringPolicies/retuned"
    return Prepared(call, (("monitoring.UpdateMonitoringPolicy", expected),), expected)


async def delete_monitoring_policy(s: Suite) -> Prepared:
    name = await _policy(s, "dropped")

    async def call(metadata: Metadata) -> Any:
        return await s.monitoring.DeleteMonitoringPolicy(
            monitoring_pb.DeleteMonitoringPolicyRequest(name=name, reason="unused"),
            metadata=metadata,
        )

    expected = "monitoringPolicies/dropped"
    return Prepared(call, (("monitoring.DeleteMonitoringPolicy", expected),), expected)


# -- the table ------------------------------------------------------------------------------

REGISTRY = "/slipway.registry.v1.RegistryService/"
TRAINING = "/slipway.training.v1.TrainingService/"
MONITORING = "/slipway.monitoring.v1.MonitoringService/"
SERVING = "/inference.GRPCInferenceService/"

ROWS: dict[str, Row] = {
    REGISTRY + "CreateModel": Row("developer", create_model),
    REGISTRY + "UpdateModel": Row("developer", update_model),
    REGISTRY + "DeleteModel": Row("developer", delete_model),
    REGISTRY + "CreateModelVersion": Row("developer", create_model_version),
    REGISTRY + "UpdateModelVersion": Row("developer", update_model_version),
    REGISTRY + "ArchiveModelVersion": Row("developer", archive_model_version),
    REGISTRY + "SetModelAlias": Row("developer", set_model_alias),
    REGISTRY + "DeleteModelAlias": Row("developer", delete_model_alias),
    TRAINING + "CreateTrainingJob": Row("developer", create_training_job),
    TRAINING + "CancelTrainingJob": Row("developer", cancel_training_job),
    MONITORING + "IngestPredictions": Row("server", ingest_predictions),
    MONITORING + "IngestGroundTruth": Row("developer", ingest_ground_truth),
    MONITORING + "CreateMonitoringPolicy": Row("developer", create_monitoring_policy),
    MONITORING + "UpdateMonitoringPolicy": Row("developer", update_monitoring_policy),
    MONITORING + "DeleteMonitoringPolicy": Row("developer", delete_monitoring_policy),
    SERVING + "RepositoryModelLoad": Row("admin", repository_model_load),
    SERVING + "RepositoryModelUnload": Row("admin", repository_model_unload),
}


def _takes_request_id(method: Any) -> bool:
    fields = dict(method.input_type.fields_by_name)
    first = fields.get("metadata")
    if method.client_streaming and first is not None and first.message_type is not None:
        fields.update(first.message_type.fields_by_name)
    return "request_id" in fields


def mutating_methods() -> set[str]:
    """Every method the role table audits as a change, and every method whose contract takes
    an idempotency request id (a new RPC missing from the role table is still found)."""
    found = set()
    for api in ALL_APIS:
        for method in api.methods:
            path = f"/{api.full_name}/{method.name}"
            if ROLE_TABLE.mutates(path) or _takes_request_id(method):
                found.add(path)
    return found


def test_every_mutating_rpc_has_a_row() -> None:
    assert set(ROWS) == mutating_methods()
    for path, row in ROWS.items():
        assert row.role in ROLE_TABLE.roles_for(path), path
        assert REFUSED_ROLE not in ROLE_TABLE.roles_for(path), path


# -- the servers ----------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def _audited(
    db: Database, settings: ServiceSettings, services: list[ServiceRegistration], name: str
) -> AsyncIterator[tuple[grpc.aio.Channel, str]]:
    """A server with the edge auditor `slipway <name>` builds, on a short refusal window; a
    channel to it, and its address."""
    auditor = DatabaseEdgeAuditor(db, name, refusal_window_seconds=REFUSAL_WINDOW_SECONDS)
    async with (
        running_server(settings, services, auditor=auditor) as server,
        grpc.aio.insecure_channel(server.grpc_address) as channel,
    ):
        yield channel, server.grpc_address


@pytest.fixture
async def suite(
    migrated_db: Database,
    tmp_path: Path,
    tokens_file: Path,
    tokens: dict[str, str],
    data_root: Path,
    service_token_file: Path,
) -> AsyncIterator[Suite]:
    def home(name: str) -> Path:
        path = tmp_path / name
        path.mkdir()
        return path

    trainer_token_file = tmp_path / "trainer.token"
    trainer_token_file.write_text(tokens["trainer"] + "\n")
    registry_home = home("registry")
    registry_settings = settings_for(
        RegistrySettings,
        registry_home,
        tokens_file=tokens_file,
        artifact_dir=tmp_path / "artifacts",
        **registry_peer_settings(registry_home, tokens),
    )
    registry_app = registry_main.build(registry_settings, migrated_db)
    async with _audited(migrated_db, registry_settings, registry_app.services, "registry") as (
        rc,
        registry_address,
    ):
        peers = {"registry_target": registry_address, "tokens_file": tokens_file}
        training_settings = settings_for(
            TrainingSettings,
            home("training"),
            data_root=data_root,
            registry_token_file=trainer_token_file,
            **peers,
        )
        monitoring_settings = settings_for(
            MonitoringSettings, home("monitoring"), registry_token_file=service_token_file, **peers
        )
        serving_settings = settings_for(
            ServingSettings,
            home("serving"),
            registry_token_file=service_token_file,
            cache_dir=tmp_path / "serving-cache",
            **peers,
        )
        # No training worker and no monitoring evaluator: nothing writes to the audit log
        # but the calls of the test.
        training_app = training_main.build(training_settings, migrated_db)
        monitoring_app = monitoring_main.build(monitoring_settings, migrated_db)
        serving_app = serving_main.build(serving_settings, migrated_db)
        async with (
            _audited(migrated_db, training_settings, training_app.services, "training") as (tc, _),
            _audited(migrated_db, monitoring_settings, monitoring_app.services, "monitoring") as (
                mc,
                _,
            ),
            _audited(migrated_db, serving_settings, serving_app.services, "serving") as (sc, _),
        ):
            assert serving_app.on_ready is not None
            await serving_app.on_ready()
            try:
                yield Suite(
                    registry_grpc.RegistryServiceStub(rc),
                    training_grpc.TrainingServiceStub(tc),
                    serving_grpc.GRPCInferenceServiceStub(sc),
                    monitoring_grpc.MonitoringServiceStub(mc),
                    audit_service_pb2_grpc.AuditServiceStub(rc),
                    tokens,
                    registry_address,
                    service_token_file,
                    tmp_path,
                    data_root,
                )
            finally:
                for app in (serving_app, monitoring_app, training_app):
                    if app.on_stopping is not None:
                        await app.on_stopping()
        if registry_app.on_stopping is not None:
            await registry_app.on_stopping()


# -- reading the log ------------------------------------------------------------------------


async def events_after(s: Suite, sequence: int) -> list[audit_event_pb2.AuditEvent]:
    """Every audit event after ``sequence``, oldest first."""
    found: list[audit_event_pb2.AuditEvent] = []
    token = ""
    for _ in range(100):
        page = await s.audit.ListAuditEvents(
            audit_service_pb2.ListAuditEventsRequest(
                filter=audit_filter(min_sequence=sequence + 1),
                page_size=1000,
                page_token=token,
            ),
            metadata=s.as_("auditor"),
        )
        found.extend(page.events)
        token = page.next_page_token
        if not token:
            return found
    pytest.fail("more than 100 pages of audit events")


async def last_sequence(s: Suite) -> int:
    page = await s.audit.ListAuditEvents(
        audit_service_pb2.ListAuditEventsRequest(page_size=1, order_by="sequence desc"),
        metadata=s.as_("auditor"),
    )
    return int(page.events[0].sequence) if page.events else 0


def seen(events: list[audit_event_pb2.AuditEvent]) -> list[tuple[str, str, str, str]]:
    return [
        (
            e.action,
            e.resource,
            audit_event_pb2.AuditOutcome.Name(e.outcome),
            e.principal.name,
        )
        for e in events
    ]


# -- the test -------------------------------------------------------------------------------


@SQLITE_ONLY  # the audit log is the same code on both; one database keeps this quick
async def test_every_mutating_rpc_writes_exactly_its_audit_events(suite: Suite) -> None:
    assert set(ROWS) == mutating_methods()  # the table covers every mutating RPC
    prepared: dict[str, Prepared] = {}
    for path, row in ROWS.items():
        case = await row.prepare(suite)
        prepared[path] = case
        before = await last_sequence(suite)
        await case.call(suite.as_(row.role))
        principal = f"{row.role}-user"
        assert seen(await events_after(suite, before)) == [
            (action, resource, "AUDIT_OUTCOME_OK", principal) for action, resource in case.written
        ], path

    # Refused at the edge, each method once: counted, then one DENIED event per method when
    # the window closes (and nothing else).
    before = await last_sequence(suite)
    for path, case in prepared.items():
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await case.call(suite.as_(REFUSED_ROLE))
        assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED, path

    async def all_written() -> list[audit_event_pb2.AuditEvent]:
        events = await events_after(suite, before)
        return events if len(events) >= len(prepared) else []

    events = await wait_until(all_written, "the refusals' audit events", within=60.0)
    principal = f"{REFUSED_ROLE}-user"
    expected = {
        (refused_action(path), case.refused_resource, "AUDIT_OUTCOME_DENIED", principal)
        for path, case in prepared.items()
    }
    written = seen(events)
    assert len(written) == len(set(written)), written  # one event per method, not more
    assert set(written) == expected, (set(written) - expected, expected - set(written))
    for event in events:
        assert (event.status_code, event.error_reason) == ("PERMISSION_DENIED", "ROLE_NOT_ALLOWED")
        assert '"refusals":1' in event.payload_json, event.payload_json


def refused_action(path: str) -> str:
    """Written out: the action the edge records for a refused call of each service, the same
    as for an allowed one (serving's, under the Open Inference Protocol's ``inference``
    package, too), so that a filter on an action finds its refusals."""
    service, method = path.strip("/").split("/")
    prefix = {
        "slipway.registry.v1.RegistryService": "registry",
        "slipway.training.v1.TrainingService": "training",
        "slipway.monitoring.v1.MonitoringService": "monitoring",
        "inference.GRPCInferenceService": "serving",
    }[service]
    return f"{prefix}.{method}"
