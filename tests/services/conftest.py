"""Fixtures every service's tests share: a tokens file with one principal per role."""

from __future__ import annotations

from pathlib import Path

import pytest

from support.harness import make_tokens


@pytest.fixture
def tokens_file(tmp_path: Path) -> Path:
    return tmp_path / "tokens.json"


@pytest.fixture
def tokens(tokens_file: Path) -> dict[str, str]:
    """One token per role; the principal of role R is ``R-user``."""
    return make_tokens(tokens_file)
