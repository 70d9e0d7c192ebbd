"""The Evidently environment the monitoring benchmarks compare against.

Evidently 0.7.23 (with ``pandas<3``, which 0.7 needs) lives in a virtual environment of its own,
``.tools/bench-evidently`` (git-ignored), so none of its dependencies reach the project's
environment. ``ensure()`` returns that environment's Python, creating it on first use and re-using
it afterwards; progress goes to standard error. Other benchmark scripts import this module, so
``ensure``, ``VENV`` and ``REQUIREMENTS`` are its stable interface.

Run on its own to create the environment ahead of time: ``.venv/bin/python bench/evidently_env.py``.
"""

from __future__ import annotations

from tool_env import ROOT, ToolEnvironment

VENV = ROOT / ".tools" / "bench-evidently"
EVIDENTLY_VERSION = "0.7.23"
REQUIREMENTS = (f"evidently=={EVIDENTLY_VERSION}", "pandas<3")
_CHECK = (
    "import sys; from importlib.metadata import version as v; "
    f"sys.exit(0 if v('evidently') == {EVIDENTLY_VERSION!r} "
    "and int(v('pandas').split('.')[0]) < 3 else 1)"
)

_ENVIRONMENT = ToolEnvironment("Evidently", VENV, REQUIREMENTS, _CHECK, "evidently")
ensure = _ENVIRONMENT.ensure

if __name__ == "__main__":
    print(ensure())
