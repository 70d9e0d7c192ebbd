"""`slipway up` as a test drives it: a real process on free ports, found through suite.json."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from support.waiting import wait_until_sync

# A bound for a failure, not a wait: four services start in about 10 s on an idle machine, and
# took more than 90 s beside CI and two CPU hogs.
STARTUP_TIMEOUT = 300.0


def start_suite(
    home: Path, *extra: str, env: dict[str, str] | None = None
) -> subprocess.Popen[str]:
    """`slipway up` on free ports in ``home``, its output captured."""
    environment = dict(os.environ, SLIPWAY_HOME=str(home), **(env or {}))
    environment.pop("SLIPWAY_DATABASE_URL", None)
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "slipway.cli.main",
            "up",
            "--grpc-port-base",
            "0",
            "--metrics-port-base",
            "0",
            "--shutdown-grace",
            "5",
            "--timeout",
            str(STARTUP_TIMEOUT),
            *extra,
        ],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def wait_for_suite(process: subprocess.Popen[str], home: Path) -> dict[str, Any]:
    """The suite description once every service reported SERVING."""
    suite_file = home / "suite.json"

    def described() -> dict[str, Any] | None:
        if suite_file.exists():
            with contextlib.suppress(json.JSONDecodeError):  # still being written
                loaded: dict[str, Any] = json.loads(suite_file.read_text())
                if loaded.get("pid") == process.pid:
                    return loaded
        if process.poll() is not None:
            assert process.stdout is not None
            pytest.fail(f"slipway up exited {process.returncode}:\n{process.stdout.read()}")
        return None

    def output() -> str:
        process.kill()
        return f"suite.json:\n{process.communicate()[0]}"

    found: dict[str, Any] = wait_until_sync(described, output, STARTUP_TIMEOUT, poll=0.2)
    return found


def stop_suite(process: subprocess.Popen[str]) -> tuple[int, str]:
    """SIGTERM, then its exit code and whole output."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        output, _ = process.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate()
        pytest.fail(f"slipway up did not stop on SIGTERM:\n{output}")
    return process.returncode, output


def running(pid: int) -> bool:
    """Whether a process exists (a zombie child of the test counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(") ", 1)[1][0] != "Z"
    except FileNotFoundError:
        return False


def wait_for(condition: Callable[[], Any], what: str, timeout: float = STARTUP_TIMEOUT) -> Any:
    """Poll until ``condition()`` is truthy and return it; fail naming ``what`` otherwise."""
    return wait_until_sync(condition, what, within=timeout)
