"""Fixtures of the training tests: a real registry and a real training service (with its
workers and their child processes) on `migrated_db`, so on SQLite and PostgreSQL.

`start_training(**settings)` starts more training services on the same database; `spawn` runs
`slipway training` (or `slipway registry`) as a child process, for SIGKILL and multi-process
tests.
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
from slipway.services.training import main as training_main
from slipway.services.training.settings import TrainingSettings
from slipway.training.v1 import training_service_pb2_grpc as pb_grpc
from support.harness import running_server, settings_for
from support.processes import ServiceProcess
from support.registry import Registry
from support.training import (
    StartTraining,
    Training,
)

# Short enough that lost-worker tests take seconds, long enough for a loaded CI machine.
FAST_HEARTBEATS = {"heartbeat_seconds": 0.5, "heartbeat_timeout_seconds": 6.0}


@pytest.fixture
def start_training(migrated_db: Database, tmp_path: Path, tokens: dict[str, str],
                   tokens_file: Path, data_root: Path, service_token_file: Path
                   ) -> StartTraining:
    """``start_training(registry_address, **settings)``: a training service with workers."""
    count = 0

    @contextlib.asynccontextmanager
    async def start(registry_address: str, **overrides: Any) -> AsyncIterator[Training]:
        nonlocal count
        count += 1
        home = tmp_path / f"training{count}"
        home.mkdir()
        values: dict[str, Any] = {"tokens_file": tokens_file, "data_root": data_root,
                                  "registry_target": registry_address,
                                  "registry_token_file": service_token_file,
                                  "poll_seconds": 0.1, **FAST_HEARTBEATS}
        values.update(overrides)
        settings = settings_for(TrainingSettings, home, **values)
        app = training_main.build(settings, migrated_db)
        auditor = DatabaseEdgeAuditor(migrated_db, "training")
        async with running_server(settings, app.services, auditor=auditor) as server, \
                grpc.aio.insecure_channel(server.grpc_address) as channel:
            assert app.on_ready is not None
            assert app.on_stopping is not None
            await app.on_ready()
            try:
                yield Training(pb_grpc.TrainingServiceStub(channel),  # type: ignore[arg-type]
                               audit_service_pb2_grpc.AuditServiceStub(channel), migrated_db,
                               tokens, server.grpc_address)
            finally:
                await app.on_stopping()

    return start


@pytest.fixture
async def training(start_training: StartTraining, registry: Registry
                   ) -> AsyncIterator[Training]:
    async with start_training(registry.address) as running:
        yield running


@pytest.fixture
def spawn(database_url: str, migrated_db: Database, tmp_path: Path, tokens_file: Path,
          tokens: dict[str, str]) -> Iterator[Callable[..., Awaitable[ServiceProcess]]]:
    """``await spawn("training", *flags)``: a child service on the test's database; killed at
    the end if still running."""
    started: list[ServiceProcess] = []

    async def run(service: str, *extra: str) -> ServiceProcess:
        child = ServiceProcess(service, tmp_path / f"{service}-child{len(started)}",
                               database_url, tokens_file, *extra)
        started.append(child)
        await asyncio.to_thread(child.wait_ready)
        return child

    yield run
    for child in started:
        child.kill()
