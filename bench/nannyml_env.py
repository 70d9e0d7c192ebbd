"""The NannyML environment the estimation benchmark compares against.

NannyML 0.13.1 lives in a virtual environment of its own, ``.tools/bench-nannyml`` (git-ignored),
so none of its dependencies (LightGBM, statsmodels, ...) reach the project's environment. Its
package metadata leaves out statsmodels, which it imports, and 0.13 predates pandas 3: both are
pinned here. ``ensure()`` returns that environment's Python, creating it on first use and re-using
it afterwards; progress goes to standard error. Other benchmark scripts import this module, so
``ensure``, ``VENV`` and ``REQUIREMENTS`` are its stable interface.

Run on its own to create the environment ahead of time: ``.venv/bin/python bench/nannyml_env.py``.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".tools" / "bench-nannyml"
NANNYML_VERSION = "0.13.1"
REQUIREMENTS = (f"nannyml=={NANNYML_VERSION}", "statsmodels", "pandas<3")
INSTALL_SECONDS = 900

_CHECK = (
    "import sys; from importlib.metadata import version as v; "
    f"sys.exit(0 if v('nannyml') == {NANNYML_VERSION!r} and v('statsmodels') "
    "and int(v('pandas').split('.')[0]) < 3 else 1)"
)


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _ready(python: Path, imports: bool = False) -> bool:
    """The pinned versions are installed (read from package metadata, which is fast); with
    ``imports`` also that NannyML imports (a few seconds)."""
    if not python.exists():
        return False
    code = _CHECK + ("; import nannyml" if imports else "")
    check = subprocess.run([str(python), "-c", code], capture_output=True, timeout=120)
    return check.returncode == 0


def ensure() -> Path:
    """The Python executable of ``.tools/bench-nannyml``, installing it when missing.

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
            f"the NannyML environment could not be installed "
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
