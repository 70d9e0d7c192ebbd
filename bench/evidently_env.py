"""The Evidently environment the monitoring benchmarks compare against.

Evidently 0.7.23 (with ``pandas<3``, which 0.7 needs) lives in a virtual environment of its own,
``.tools/bench-evidently`` (git-ignored), so none of its dependencies reach the project's
environment. ``ensure()`` returns that environment's Python, creating it on first use and re-using
it afterwards; progress goes to standard error. Other benchmark scripts import this module, so
``ensure``, ``VENV`` and ``REQUIREMENTS`` are its stable interface.

Run on its own to create the environment ahead of time: ``.venv/bin/python bench/evidently_env.py``.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".tools" / "bench-evidently"
EVIDENTLY_VERSION = "0.7.23"
REQUIREMENTS = (f"evidently=={EVIDENTLY_VERSION}", "pandas<3")
INSTALL_SECONDS = 900

_CHECK = (
    "import sys; from importlib.metadata import version as v; "
    f"sys.exit(0 if v('evidently') == {EVIDENTLY_VERSION!r} "
    "and int(v('pandas').split('.')[0]) < 3 else 1)"
)


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _ready(python: Path, imports: bool = False) -> bool:
    """The pinned versions are installed (read from package metadata, which is fast); with
    ``imports`` also that Evidently imports (a few seconds)."""
    if not python.exists():
        return False
    code = _CHECK + ("; import evidently" if imports else "")
    check = subprocess.run([str(python), "-c", code], capture_output=True, timeout=120)
    return check.returncode == 0


def ensure() -> Path:
    """The Python executable of ``.tools/bench-evidently``, installing it when missing.

    Raises ``RuntimeError`` (with the tail of pip's output) when the environment cannot be made.
    """
    python = VENV / "bin" / "python"
    if _ready(python):
        return python
    _say(
        f"installing {' '.join(REQUIREMENTS)} into {VENV.relative_to(ROOT)} (once; bounded to "
        f"{INSTALL_SECONDS} s) ..."
    )
    began = time.monotonic()
    try:
        subprocess.run(
            [shutil.which("python3") or sys.executable, "-m", "venv", "--clear", str(VENV)],
            check=True,
            capture_output=True,
            timeout=120,
        )
        subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", *REQUIREMENTS],
            check=True,
            capture_output=True,
            timeout=INSTALL_SECONDS,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        detail = getattr(exc, "stderr", b"") or b""
        raise RuntimeError(
            f"the Evidently environment could not be installed "
            f"({type(exc).__name__}): "
            f"{detail.decode(errors='replace').strip()[-500:]}"
        ) from exc
    if not _ready(python, imports=True):
        raise RuntimeError(
            f"{VENV.relative_to(ROOT)} was installed but does not hold {' and '.join(REQUIREMENTS)}"
        )
    _say(f"  installed in {time.monotonic() - began:.0f} s")
    return python


if __name__ == "__main__":
    print(ensure())
