"""Fixtures the services' tests share: a tokens file with one principal per role, the token a
service presents to its peers, a data root with a small CSV, and an in-process registry on
`migrated_db` (the registry's own tests start theirs with other settings), and
`start_training(registry_address, **settings)` for in-process training services on the same
database."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import grpc
import pytest

from slipway.audit.v1 import audit_service_pb2_grpc
from slipway.core.audit.recorder import DatabaseEdgeAuditor
from slipway.core.db import Database
from slipway.services.training import main as training_main
from slipway.services.training.settings import TrainingSettings
from slipway.training.v1 import training_service_pb2_grpc as training_grpc
from support.harness import make_tokens, running_server, settings_for
from support.registry import Registry
from support.training import (
    StartTraining,
    Training,
    announce,
    running_registry,
    suite_file_of,
    write_csv,
)


@pytest.fixture
def tokens_file(tmp_path: Path) -> Path:
    return tmp_path / "tokens.json"


@pytest.fixture
def tokens(tokens_file: Path) -> dict[str, str]:
    """One token per role; the principal of role R is ``R-user``."""
    return make_tokens(tokens_file)


@pytest.fixture
def service_token_file(tmp_path: Path, tokens: dict[str, str]) -> Path:
    """The token a service presents to its peers (role `service`)."""
    path = tmp_path / "service.token"
    path.write_text(tokens["service"] + "\n")
    return path


@pytest.fixture
def data_root(tmp_path: Path) -> Path:
    root = tmp_path / "data"
    root.mkdir()
    write_csv(root / "fruit.csv")
    return root


@pytest.fixture
async def registry(
    migrated_db: Database, tmp_path: Path, tokens_file: Path, tokens: dict[str, str]
) -> AsyncIterator[Registry]:
    async with running_registry(
        migrated_db, tmp_path / "registry", tokens_file, tokens, tmp_path / "artifacts"
    ) as running:
        yield running


# A stale heartbeat requeues a running job, so the timeout must outlast the longest stall of a
# loaded machine: at load 11 on 2 cores a 6 s timeout lost a healthy worker's job now and then.
# Tests that wait for a killed worker's job to be reaped pass a shorter one themselves.
FAST_HEARTBEATS = {"heartbeat_seconds": 0.5, "heartbeat_timeout_seconds": 20.0}


@pytest.fixture
def start_training(
    migrated_db: Database,
    tmp_path: Path,
    tokens: dict[str, str],
    tokens_file: Path,
    data_root: Path,
    service_token_file: Path,
) -> StartTraining:
    """``start_training(registry_address, **settings)``: a training service with workers."""
    count = 0

    @contextlib.asynccontextmanager
    async def start(registry_address: str, **overrides: Any) -> AsyncIterator[Training]:
        nonlocal count
        count += 1
        home = tmp_path / f"training{count}"
        home.mkdir()
        trainer_token_file = home / "trainer.token"
        trainer_token_file.write_text(tokens["trainer"] + "\n")
        values: dict[str, Any] = {
            "tokens_file": tokens_file,
            "data_root": data_root,
            "registry_target": registry_address,
            "registry_token_file": trainer_token_file,  # the narrow role training needs
            "poll_seconds": 0.1,
            **FAST_HEARTBEATS,
        }
        values.update(overrides)
        settings = settings_for(TrainingSettings, home, **values)
        app = training_main.build(settings, migrated_db)
        auditor = DatabaseEdgeAuditor(migrated_db, "training")
        async with (
            running_server(settings, app.services, auditor=auditor) as server,
            grpc.aio.insecure_channel(server.grpc_address) as channel,
        ):
            assert app.on_ready is not None
            assert app.on_stopping is not None
            await app.on_ready()
            # Registries of this test verify the jobs behind uploads with this service.
            announce(suite_file_of(tmp_path), "training", server.grpc_address)
            try:
                yield Training(
                    training_grpc.TrainingServiceStub(channel),  # type: ignore[arg-type]
                    audit_service_pb2_grpc.AuditServiceStub(channel),
                    migrated_db,
                    tokens,
                    server.grpc_address,
                )
            finally:
                await app.on_stopping()

    return start
