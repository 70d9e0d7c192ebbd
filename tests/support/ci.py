"""Whether the tests run under CI, read in this one place.

Under CI every check must run: a test whose tools or PostgreSQL are missing fails there instead
of skipping. `.ci/run` exports `CI=true`; other runners set `CI=1` or `CI=yes`, in any case.
"""

from __future__ import annotations

import os
from typing import NoReturn

import pytest

__all__ = ["in_ci", "unavailable"]

_TRUE = frozenset({"true", "1", "yes"})


def in_ci() -> bool:
    """True when the CI variable says so (true, 1 or yes, in any case)."""
    return os.environ.get("CI", "").strip().lower() in _TRUE


def unavailable(reason: str) -> NoReturn:
    """Skip the test, or fail it under CI, where every check must run."""
    if in_ci():
        pytest.fail(f"CI is set and {reason}", pytrace=False)
    pytest.skip(reason)
