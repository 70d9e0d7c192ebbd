"""Fixtures of the serving tests: a real registry holding real versions (trained by the
training engine on iris, registered through the registry's API), and a real serving process
in-process on `migrated_db`."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from slipway.core.db import Database
from support.registry import Registry
from support.serving import (
    Serving,
    StartServing,
    Trained,
    iris_spec,
    register,
    running_serving,
    set_alias,
    train_locally,
)


@pytest.fixture
def iris_models(tmp_path: Path, data_root: Path) -> list[Trained]:
    """Three different iris classifiers (C = 1, 0.05, 10)."""
    return [
        train_locally(iris_spec(seed=i, c=c), tmp_path / f"iris{i}", data_root)
        for i, c in enumerate((1.0, 0.05, 10.0))
    ]


@pytest.fixture
async def iris_registered(
    registry: Registry, service_token_file: Path, iris_models: list[Trained]
) -> list[int]:
    """The three iris models as versions 1-3 of `iris`; `production` -> 1."""
    numbers = [
        await register(registry, service_token_file, "iris", trained) for trained in iris_models
    ]
    await set_alias(registry, "iris", "production", numbers[0])
    return numbers


@pytest.fixture
def start_serving(
    migrated_db: Database,
    tmp_path: Path,
    tokens_file: Path,
    tokens: dict[str, str],
    service_token_file: Path,
) -> StartServing:
    count = 0

    @contextlib.asynccontextmanager
    async def start(registry_address: str, **overrides: Any) -> AsyncIterator[Serving]:
        nonlocal count
        count += 1
        overrides.setdefault("cache_dir", tmp_path / "serving-cache")
        async with running_serving(
            migrated_db,
            tmp_path / f"serving{count}",
            tokens_file,
            tokens,
            registry_address,
            service_token_file,
            **overrides,
        ) as serving:
            yield serving

    return start


@pytest.fixture
async def serving(
    start_serving: StartServing, registry: Registry, iris_registered: list[int]
) -> AsyncIterator[Serving]:
    async with start_serving(registry.address, deployments=["iris@production"]) as running:
        yield running
