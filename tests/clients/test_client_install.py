"""slipway-client installed alone into a fresh virtual environment (dependencies from PyPI):
it brings the clients and numpy, and nothing of the server (no scikit-learn, SQLAlchemy,
Alembic, structlog or the `slipway` distribution)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BUDGET_SECONDS = 300.0
SERVER_ONLY = {
    "scikit-learn",
    "sqlalchemy",
    "alembic",
    "structlog",
    "slipway",
    "scipy",
    "skops",
    "psycopg",
    "prometheus-client",
}

CHECK = """
import importlib.util, json
import slipway.client
from slipway.client import aio
connection = slipway.client.connect("127.0.0.1:1", token="t", timeout=1.0)
connection.close()
print(json.dumps({
    "connect": callable(slipway.client.connect) and callable(aio.connect),
    "clients": sorted(n for n in dir(connection) if not n.startswith("_")),
    "services": importlib.util.find_spec("slipway.services") is not None,
    "core": importlib.util.find_spec("slipway.core") is not None,
    "sklearn": importlib.util.find_spec("sklearn") is not None,
}))
"""


def _run(args: list[str], deadline: float, cwd: Path) -> str:
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "VIRTUAL_ENV"}}
    result = subprocess.run(
        args,
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=max(1.0, deadline - time.monotonic()),
        check=False,
    )
    assert result.returncode == 0, f"{args} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


@pytest.mark.slow
def test_the_client_installs_alone_without_server_dependencies(tmp_path: Path):
    deadline = time.monotonic() + BUDGET_SECONDS
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", str(venv)], deadline, tmp_path)
    python = venv / "bin" / "python"
    _run(
        [
            str(python),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            str(REPO / "clients" / "python"),
        ],
        deadline,
        tmp_path,
    )

    listed = json.loads(
        _run(
            [str(python), "-m", "pip", "list", "--format=json", "--disable-pip-version-check"],
            deadline,
            tmp_path,
        )
    )
    installed = {p["name"].lower().replace("_", "-") for p in listed}
    assert {"slipway-client", "numpy", "grpcio", "grpcio-status", "protobuf"} <= installed
    assert not installed & SERVER_ONLY, installed & SERVER_ONLY

    found = json.loads(_run([str(python), "-c", CHECK], deadline, tmp_path))
    assert found["connect"]
    assert {"registry", "training", "inference", "monitoring"} <= set(found["clients"])
    assert not found["services"], "slipway.services must not be importable"
    assert not found["core"], "slipway.core must not be importable"
    assert not found["sklearn"]
