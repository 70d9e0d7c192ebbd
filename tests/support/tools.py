"""External command-line tools the deployment tests run (kubectl, kubernetes-validate, hadolint).

`make deploy-tools` installs them. Without one, a test skips locally; under `CI=true` it fails,
since CI must run every check.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def require_tool(name: str, install_hint: str = "make deploy-tools") -> str:
    """The path of ``name``: the test interpreter's own bin folder first, then PATH."""
    beside = Path(sys.executable).parent / name
    path = str(beside) if beside.is_file() else shutil.which(name)
    if path is None:
        unavailable(f"{name} is not installed ({install_hint})")
    assert path is not None
    return path


def unavailable(reason: str) -> None:
    """Skip the test, or fail it under CI=true."""
    if in_ci():
        pytest.fail(f"CI=true and {reason}", pytrace=False)
    pytest.skip(reason)
