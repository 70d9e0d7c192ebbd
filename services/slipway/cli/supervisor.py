"""Child processes of `slipway up`: start, watch, restart with backoff, stop.

A supervisor is judged by what happens off the happy path. A child that crashes is restarted in
place (same addresses, so its peers and the suite file stay right) after a backoff that doubles
with each crash; a child that keeps crashing (more than ``max_restarts`` crashes within
``restart_window`` seconds) makes the suite give up with a message naming it. Every child asks
the kernel to send it SIGTERM when the supervisor dies (Linux ``PR_SET_PDEATHSIG``, see
``die_with_supervisor``), so a
``kill -9`` of ``slipway up`` does not leave four orphaned services holding the ports.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import subprocess
import sys
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

_PR_SET_PDEATHSIG = 1


@dataclass(frozen=True)
class RestartPolicy:
    """When a crashed child is started again, and when the suite gives up on it."""

    max_restarts: int = 5
    restart_window: float = 300.0
    first_backoff: float = 0.5
    max_backoff: float = 30.0

    def backoff(self, crashes_in_window: int) -> float:
        """Seconds to wait before the restart that follows the n-th recent crash."""
        return float(min(self.max_backoff, self.first_backoff * 2 ** max(0, crashes_in_window - 1)))


@dataclass
class Child:
    """One service process and what the supervisor knows of it."""

    name: str
    command: list[str]
    env: dict[str, str]
    ready_file: Path
    log_file: Path
    process: subprocess.Popen[bytes] | None = None
    log_handle: IO[bytes] | None = None
    grpc_address: str = ""
    metrics_address: str = ""
    restarts: int = 0
    crashes: deque[float] = field(default_factory=deque)

    @property
    def pid(self) -> int:
        return self.process.pid if self.process is not None else 0

    def spawn(self, command: list[str] | None = None) -> None:
        """Start the process (again); ``command`` replaces the one it was first started with."""
        if command is not None:
            self.command = command
        self.ready_file.unlink(missing_ok=True)
        if self.log_handle is None or self.log_handle.closed:
            self.log_handle = self.log_file.open("ab")
        self.process = subprocess.Popen(
            self.command,
            env={**self.env, SUPERVISOR_PID_VARIABLE: str(os.getpid())},
            stdout=self.log_handle,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )

    def exit_code(self) -> int | None:
        """None while running; the exit status once it ended."""
        return None if self.process is None else self.process.poll()

    def record_crash(self, now: float, policy: RestartPolicy) -> int:
        """Remember a crash; how many crashes fall within the policy's window, this one
        included."""
        self.crashes.append(now)
        while self.crashes and now - self.crashes[0] > policy.restart_window:
            self.crashes.popleft()
        return len(self.crashes)

    def close_log(self) -> None:
        if self.log_handle is not None:
            self.log_handle.close()


SUPERVISOR_PID_VARIABLE = "SLIPWAY_SUPERVISOR_PID"


def die_with_supervisor() -> None:
    """In a child of `slipway up`: ask the kernel for SIGTERM when the supervisor dies.

    Called by the child itself at start-up (a pre-exec hook in the supervisor would be unsafe:
    the supervisor has gRPC threads). Checking the parent afterwards closes the race where the
    supervisor died before the request was made: it would then never fire."""
    expected = os.environ.get(SUPERVISOR_PID_VARIABLE, "")
    if not expected.isdigit() or not sys.platform.startswith("linux"):
        return
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    if os.getppid() != int(expected):
        os.kill(os.getpid(), signal.SIGTERM)


def describe_exit(code: int) -> str:
    if code < 0:
        try:
            return f"killed by signal {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exited with code {code}"


def tail(path: Path, lines: int = 8) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def stop_all(children: list[Child], grace: float) -> None:
    """SIGTERM every running child, wait up to the grace (plus a margin), then SIGKILL."""
    for child in children:
        if child.process is not None and child.process.poll() is None:
            child.process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + grace + 5
    for child in children:
        if child.process is not None:
            try:
                child.process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                print(f"  {child.name} did not stop in time; killing it", flush=True)
                child.process.kill()
                child.process.wait()
        child.close_log()
