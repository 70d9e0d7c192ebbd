"""Fixtures the services' tests share: a tokens file with one principal per role, the token a
service presents to its peers, a data root with a small CSV, and an in-process registry on
`migrated_db` (the registry's own tests start theirs with other settings)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from slipway.core.db import Database
from support.harness import make_tokens
from support.registry import Registry
from support.training import running_registry, write_csv


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
async def registry(migrated_db: Database, tmp_path: Path, tokens_file: Path,
                   tokens: dict[str, str]) -> AsyncIterator[Registry]:
    async with running_registry(migrated_db, tmp_path / "registry", tokens_file, tokens,
                                tmp_path / "artifacts") as running:
        yield running
