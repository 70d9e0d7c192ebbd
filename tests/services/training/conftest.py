"""Fixtures of the training tests: a real registry and a real training service (with its
workers and their child processes) on `migrated_db`, so on SQLite and PostgreSQL.

`start_training(**settings)` starts more training services on the same database; `spawn` runs
`slipway training` (or `slipway registry`) as a child process, for SIGKILL and multi-process
tests.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import pytest

from slipway.core.db import Database
from support.processes import ServiceProcess
from support.registry import Registry
from support.training import StartTraining, Training


@pytest.fixture
async def training(start_training: StartTraining, registry: Registry) -> AsyncIterator[Training]:
    async with start_training(registry.address) as running:
        yield running


@pytest.fixture
def spawn(
    database_url: str,
    migrated_db: Database,
    tmp_path: Path,
    tokens_file: Path,
    tokens: dict[str, str],
) -> Iterator[Callable[..., Awaitable[ServiceProcess]]]:
    """``await spawn("training", *flags)``: a child service on the test's database; killed at
    the end if still running."""
    started: list[ServiceProcess] = []

    async def run(service: str, *extra: str) -> ServiceProcess:
        child = ServiceProcess(
            service, tmp_path / f"{service}-child{len(started)}", database_url, tokens_file, *extra
        )
        started.append(child)
        await asyncio.to_thread(child.wait_ready)
        return child

    yield run
    for child in started:
        child.kill()
