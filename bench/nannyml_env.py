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

from tool_env import ROOT, ToolEnvironment

VENV = ROOT / ".tools" / "bench-nannyml"
NANNYML_VERSION = "0.13.1"
REQUIREMENTS = (f"nannyml=={NANNYML_VERSION}", "statsmodels", "pandas<3")
_CHECK = (
    "import sys; from importlib.metadata import version as v; "
    f"sys.exit(0 if v('nannyml') == {NANNYML_VERSION!r} and v('statsmodels') "
    "and int(v('pandas').split('.')[0]) < 3 else 1)"
)

_ENVIRONMENT = ToolEnvironment("NannyML", VENV, REQUIREMENTS, _CHECK, "nannyml")
ensure = _ENVIRONMENT.ensure

if __name__ == "__main__":
    print(ensure())
