"""Slipway services as child processes on the test's database: started, waited for, killed.

Every wait here is bounded in time.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from support.waiting import wait_until_sync

START_TIMEOUT = 90.0  # interpreter, scikit-learn import, database check: slow under load


class ServiceProcess:
    """`slipway <service>` in a child process on the test's database, logging JSON to a file."""

    def __init__(
        self, service: str, home: Path, database_url: str, tokens_file: Path, *extra: str
    ) -> None:
        home.mkdir(parents=True, exist_ok=True)
        self.service = service
        self.ready_file = home / "ready.json"
        self.log_file = home / f"{service}.log"
        env = {k: v for k, v in os.environ.items() if not k.startswith("SLIPWAY_")}
        with self.log_file.open("wb") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "slipway.cli.main",
                    service,
                    "--home",
                    str(home),
                    "--database-url",
                    database_url,
                    "--grpc-address",
                    "127.0.0.1:0",
                    "--metrics-address",
                    "127.0.0.1:0",
                    "--ready-file",
                    str(self.ready_file),
                    "--tokens-file",
                    str(tokens_file),
                    "--log-format",
                    "json",
                    *extra,
                ],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
            )
        self.address = ""

    def log_text(self) -> str:
        return self.log_file.read_text(errors="replace")

    def wait_ready(self, timeout: float = START_TIMEOUT) -> str:
        def ready() -> str:
            if self.process.poll() is not None:
                pytest.fail(
                    f"{self.service} exited with {self.process.returncode} before it "
                    f"was ready:\n{self.log_text()}"
                )
            if self.ready_file.exists():
                with contextlib.suppress(json.JSONDecodeError):  # still being written
                    self.address = json.loads(self.ready_file.read_text())["grpc_address"]
            return self.address

        return str(
            wait_until_sync(
                ready, lambda: f"{self.service} to be ready:\n{self.log_text()}", timeout
            )
        )

    def kill(self) -> None:
        """SIGKILL: no shutdown hook, no cleanup, as in a crash."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=30)
