"""External command-line tools the deployment tests run (kubectl, kubernetes-validate, hadolint).

`make deploy-tools` installs them. Without one, a test skips locally; under CI it fails, since
CI must run every check (`support.ci`).
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from support.ci import in_ci, unavailable

__all__ = ["in_ci", "require_tool", "unavailable"]


def require_tool(name: str, install_hint: str = "make deploy-tools") -> str:
    """The path of ``name``: the test interpreter's own bin folder first, then PATH."""
    beside = Path(sys.executable).parent / name
    path = str(beside) if beside.is_file() else shutil.which(name)
    if path is None:
        unavailable(f"{name} is not installed ({install_hint})")
    assert path is not None
    return path
