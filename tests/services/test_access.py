"""Every service refuses calls without a token and mutating calls from viewers; health (and
serving's ServerLive and ServerReady) is open.

Each service is started in-process the way its entry point builds it, on the embedded database,
and every RPC of its contract (plus the audit API every service answers) is called for real.
"""

from __future__ import annotations

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from slipway.core.bootstrap import open_database
from slipway.core.roles import ROLE_TABLE, ROLES, VIEWER
from slipway.core.server import ServiceRegistration
from support.harness import auth, make_tokens, running_server, settings_for
from support.probe import rich_details
from support.services import ALL_APIS, AUDIT_API, LINEAGE_API, SERVICES

# Who may call what, written out by hand from the documented roles rather than read from the
# product's table: a change to ROLE_TABLE that grants or drops a role fails here until this is
# changed too, on purpose. Peers: trainer (training), server (serving), monitor (monitoring);
# `service` is the deprecated role holding all of their powers and backend callers' ingest.
PEOPLE_READ = {"viewer", "developer", "approver", "auditor", "admin"}
PEERS = {"trainer", "server", "monitor", "service"}
READ = PEOPLE_READ | PEERS
WRITE = {"developer", "approver", "admin", "service"}
AUDIT = {"auditor", "admin"}
EXPECTED_ROLES = {
    "slipway.registry.v1.RegistryService": {
        "CreateModel": WRITE,
        "GetModel": READ,
        "ListModels": READ,
        "UpdateModel": WRITE,
        "DeleteModel": WRITE,
        "CreateModelVersion": WRITE | {"trainer"},
        "GetModelVersion": READ,
        "ListModelVersions": READ,
        "UpdateModelVersion": WRITE,
        "ArchiveModelVersion": WRITE,
        "DownloadModelVersion": READ,
        "SetModelAlias": WRITE | {"trainer"},  # a peer only for its verified job's alias
        "DeleteModelAlias": WRITE,
        "ListAliasHistory": READ,
        "WatchModelEvents": READ,
    },
    "slipway.lineage.v1.LineageService": {
        "GetLineageReport": READ,
    },
    "slipway.training.v1.TrainingService": {
        "CreateTrainingJob": WRITE | {"monitor"},
        "GetTrainingJob": READ,
        "ListTrainingJobs": READ,
        "CancelTrainingJob": WRITE,
        "WatchTrainingJob": READ,
    },
    "slipway.monitoring.v1.MonitoringService": {
        "IngestPredictions": {"server", "service", "admin"},
        "IngestGroundTruth": WRITE,
        "GetMonitoringReport": READ,
        "ComputeMonitoringReport": READ,
        "CreateMonitoringPolicy": WRITE,
        "GetMonitoringPolicy": READ,
        "ListMonitoringPolicies": READ,
        "UpdateMonitoringPolicy": WRITE,
        "DeleteMonitoringPolicy": WRITE,
        "GetAlert": READ,
        "ListAlerts": READ,
        "WatchAlerts": READ,
    },
    "slipway.audit.v1.AuditService": {
        "ListAuditEvents": AUDIT,
        "VerifyAuditLog": AUDIT,
        "ExportAuditEvents": AUDIT,
    },
    "inference.GRPCInferenceService": {
        "ServerLive": READ,
        "ServerReady": READ,
        "ModelReady": READ,
        "ServerMetadata": READ,
        "ModelMetadata": READ,
        "ModelInfer": {"viewer", "developer", "approver", "admin", "service"},
        "ModelStreamInfer": {"viewer", "developer", "approver", "admin", "service"},
        "ModelConfig": READ,
        "ModelStatistics": READ,
        "RepositoryIndex": {"admin"},
        "RepositoryModelLoad": {"admin"},
        "RepositoryModelUnload": {"admin"},
    },
}
ALL_ROLES = READ
# Answered without a token (serving's --probes-need-token turns it off): probes send none.
OPEN = {"inference.GRPCInferenceService.ServerLive", "inference.GRPCInferenceService.ServerReady"}


def expected_roles(api, method) -> set[str]:
    return EXPECTED_ROLES[api.full_name][method.name]


def test_the_role_table_grants_exactly_the_expected_roles():
    assert ROLES == ALL_ROLES
    granted = {
        api.full_name: {
            m.name: set(ROLE_TABLE.roles_for(f"/{api.full_name}/{m.name}")) for m in api.methods
        }
        for api in ALL_APIS
    }
    assert granted == EXPECTED_ROLES
    # No peer role may change an alias except the trainer, and then only by the domain's rule.
    for methods in EXPECTED_ROLES.values():
        for name in ("SetModelAlias", "DeleteModelAlias"):
            if name in methods:
                assert methods[name] & {"server", "monitor"} == set(), name


MUTATING_PREFIXES = (
    "Create",
    "Update",
    "Delete",
    "Set",
    "Archive",
    "Cancel",
    "Ingest",
    "RepositoryModel",
)


def test_every_rpc_of_every_service_has_a_role_table_entry():
    missing = [
        f"/{api.full_name}/{m.name}"
        for api in ALL_APIS
        for m in api.methods
        if f"/{api.full_name}/{m.name}" not in ROLE_TABLE
    ]
    assert missing == []
    for api in ALL_APIS:
        for m in api.methods:
            roles = ROLE_TABLE.roles_for(f"/{api.full_name}/{m.name}")
            assert roles, m.full_name
            assert roles <= ROLES, m.full_name
            if m.name.startswith(MUTATING_PREFIXES):
                assert VIEWER not in roles, f"{m.full_name} mutates but viewers may call it"


def _takes_request_id(method):
    fields = dict(method.input_type.fields_by_name)
    first = fields.get("metadata")
    if method.client_streaming and first is not None and first.message_type is not None:
        fields.update(first.message_type.fields_by_name)
    return "request_id" in fields


def test_role_table_marks_exactly_the_mutating_rpcs_as_changes():
    """A call is audited as a change exactly when its contract takes an idempotency request id
    (the Open Inference Protocol has none: its repository load/unload are marked by hand)."""
    for api in ALL_APIS:
        for m in api.methods:
            mutates = ROLE_TABLE.mutates(f"/{api.full_name}/{m.name}")
            if api.full_name.startswith("slipway."):
                assert mutates == _takes_request_id(m), m.full_name
            else:
                assert mutates == m.name.startswith("RepositoryModel"), m.full_name


# A watch with nothing to report stays open, so an allowed call of one is only seen to be open
# when its deadline passes: short, for the many allowed calls. A call expected to be refused
# waits for its refusal however loaded the machine (the edge answers at once when idle), so a
# late refusal is never mistaken for an open stream.
OPEN_STREAM_SECONDS = 1.5
REFUSAL_SECONDS = 30.0


def _invoke(channel, api, method, metadata, stream_seconds):
    """Call ``method`` with an empty request (raw bytes), whatever its streaming shape."""
    path = f"/{api.full_name}/{method.name}"
    if method.client_streaming and method.server_streaming:
        return channel.stream_stream(path)(iter([b""]), metadata=metadata, timeout=30)
    if method.client_streaming:
        return channel.stream_unary(path)(iter([b""]), metadata=metadata, timeout=30)
    if method.server_streaming:
        return channel.unary_stream(path)(b"", metadata=metadata, timeout=stream_seconds)
    return channel.unary_unary(path)(b"", metadata=metadata, timeout=30)


async def _code(channel, api, method, metadata, *, refused=True):
    stream_seconds = REFUSAL_SECONDS if refused else OPEN_STREAM_SECONDS
    call = _invoke(channel, api, method, metadata, stream_seconds)
    try:
        if method.server_streaming:
            # A watch may never end: its first message (or status) shows it passed auth.
            async for _ in call:
                call.cancel()
                break
        else:
            await call
    except grpc.aio.AioRpcError as error:
        if method.server_streaming and error.code() == grpc.StatusCode.DEADLINE_EXCEEDED:
            return grpc.StatusCode.OK, None  # the stream was open and waiting: auth passed
        return error.code(), rich_details(error)["error_info"]
    return grpc.StatusCode.OK, None


@pytest.fixture
def tokens(tmp_path):
    return make_tokens(tmp_path / "tokens.json")


@pytest.mark.parametrize("service", SERVICES, ids=lambda s: s.name)
@pytest.mark.slow
async def test_access_rules_hold_for_every_rpc(service, tmp_path, tokens):
    settings = settings_for(service.settings_class, tmp_path, tokens_file=tmp_path / "tokens.json")
    db = open_database(settings)
    app = service.build(settings, db)
    try:
        async with (
            running_server(settings, app.services) as server,
            grpc.aio.insecure_channel(server.grpc_address) as channel,
        ):
            health = health_pb2_grpc.HealthStub(channel)
            apis = (service.api, *service.hosted, AUDIT_API)
            for name in ("", *(api.full_name for api in apis)):
                answer = await health.Check(health_pb2.HealthCheckRequest(service=name))
                assert answer.status == health_pb2.HealthCheckResponse.SERVING, name
            for api in apis:
                for method in api.methods:
                    allowed = expected_roles(api, method)
                    code, info = await _code(channel, api, method, ())
                    if method.full_name in OPEN:
                        assert code == grpc.StatusCode.OK, method.full_name
                        continue
                    assert code == grpc.StatusCode.UNAUTHENTICATED, method.full_name
                    assert info.reason == "TOKEN_MISSING"
                    code, _ = await _code(channel, api, method, auth("slw_forged"))
                    assert code == grpc.StatusCode.UNAUTHENTICATED, method.full_name
                    # Every role: refused by the edge exactly when the expectation says so
                    # (an allowed call may still fail later, on its empty request).
                    for role in sorted(ALL_ROLES):
                        code, info = await _code(
                            channel, api, method, auth(tokens[role]), refused=role not in allowed
                        )
                        if role in allowed:
                            refused = code == grpc.StatusCode.PERMISSION_DENIED and (
                                info.reason == "ROLE_NOT_ALLOWED"
                            )
                            assert not refused, (method.full_name, role)
                            assert code != grpc.StatusCode.UNAUTHENTICATED, method.full_name
                        else:
                            assert code == grpc.StatusCode.PERMISSION_DENIED, (
                                method.full_name,
                                role,
                            )
                            assert info.reason == "ROLE_NOT_ALLOWED"
    finally:
        db.dispose()


async def test_unimplemented_rpcs_say_so_with_a_reason(tmp_path, tokens):
    """Every RPC of the contract is implemented now; a servicer without a method still answers
    it with a reason rather than a bare "method not found"."""
    service = next(s for s in SERVICES if s.name == "registry")
    settings = settings_for(service.settings_class, tmp_path, tokens_file=tmp_path / "tokens.json")
    db = open_database(settings)
    try:
        async with (
            running_server(settings, [ServiceRegistration(LINEAGE_API)]) as server,
            grpc.aio.insecure_channel(server.grpc_address) as channel,
        ):
            method = LINEAGE_API.methods_by_name["GetLineageReport"]
            code, info = await _code(channel, LINEAGE_API, method, auth(tokens["viewer"]))
    finally:
        db.dispose()
    assert code == grpc.StatusCode.UNIMPLEMENTED
    assert info.reason == "NOT_IMPLEMENTED_YET"
    assert info.metadata["method"] == "slipway.lineage.v1.LineageService.GetLineageReport"


async def test_serving_answers_server_level_calls(tmp_path, tokens):
    from slipway.inference.v2 import grpc_service_pb2 as pb
    from slipway.inference.v2 import grpc_service_pb2_grpc as pb_grpc

    service = next(s for s in SERVICES if s.name == "serving")
    settings = settings_for(service.settings_class, tmp_path, tokens_file=tmp_path / "tokens.json")
    db = open_database(settings)
    app = service.build(settings, db)
    try:
        async with (
            running_server(settings, app.services) as server,
            grpc.aio.insecure_channel(server.grpc_address) as channel,
        ):
            stub = pb_grpc.GRPCInferenceServiceStub(channel)
            meta = auth(tokens["service"])
            assert (await stub.ServerLive(pb.ServerLiveRequest(), metadata=meta)).live
            assert not (await stub.ServerReady(pb.ServerReadyRequest(), metadata=meta)).ready
            await app.on_ready()
            assert (await stub.ServerReady(pb.ServerReadyRequest(), metadata=meta)).ready
            info = await stub.ServerMetadata(pb.ServerMetadataRequest(), metadata=meta)
            assert info.name == "slipway"
            assert info.version
    finally:
        db.dispose()


@pytest.mark.parametrize("need_token", [False, True])
async def test_serving_probes_answer_without_a_token_unless_told(tmp_path, tokens, need_token):
    """Probes and load balancers (tritonclient's is_server_live) send no token."""
    from slipway.inference.v2 import grpc_service_pb2 as pb
    from slipway.inference.v2 import grpc_service_pb2_grpc as pb_grpc

    service = next(s for s in SERVICES if s.name == "serving")
    settings = settings_for(
        service.settings_class,
        tmp_path,
        tokens_file=tmp_path / "tokens.json",
        probes_need_token=need_token,
    )
    db = open_database(settings)
    app = service.build(settings, db)
    try:
        async with (
            running_server(settings, app.services) as server,
            grpc.aio.insecure_channel(server.grpc_address) as channel,
        ):
            stub = pb_grpc.GRPCInferenceServiceStub(channel)
            for call, request in (
                (stub.ServerLive, pb.ServerLiveRequest()),
                (stub.ServerReady, pb.ServerReadyRequest()),
            ):
                if need_token:
                    with pytest.raises(grpc.aio.AioRpcError) as caught:
                        await call(request)
                    assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED
                else:
                    await call(request)
            assert (
                await stub.ServerLive(pb.ServerLiveRequest(), metadata=auth(tokens["viewer"]))
            ).live
            with pytest.raises(grpc.aio.AioRpcError) as caught:  # everything else still needs one
                await stub.ServerMetadata(pb.ServerMetadataRequest())
            assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED
    finally:
        db.dispose()
