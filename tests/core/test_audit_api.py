"""The audit log through gRPC and the command line, on SQLite and PostgreSQL: refused calls and
failed changes are recorded, auditors list, verify and export, tampering is reported."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import threading

import grpc
import pytest
from sqlalchemy import text

from slipway.audit.v1 import audit_service_pb2 as pb
from slipway.audit.v1 import audit_service_pb2_grpc as pb_grpc
from slipway.audit.v1 import chain_verification_pb2 as chain_pb
from slipway.core.audit import record
from slipway.core.audit.api import event_from_pb
from slipway.core.audit.chain import GENESIS_HASH, verify_entries
from slipway.core.audit.recorder import DatabaseEdgeAuditor
from slipway.core.context import Principal
from slipway.registry.v1 import registry_service_pb2 as registry_pb
from slipway.registry.v1 import registry_service_pb2_grpc as registry_grpc
from slipway.services.registry import main as registry_main
from slipway.services.registry.settings import RegistrySettings
from support.harness import auth, make_tokens, running_server, settings_for
from support.probe import PROBE_ROLES, method, probe_handler, rich_details
from support.waiting import wait_until

ALICE = Principal("alice", frozenset({"developer"}))


@pytest.fixture
def tokens(tmp_path):
    return make_tokens(tmp_path / "tokens.json")


@pytest.fixture
def settings(tmp_path, tokens):
    return settings_for(RegistrySettings, tmp_path, tokens_file=tmp_path / "tokens.json")


def registry_server(settings, db):
    app = registry_main.build(settings, db)
    # Refusals are written per window: a short one shows them while a test runs.
    auditor = DatabaseEdgeAuditor(db, "registry", refusal_window_seconds=0.5)
    return running_server(settings, app.services, auditor=auditor)


def seed(db, count, *, action="registry.CreateModel", principal=ALICE):
    for i in range(count):
        with db.unit_of_work() as session:
            record(
                session,
                service="registry",
                action=action,
                resource=f"models/m{i}",
                payload={"after": {"i": i}},
                reason=f"seed {i}",
                principal=principal,
                request_id=f"seed-{i}",
            )


async def list_all(stub, token, **fields):
    events, page_token = [], ""
    while True:
        page = await stub.ListAuditEvents(
            pb.ListAuditEventsRequest(page_token=page_token, **fields), metadata=auth(token)
        )
        events.extend(page.events)
        page_token = page.next_page_token
        if not page_token:
            return events


async def test_refused_calls_are_counted_as_denied_with_principal_or_peer(
    migrated_db, settings, tokens
):
    async with (
        registry_server(settings, migrated_db) as server,
        grpc.aio.insecure_channel(server.grpc_address) as channel,
    ):
        registry = registry_grpc.RegistryServiceStub(channel)
        with pytest.raises(grpc.aio.AioRpcError) as anonymous:
            await registry.DeleteModel(
                registry_pb.DeleteModelRequest(name="models/churn"),
                metadata=(("x-request-id", "req-anon"),),
            )
        assert anonymous.value.code() == grpc.StatusCode.UNAUTHENTICATED
        with pytest.raises(grpc.aio.AioRpcError) as viewer:
            await registry.SetModelAlias(
                registry_pb.SetModelAliasRequest(
                    name="models/churn", alias="production", reason="ship it"
                ),
                metadata=auth(tokens["viewer"]),
            )
        assert viewer.value.code() == grpc.StatusCode.PERMISSION_DENIED
        audit = pb_grpc.AuditServiceStub(channel)

        async def denied_events():
            events = await list_all(
                audit,
                tokens["auditor"],
                filter="outcome = DENIED",
            )
            return events if len(events) == 2 else []

        events = await wait_until(denied_events, "the refusal window to be written", within=30.0)
    by_principal = {e.principal.name: e for e in events}
    anon = by_principal["anonymous"]
    assert anon.action == "registry.DeleteModel"
    assert anon.status_code == "UNAUTHENTICATED"
    assert anon.error_reason == "TOKEN_MISSING"
    assert anon.service == "registry"
    # Nothing an anonymous caller sent is kept: it is told apart by its address.
    assert (anon.resource, anon.reason, anon.request_id) == ("", "", "")
    anon_payload = json.loads(anon.payload_json)
    assert (anon_payload["refusals"], anon_payload["peer"]) == (1, "127.0.0.1")
    denied = by_principal["viewer-user"]
    assert denied.action == "registry.SetModelAlias"
    assert denied.resource == "models/churn"
    assert denied.reason == ""  # a refused caller's free text is not kept
    assert denied.status_code == "PERMISSION_DENIED"
    assert list(denied.principal.roles) == [1]  # ROLE_VIEWER
    assert json.loads(denied.payload_json)["refusals"] == 1


async def test_refusals_with_hostile_values_are_still_recorded(migrated_db, settings, tokens):
    """A refused call may carry anything: its event must not be lost to a NUL or a huge name,
    and a known principal's resource is kept bounded and escaped, its reason not at all."""
    huge = "models/" + "x" * 10_000
    async with (
        registry_server(settings, migrated_db) as server,
        grpc.aio.insecure_channel(server.grpc_address) as channel,
    ):
        registry = registry_grpc.RegistryServiceStub(channel)
        for name in (huge, "models/nul\x00and\x1b[2Kescape"):
            with pytest.raises(grpc.aio.AioRpcError):
                await registry.DeleteModel(
                    registry_pb.DeleteModelRequest(name=name, reason="nul\x00inside"),
                    metadata=auth(tokens["viewer"]),
                )
    # Written at the graceful stop at the latest.
    with migrated_db.unit_of_work(read_only=True) as session:
        rows = session.execute(
            text(
                "SELECT resource, reason FROM audit_events WHERE outcome = 'DENIED' "
                "ORDER BY sequence"
            )
        ).all()
    resources = sorted(r.resource for r in rows)
    assert resources[0] == "models/nul\\x00and\\x1b[2Kescape"
    assert resources[1].startswith("models/xxx")
    assert resources[1].endswith("…")
    assert len(resources[1]) == 256
    assert [r.reason for r in rows] == ["", ""]


async def test_failed_changes_are_recorded_as_failed(migrated_db, settings, tokens):
    async with (
        running_server(
            settings,
            [],
            extra_handlers=[probe_handler()],
            role_table=PROBE_ROLES,
            auditor=DatabaseEdgeAuditor(migrated_db, "registry"),
        ) as server,
        grpc.aio.insecure_channel(server.grpc_address) as channel,
    ):
        for name in ("Invalid", "CrashWrite", "Crash"):
            with pytest.raises(grpc.aio.AioRpcError):
                await channel.unary_unary(method(name))(b"", metadata=auth(tokens["developer"]))
    with migrated_db.unit_of_work(read_only=True) as session:
        rows = session.execute(
            text(
                "SELECT action, outcome, status_code, error_reason, principal FROM audit_events "
                "ORDER BY sequence"
            )
        ).all()
    # Crash is a read: its failure is logged but not audited; the two changes are. A malformed
    # request is a refusal: counted, and written DENIED when its window closes (here at the
    # graceful stop, after the failure written as it happened).
    assert [tuple(r) for r in rows] == [
        ("testing.CrashWrite", "FAILED", "INTERNAL", "INTERNAL", "developer-user"),
        ("testing.Invalid", "DENIED", "INVALID_ARGUMENT", "NAME_EMPTY", "developer-user"),
    ]


async def test_only_auditors_and_admins_read_the_log(migrated_db, settings, tokens):
    seed(migrated_db, 2)
    async with (
        registry_server(settings, migrated_db) as server,
        grpc.aio.insecure_channel(server.grpc_address) as channel,
    ):
        audit = pb_grpc.AuditServiceStub(channel)
        for role in ("viewer", "developer", "approver", "service"):
            with pytest.raises(grpc.aio.AioRpcError) as caught:
                await audit.ListAuditEvents(
                    pb.ListAuditEventsRequest(), metadata=auth(tokens[role])
                )
            assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED, role
        for role in ("auditor", "admin"):
            page = await audit.ListAuditEvents(
                pb.ListAuditEventsRequest(), metadata=auth(tokens[role])
            )
            assert len(page.events) >= 2


async def test_list_filters_and_pages_with_tokens_bound_to_the_request(
    migrated_db, settings, tokens
):
    seed(migrated_db, 7)
    seed(
        migrated_db,
        2,
        action="registry.SetModelAlias",
        principal=Principal("bob", frozenset({"approver"})),
    )
    async with (
        registry_server(settings, migrated_db) as server,
        grpc.aio.insecure_channel(server.grpc_address) as channel,
    ):
        audit = pb_grpc.AuditServiceStub(channel)
        alice = 'principal = "alice"'
        pages = []
        token = ""
        while True:
            page = await audit.ListAuditEvents(
                pb.ListAuditEventsRequest(filter=alice, page_size=3, page_token=token),
                metadata=auth(tokens["auditor"]),
            )
            pages.append([e.sequence for e in page.events])
            token = page.next_page_token
            if not token:
                break
            last_token = token
        assert pages == [[1, 2, 3], [4, 5, 6], [7]]
        newest = await audit.ListAuditEvents(
            pb.ListAuditEventsRequest(page_size=2, order_by="sequence desc"),
            metadata=auth(tokens["auditor"]),
        )
        assert [e.sequence for e in newest.events] == [9, 8]
        aliases = await list_all(
            audit,
            tokens["auditor"],
            filter='action = "registry.SetModelAlias" AND resource = "models/m*"',
        )
        assert [(e.principal.name, e.resource) for e in aliases] == [
            ("bob", "models/m0"),
            ("bob", "models/m1"),
        ]

        for bad_token, reason in [
            (last_token[:-2], "INVALID_PAGE_TOKEN"),
            ("not-a-token", "INVALID_PAGE_TOKEN"),
            (last_token[:10] + "A" + last_token[11:], "INVALID_PAGE_TOKEN"),
        ]:
            with pytest.raises(grpc.aio.AioRpcError) as caught:
                await audit.ListAuditEvents(
                    pb.ListAuditEventsRequest(filter=alice, page_size=3, page_token=bad_token),
                    metadata=auth(tokens["auditor"]),
                )
            assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
            details = rich_details(caught.value)
            assert details["error_info"].reason in (reason, "PAGE_TOKEN_MISMATCH")
            assert details["bad_request"].field_violations[0].field == "page_token"
        with pytest.raises(grpc.aio.AioRpcError) as mismatch:
            await audit.ListAuditEvents(
                pb.ListAuditEventsRequest(
                    filter='principal = "bob"',
                    page_size=3,
                    page_token=last_token,
                ),
                metadata=auth(tokens["auditor"]),
            )
        assert rich_details(mismatch.value)["error_info"].reason == "PAGE_TOKEN_MISMATCH"
        for bad in [
            pb.ListAuditEventsRequest(page_size=-1),
            pb.ListAuditEventsRequest(filter='sequence >= "five"'),
            pb.ListAuditEventsRequest(filter="outcome = MAYBE"),
            pb.ListAuditEventsRequest(filter='principal > "a"'),
            pb.ListAuditEventsRequest(order_by="event_time"),
        ]:
            with pytest.raises(grpc.aio.AioRpcError) as caught:
                await audit.ListAuditEvents(bad, metadata=auth(tokens["auditor"]))
            assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def tamper(db, statement):
    """Change the log behind the service's back, as someone with database access could."""
    with db.engine.begin() as connection:
        if db.dialect_name == "postgresql":
            connection.execute(text("SET LOCAL session_replication_role = replica"))
        else:
            connection.execute(text("DROP TRIGGER IF EXISTS audit_events_no_update"))
            connection.execute(text("DROP TRIGGER IF EXISTS audit_events_no_delete"))
        connection.execute(text(statement))


async def test_verify_reports_ok_then_the_tampered_sequence(migrated_db, settings, tokens):
    async with (
        registry_server(settings, migrated_db) as server,
        grpc.aio.insecure_channel(server.grpc_address) as channel,
    ):
        audit = pb_grpc.AuditServiceStub(channel)
        empty = await audit.VerifyAuditLog(
            pb.VerifyAuditLogRequest(), metadata=auth(tokens["auditor"])
        )
        assert empty.verification.status == chain_pb.CHAIN_STATUS_EMPTY
        seed(migrated_db, 6)
        ok = (
            await audit.VerifyAuditLog(pb.VerifyAuditLogRequest(), metadata=auth(tokens["auditor"]))
        ).verification
        assert ok.status == chain_pb.CHAIN_STATUS_OK
        assert (ok.first_sequence, ok.last_sequence, ok.event_count) == (1, 6, 6)
        tamper(migrated_db, "UPDATE audit_events SET payload = '{}' WHERE sequence = 4")
        broken = (
            await audit.VerifyAuditLog(pb.VerifyAuditLogRequest(), metadata=auth(tokens["admin"]))
        ).verification
        assert broken.status == chain_pb.CHAIN_STATUS_BROKEN
        assert broken.break_sequence == 4
        assert broken.break_kind == chain_pb.CHAIN_BREAK_KIND_CHANGED_ROW
        before = (
            await audit.VerifyAuditLog(
                pb.VerifyAuditLogRequest(end_sequence=3), metadata=auth(tokens["admin"])
            )
        ).verification
        assert before.status == chain_pb.CHAIN_STATUS_OK


async def test_verify_during_concurrent_appends_reports_ok(migrated_db, settings, tokens):
    """Events committed while a walk runs are outside its snapshot: on PostgreSQL's default
    isolation they looked like rows added behind the chain head the walk had read first."""
    seed(migrated_db, 50)
    stop = threading.Event()

    def append() -> None:
        for i in range(50, 2000):
            if stop.is_set():
                return
            with migrated_db.unit_of_work() as session:
                record(
                    session,
                    service="registry",
                    action="registry.CreateModel",
                    resource=f"models/m{i}",
                    principal=ALICE,
                )

    writer = threading.Thread(target=append)
    async with (
        registry_server(settings, migrated_db) as server,
        grpc.aio.insecure_channel(server.grpc_address) as channel,
    ):
        audit = pb_grpc.AuditServiceStub(channel)
        writer.start()
        try:
            statuses = []
            for _ in range(30):
                answer = (
                    await audit.VerifyAuditLog(
                        pb.VerifyAuditLogRequest(), metadata=auth(tokens["auditor"])
                    )
                ).verification
                statuses.append((answer.status, answer.detail))
        finally:
            stop.set()
            await asyncio.to_thread(writer.join, 30)
    assert statuses == [(chain_pb.CHAIN_STATUS_OK, "")] * 30


@pytest.mark.slow  # a large export verified by a CLI process
async def test_export_streams_every_field_and_reverifies_offline(migrated_db, settings, tokens):
    seed(migrated_db, 1201)  # more than two export batches
    async with (
        registry_server(settings, migrated_db) as server,
        grpc.aio.insecure_channel(server.grpc_address) as channel,
    ):
        audit = pb_grpc.AuditServiceStub(channel)
        exported = []
        async for batch in audit.ExportAuditEvents(
            pb.ExportAuditEventsRequest(), metadata=auth(tokens["auditor"])
        ):
            exported.extend(batch.events)
        head = (
            await audit.VerifyAuditLog(pb.VerifyAuditLogRequest(), metadata=auth(tokens["auditor"]))
        ).verification
    assert [e.sequence for e in exported] == list(range(1, 1202))
    entries = [event_from_pb(e) for e in exported]
    assert entries[0].previous_hash == GENESIS_HASH
    result = verify_entries(
        entries,
        start=1,
        anchor_hash=GENESIS_HASH,
        sequence_of_hash={e.hash: e.sequence for e in entries}.get,
    )
    assert result.ok
    assert result.last_hash == head.last_hash


async def run_cli(*args, env):
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "slipway.cli.main",
        "audit",
        *args,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=120)
    return process.returncode, out.decode(), err.decode()


@pytest.mark.slow  # one CLI process per command
async def test_command_line_lists_verifies_exports_and_checks_an_export_offline(
    migrated_db, settings, tokens, tmp_path
):
    seed(migrated_db, 5)
    async with registry_server(settings, migrated_db) as server:
        env = dict(
            os.environ,
            SLIPWAY_TARGET=server.grpc_address,
            SLIPWAY_TOKEN=tokens["auditor"],
            SLIPWAY_HOME=str(tmp_path / "none"),
        )
        code, out, _ = await run_cli("list", "--principal", "alice", "--json", env=env)
        assert code == 0
        assert [json.loads(line)["sequence"] for line in out.splitlines()] == [5, 4, 3, 2, 1]
        code, out, _ = await run_cli("list", env=env)
        assert code == 0
        assert "registry.CreateModel" in out
        assert "models/m4" in out
        code, out, _ = await run_cli("verify", env=env)
        assert (code, out.split(":")[0]) == (0, "OK")
        export = tmp_path / "audit.jsonl"
        code, _, err = await run_cli("export", "-o", str(export), env=env)
        assert code == 0
        assert "exported 5 events" in err
        code, out, _ = await run_cli("verify-export", str(export), env=env)
        assert code == 0
        assert out.startswith("OK: 5 events")
        lines = export.read_text().splitlines()
        changed = json.loads(lines[2])
        changed["reason"] = "rewritten"
        lines[2] = json.dumps(changed)
        export.write_text("\n".join(lines) + "\n")
        code, out, _ = await run_cli("verify-export", str(export), env=env)
        assert code == 1
        assert "BROKEN at sequence 3 (CHANGED_ROW)" in out
        tamper(migrated_db, "DELETE FROM audit_events WHERE sequence = 2")
        code, out, _ = await run_cli("verify", env=env)
        assert code == 1
        assert "BROKEN at sequence 2 (MISSING_ROW)" in out
        viewer_env = dict(env, SLIPWAY_TOKEN=tokens["viewer"])
        code, _, err = await run_cli("verify", env=viewer_env)
        assert code == 3
        assert err.strip().startswith("error: PERMISSION_DENIED (ROLE_NOT_ALLOWED):")
        assert "Traceback" not in err


async def test_audit_list_shows_counted_refusals_and_escapes_what_callers_sent(
    migrated_db, settings, tokens, tmp_path
):
    forged = "x\x1b[2K\r     1  2026-12-01  OK  approver  registry.SetModelAlias\u202e"
    with migrated_db.unit_of_work() as session:
        record(
            session,
            service="registry",
            action="registry.UpdateModel",
            resource="models/m\x1b[31m",
            reason=forged,
            principal=ALICE,
        )
    async with (
        registry_server(settings, migrated_db) as server,
        grpc.aio.insecure_channel(server.grpc_address) as channel,
    ):
        registry = registry_grpc.RegistryServiceStub(channel)
        for _ in range(3):
            with pytest.raises(grpc.aio.AioRpcError):
                await registry.DeleteModel(
                    registry_pb.DeleteModelRequest(name="models/churn", reason=forged)
                )
        audit = pb_grpc.AuditServiceStub(channel)

        async def counted():
            events = await list_all(
                audit,
                tokens["auditor"],
                filter="outcome = DENIED",
            )
            return sum(json.loads(e.payload_json)["refusals"] for e in events) == 3

        await wait_until(counted, "the refusal window to be written", within=30.0)
        env = dict(
            os.environ,
            SLIPWAY_TARGET=server.grpc_address,
            SLIPWAY_TOKEN=tokens["auditor"],
            SLIPWAY_HOME=str(tmp_path / "none"),
        )
        code, out, _ = await run_cli("list", "--oldest-first", env=env)
    assert code == 0
    assert "\x1b" not in out
    assert "\r" not in out
    assert "\u202e" not in out
    _header, changed, *refusals = out.splitlines()
    assert "\\x1b[2K 1 2026-12-01" in changed  # the carriage return began no new line
    assert changed.endswith("\\u202e")
    assert "models/m\\x1b[31m" in changed
    assert refusals
    assert all("anonymous" in line and "registry.DeleteModel" in line for line in refusals)
    assert "TOKEN_MISSING x" in refusals[0]
    assert "from 127.0.0.1" in refusals[0]
