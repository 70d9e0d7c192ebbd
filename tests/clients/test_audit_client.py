"""``AuditClient`` against a real registry: list with filters and pages, verify, export, and
typed errors for a caller without the auditor role; blocking and asyncio."""

from __future__ import annotations

import asyncio
import itertools
from pathlib import Path
from typing import Any

import pytest

from slipway import client
from slipway.audit.v1 import audit_event_pb2 as event_pb
from slipway.audit.v1 import chain_verification_pb2 as chain_pb
from slipway.client import aio
from slipway.core.audit import record
from slipway.core.audit.recorder import DatabaseEdgeAuditor
from slipway.core.context import Principal
from slipway.core.db import Database
from slipway.services.registry import main as registry_main
from slipway.services.registry.settings import RegistrySettings
from support.harness import make_tokens, running_server, settings_for

ALICE = Principal("alice", frozenset({"developer"}))
BOB = Principal("bob", frozenset({"developer"}))


@pytest.fixture
def tokens(tmp_path: Path) -> dict[str, str]:
    return make_tokens(tmp_path / "tokens.json")  # type: ignore[no-any-return]


def _seed(db: Database, count: int) -> None:
    for i in range(count):
        with db.unit_of_work() as session:
            record(
                session,
                service="registry",
                action="registry.CreateModel",
                resource=f"models/m{i}",
                payload={"after": {"i": i}},
                reason=f"seed {i}",
                principal=ALICE if i % 2 == 0 else BOB,
                request_id=f"seed-{i}",
            )


async def test_list_verify_and_export(
    migrated_db: Database, tmp_path: Path, tokens: dict[str, str]
) -> None:
    _seed(migrated_db, 7)
    settings = settings_for(RegistrySettings, tmp_path, tokens_file=tmp_path / "tokens.json")
    app = registry_main.build(settings, migrated_db)
    auditor = DatabaseEdgeAuditor(migrated_db, "registry")
    async with running_server(settings, app.services, auditor=auditor) as server:

        def calls() -> dict[str, Any]:
            with client.connect(server.grpc_address, token=tokens["auditor"]) as suite:
                audit = suite.audit
                return {
                    "newest": [e.sequence for e in audit.list(page_size=2)],
                    "oldest": [e.sequence for e in audit.list(oldest_first=True, page_size=3)],
                    "first_two": [e.sequence for e in itertools.islice(audit.list(page_size=1), 2)],
                    "alice": [
                        e.principal.name for e in audit.list(client.AuditFilter(principal="alice"))
                    ],
                    "prefix": [
                        e.resource
                        for e in audit.list(client.AuditFilter(resource_prefix="models/m6"))
                    ],
                    "denied": list(
                        audit.list(client.AuditFilter(outcome=event_pb.AUDIT_OUTCOME_DENIED))
                    ),
                    "verify": audit.verify(),
                    "range": audit.verify(start_sequence=2, end_sequence=4),
                    "export": list(audit.export()),
                    "export_bob": [e.sequence for e in audit.export(client.AuditFilter("bob"))],
                }

        def refused() -> client.SlipwayError:
            with client.connect(server.grpc_address, token=tokens["viewer"]) as suite:
                with pytest.raises(client.PermissionDenied) as error:
                    suite.audit.verify()
                return error.value

        got = await asyncio.to_thread(calls)
        denial = await asyncio.to_thread(refused)
    assert got["newest"] == [7, 6, 5, 4, 3, 2, 1]
    assert got["oldest"] == [1, 2, 3, 4, 5, 6, 7]
    assert got["first_two"] == [7, 6]
    assert got["alice"] == ["alice"] * 4
    assert got["prefix"] == ["models/m6"]
    assert got["denied"] == []
    verified = got["verify"]
    assert verified.status == chain_pb.CHAIN_STATUS_OK
    assert (verified.first_sequence, verified.last_sequence, verified.event_count) == (1, 7, 7)
    assert (got["range"].first_sequence, got["range"].last_sequence) == (2, 4)
    exported = got["export"]
    assert [e.sequence for e in exported] == [1, 2, 3, 4, 5, 6, 7]
    assert exported[-1].hash == verified.last_hash
    assert got["export_bob"] == [2, 4, 6]
    assert denial.reason == "ROLE_NOT_ALLOWED"


async def test_the_asyncio_client_answers_the_same(
    migrated_db: Database, tmp_path: Path, tokens: dict[str, str]
) -> None:
    _seed(migrated_db, 5)
    settings = settings_for(RegistrySettings, tmp_path, tokens_file=tmp_path / "tokens.json")
    app = registry_main.build(settings, migrated_db)
    auditor = DatabaseEdgeAuditor(migrated_db, "registry")
    async with (
        running_server(settings, app.services, auditor=auditor) as server,
        aio.connect(server.grpc_address, token=tokens["auditor"]) as suite,
    ):
        newest = [e.sequence async for e in suite.audit.list(page_size=2)]
        bob = [e.sequence async for e in suite.audit.list(client.AuditFilter(principal="bob"))]
        verified = await suite.audit.verify()
        exported = [e async for e in suite.audit.export()]
        async with aio.connect(server.grpc_address, token=tokens["viewer"]) as viewer:
            with pytest.raises(client.PermissionDenied):
                await viewer.audit.verify()
    assert newest == [5, 4, 3, 2, 1]
    assert bob == [4, 2]
    assert (verified.status, verified.event_count) == (chain_pb.CHAIN_STATUS_OK, 5)
    assert [e.sequence for e in exported] == [1, 2, 3, 4, 5]
    assert exported[-1].hash == verified.last_hash
