"""Fixtures of the registry tests: a real registry on port 0 over `migrated_db` (so SQLite and
PostgreSQL), tokens per role and a client (`support.registry.Registry`).

`registry` is the common case; `start_registry` starts more (other settings, a sweeper) on the
same database, tokens and artifact store; `spawn_registry` runs `slipway registry` as a child
process on the same database, for tests that need a second process or a SIGKILL.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest

from slipway.audit.v1 import audit_service_pb2_grpc
from slipway.core.audit.recorder import DatabaseEdgeAuditor
from slipway.core.db import Database
from slipway.lineage.v1.lineage_service_pb2_grpc import LineageServiceStub
from slipway.registry.v1 import registry_service_pb2_grpc as pb_grpc
from slipway.services.registry import main as registry_main
from slipway.services.registry.settings import RegistrySettings
from support.harness import running_server, settings_for
from support.registry import MAX_ARTIFACT_BYTES, Registry, RegistryProcess
from support.training import registry_peer_settings

StartRegistry = Callable[..., contextlib.AbstractAsyncContextManager[Registry]]


@pytest.fixture
def start_registry(
    migrated_db: Database, tmp_path: Path, tokens: dict[str, str], tokens_file: Path
) -> StartRegistry:
    """Starts an in-process registry on the test's database: ``start_registry(**settings)``.

    ``sweep=True`` also runs the start-up hook, i.e. the sweeper of interrupted uploads.
    """
    count = 0

    @contextlib.asynccontextmanager
    async def start(*, sweep: bool = False, **overrides: Any) -> AsyncIterator[Registry]:
        nonlocal count
        count += 1
        home = tmp_path / f"registry{count}"
        home.mkdir()
        values: dict[str, Any] = {
            "tokens_file": tokens_file,
            "max_artifact_bytes": MAX_ARTIFACT_BYTES,
            "artifact_dir": tmp_path / "artifacts",
            **registry_peer_settings(home, tokens),
        }
        values.update(overrides)
        settings = settings_for(RegistrySettings, home, **values)
        app = registry_main.build(settings, migrated_db)
        auditor = DatabaseEdgeAuditor(
            migrated_db,
            "registry",
            refusal_window_seconds=settings.refusal_window_seconds,
            refusal_keys_per_window=settings.refusal_keys_per_window,
        )
        async with (
            running_server(settings, app.services, auditor=auditor) as server,
            grpc.aio.insecure_channel(server.grpc_address) as channel,
        ):
            if sweep:
                assert app.on_ready is not None
                await app.on_ready()
            try:
                yield Registry(
                    pb_grpc.RegistryServiceStub(channel),
                    audit_service_pb2_grpc.AuditServiceStub(channel),
                    migrated_db,
                    settings,
                    tokens,
                    server.grpc_address,
                    LineageServiceStub(channel),
                )
            finally:
                if app.on_stopping is not None:
                    await app.on_stopping()  # ends watchers and the sweeper, as at shutdown

    return start


@pytest.fixture
async def registry(start_registry: StartRegistry) -> AsyncIterator[Registry]:
    """A registry with the default test settings (no sweeper)."""
    async with start_registry() as running:
        yield running


@pytest.fixture
def spawn_registry(
    database_url: str,
    migrated_db: Database,
    tmp_path: Path,
    tokens_file: Path,
    tokens: dict[str, str],
) -> Iterator[Callable[..., Awaitable[RegistryProcess]]]:
    """Starts child registries on the test's (migrated) database; kills leftovers at the end.

    Extra arguments are passed on the command line; the artifact store is shared with
    `start_registry` unless ``--artifact-dir`` is given.
    """
    started: list[RegistryProcess] = []

    async def spawn(*extra: str) -> RegistryProcess:
        home = tmp_path / f"child{len(started)}"
        home.mkdir()
        if "--artifact-dir" not in extra:
            extra = ("--artifact-dir", str(tmp_path / "artifacts"), *extra)
        child = RegistryProcess(home, database_url, tokens_file, *extra)
        started.append(child)
        await asyncio.to_thread(child.wait_ready)
        return child

    yield spawn
    for child in started:
        child.kill()
