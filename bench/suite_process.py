"""A whole Slipway suite for a benchmark: `slipway up` as a child process in a folder of its own
(SQLite in that folder, free loopback ports), a token per role, and a channel to each service.

    with running_suite(home, env={"SLIPWAY_SERVING_PREDICTION_LOG_BATCH": "20"}) as suite:
        training = suite.stub("training", TrainingServiceStub)
        training.CreateTrainingJob(request, metadata=suite.auth("developer"))

The suite runs in its own process group and is stopped with SIGTERM (then SIGKILL after a grace
period) when the block ends, on failure too. Every wait is bounded.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc

from slipway.core.auth import add_token

START_SECONDS = 300.0
STOP_SECONDS = 60.0
ROLES = ("developer", "approver", "viewer")


@dataclass
class Suite:
    home: Path
    process: subprocess.Popen[bytes]
    addresses: dict[str, str]
    tokens: dict[str, str]
    channels: dict[str, grpc.Channel] = field(default_factory=dict)

    @property
    def data_root(self) -> Path:
        """Training's data root: dataset paths of jobs are relative to it."""
        return self.home / "data"

    def auth(self, role: str) -> tuple[tuple[str, str], ...]:
        return (("authorization", f"Bearer {self.tokens[role]}"),)

    def stub(self, service: str, kind: type[Any]) -> Any:
        if service not in self.channels:
            self.channels[service] = grpc.insecure_channel(
                self.addresses[service],
                options=[("grpc.max_receive_message_length", 64 * 1024 * 1024)],
            )
        return kind(self.channels[service])

    def log_tail(self, lines: int = 40) -> str:
        log = self.home / "up.log"
        return "\n".join(log.read_text().splitlines()[-lines:]) if log.exists() else ""


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=STOP_SECONDS)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


@contextlib.contextmanager
def running_suite(home: Path, env: Mapping[str, str] | None = None) -> Iterator[Suite]:
    """`slipway up` in ``home`` (created), with ``env`` added to its environment."""
    home.mkdir(parents=True, exist_ok=True)
    (home / "data").mkdir(exist_ok=True)
    tokens = {
        role: add_token(home / "tokens.json", f"bench-{role}", [role], "bench") for role in ROLES
    }
    environment = {k: v for k, v in os.environ.items() if not k.startswith("SLIPWAY_")}
    environment.update({"SLIPWAY_HOME": str(home), **(env or {})})
    suite_file = home / "suite.json"
    with (home / "up.log").open("ab") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "slipway.cli.main",
                "up",
                "--home",
                str(home),
                "--grpc-port-base",
                "0",
                "--metrics-port-base",
                "0",
            ],
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    suite: Suite | None = None
    try:
        deadline = time.monotonic() + START_SECONDS
        while not suite_file.exists():
            if process.poll() is not None:
                raise RuntimeError(
                    f"slipway up exited with {process.returncode}; see {home}/up.log"
                )
            if time.monotonic() > deadline:
                raise RuntimeError(f"the suite was not up within {START_SECONDS:.0f} s")
            time.sleep(0.2)
        described = json.loads(suite_file.read_text())
        tokens["admin"] = Path(described["token_file"]).read_text().strip()
        suite = Suite(
            home,
            process,
            {name: info["grpc_address"] for name, info in described["services"].items()},
            tokens,
        )
        yield suite
    finally:
        if suite is not None:
            for channel in suite.channels.values():
                channel.close()
        _stop(process)
