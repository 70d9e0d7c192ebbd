"""Fixtures of the client tests: connections of the blocking and asyncio clients to in-process
services (the registry, training and serving fixtures of tests/services), as a role's principal.

The services run on the test's event loop, so blocking clients are called from a worker thread
(``asyncio.to_thread``)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from pathlib import Path

import pytest

from slipway import client
from slipway.client import aio
from slipway.core.db import Database
from support.registry import Registry
from support.serving import Serving, Trained, iris_spec, register, running_serving, train_locally

# Short backoffs keep the tests quick; the behaviour is the default policy's.
TEST_RETRY = client.RetryPolicy(initial_backoff=0.02, max_backoff=0.2)

Connect = Callable[..., client.Connection]
AsyncConnect = Callable[..., aio.Connection]


@pytest.fixture
def connect_as(tokens: dict[str, str]) -> Iterator[Connect]:
    """``connect_as(target, role="developer", **options)``: a blocking connection."""
    opened: list[client.Connection] = []

    def connect(
        target: str | Mapping[str, str], role: str = "developer", **options: object
    ) -> client.Connection:
        options.setdefault("retry", TEST_RETRY)
        connection = client.connect(target, token=tokens[role], **options)  # type: ignore[arg-type]
        opened.append(connection)
        return connection

    yield connect
    for connection in opened:
        connection.close()


@pytest.fixture
async def aio_connect_as(tokens: dict[str, str]) -> AsyncIterator[AsyncConnect]:
    """``aio_connect_as(target, role="developer", **options)``: an asyncio connection."""
    opened: list[aio.Connection] = []

    def connect(
        target: str | Mapping[str, str], role: str = "developer", **options: object
    ) -> aio.Connection:
        options.setdefault("retry", TEST_RETRY)
        connection = aio.connect(target, token=tokens[role], **options)  # type: ignore[arg-type]
        opened.append(connection)
        return connection

    yield connect
    for connection in opened:
        await connection.close()


@pytest.fixture
def iris_model(tmp_path: Path, data_root: Path) -> Trained:
    """A logistic regression on iris, trained by the training engine."""
    return train_locally(iris_spec(), tmp_path / "iris-model", data_root)


@pytest.fixture
async def serving(
    migrated_db: Database,
    tmp_path: Path,
    tokens_file: Path,
    tokens: dict[str, str],
    registry: Registry,
    service_token_file: Path,
    iris_model: Trained,
) -> AsyncIterator[Serving]:
    """Serving ``iris@production``, version 1 of ``models/iris``."""
    await register(registry, service_token_file, "iris", iris_model, alias="production")
    async with running_serving(
        migrated_db,
        tmp_path / "serving",
        tokens_file,
        tokens,
        registry.address,
        service_token_file,
        cache_dir=tmp_path / "serving-cache",
        deployments=["iris@production"],
    ) as running:
        yield running
