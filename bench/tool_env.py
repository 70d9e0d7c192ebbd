"""A virtual environment of its own for a tool a benchmark compares against (Evidently, NannyML),
so none of the tool's dependencies reach the project's environment.

``ToolEnvironment.ensure()`` returns the environment's Python, creating it on first use (bounded
in time) and re-using it afterwards; progress goes to standard error. Whether it is ready is read
from package metadata, which is fast; after an install the tool must also import.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INSTALL_SECONDS = 900


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


@dataclass(frozen=True)
class ToolEnvironment:
    name: str  # for messages: "Evidently"
    venv: Path
    requirements: tuple[str, ...]
    check: str  # Python code that exits 0 when the pinned versions are installed
    module: str  # what must import once installed

    def _ready(self, python: Path, imports: bool = False) -> bool:
        """The pinned versions are installed; with ``imports`` also that the tool imports (a
        few seconds)."""
        if not python.exists():
            return False
        code = self.check + (f"; import {self.module}" if imports else "")
        check = subprocess.run([str(python), "-c", code], capture_output=True, timeout=120)
        return check.returncode == 0

    def ensure(self) -> Path:
        """The Python executable of the environment, installing it when missing.

        Raises ``RuntimeError`` (with the tail of pip's output) when it cannot be made.
        """
        python = self.venv / "bin" / "python"
        if self._ready(python):
            return python
        where = self.venv.relative_to(ROOT)
        _say(
            f"installing {' '.join(self.requirements)} into {where} (once; bounded to "
            f"{INSTALL_SECONDS} s) ..."
        )
        began = time.monotonic()
        try:
            subprocess.run(
                [
                    shutil.which("python3") or sys.executable,
                    "-m",
                    "venv",
                    "--clear",
                    str(self.venv),
                ],
                check=True,
                capture_output=True,
                timeout=120,
            )
            subprocess.run(
                [str(python), "-m", "pip", "install", "--quiet", *self.requirements],
                check=True,
                capture_output=True,
                timeout=INSTALL_SECONDS,
            )
        except (OSError, subprocess.SubprocessError) as exc:
            detail = getattr(exc, "stderr", b"") or b""
            raise RuntimeError(
                f"the {self.name} environment could not be installed "
                f"({type(exc).__name__}): "
                f"{detail.decode(errors='replace').strip()[-500:]}"
            ) from exc
        if not self._ready(python, imports=True):
            raise RuntimeError(
                f"{where} was installed but does not hold {' and '.join(self.requirements)}"
            )
        _say(f"  installed in {time.monotonic() - began:.0f} s")
        return python
