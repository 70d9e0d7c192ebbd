"""Graceful shutdown, for real: a server process gets SIGTERM while a slow call is in flight.

The server runs in a child process (``tests/support/slow_server.py``, the shared core serving the
probe service, or a real service entry point), so the signal handling, the drain and the exit code
are the production ones. Every wait is bounded; a child still alive at the end is killed.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from support.probe import SERVICE, method
from support.waiting import wait_until_sync

pytestmark = pytest.mark.slow

SLOW_SERVER = Path(__file__).resolve().parents[1] / "support" / "slow_server.py"
START_TIMEOUT = 90.0  # interpreter start, imports, and for a service its database migrations:
# seconds when idle, far more beside CI on two cores
POLL_INTERVAL = 0.05
# How a server that is shutting down turns a new call away: UNAVAILABLE once it stops listening
# or sent GOAWAY, CANCELLED for a call that reached it just as the shutdown began (seen on a
# loaded machine). Either way the call never runs.
REFUSED = {grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.CANCELLED}


class ServerProcess:
    """A server child process writing JSON log lines to a file and a ready file when SERVING."""

    def __init__(self, argv: list[str], home: Path) -> None:
        self.home = home
        self.ready_file = home / "ready.json"
        self.log_file = home / "server.log"
        env = {k: v for k, v in os.environ.items() if not k.startswith("SLIPWAY_")}
        with self.log_file.open("wb") as log:
            self.process = subprocess.Popen(
                [
                    *argv,
                    "--home",
                    str(home),
                    "--ready-file",
                    str(self.ready_file),
                    "--grpc-address",
                    "127.0.0.1:0",
                    "--metrics-address",
                    "127.0.0.1:0",
                    "--log-format",
                    "json",
                    "--insecure-no-auth",
                ],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
            )
        self.ready: dict[str, str] = {}

    def log_text(self) -> str:
        return self.log_file.read_text(errors="replace")

    def log_events(self) -> list[dict[str, object]]:
        events = []
        for line in self.log_text().splitlines():
            if line.startswith("{"):
                try:
                    events.append(json.loads(line))
                except json.JSONDecodeError:  # a line still being written
                    continue
        return events

    def wait_ready(self, timeout: float = START_TIMEOUT) -> dict[str, str]:
        def ready() -> dict[str, str]:
            if self.process.poll() is not None:
                pytest.fail(
                    f"server exited with {self.process.returncode} before it was ready:\n"
                    f"{self.log_text()}"
                )
            if self.ready_file.exists():
                with contextlib.suppress(json.JSONDecodeError):  # still being written
                    self.ready = json.loads(self.ready_file.read_text())
            return self.ready

        result: dict[str, str] = wait_until_sync(
            ready, lambda: f"the server to be ready:\n{self.log_text()}", timeout, POLL_INTERVAL
        )
        return result

    def terminate(self) -> float:
        """Send SIGTERM; returns the monotonic time it was sent."""
        self.process.send_signal(signal.SIGTERM)
        return time.monotonic()

    def wait_for_event(self, event: str, timeout: float) -> None:
        wait_until_sync(
            lambda: any(e.get("event") == event for e in self.log_events()),
            lambda: f"a {event!r} log line:\n{self.log_text()}",
            timeout,
            POLL_INTERVAL,
        )

    def wait_exit(self, timeout: float) -> int:
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pytest.fail(f"server still running {timeout} s later:\n{self.log_text()}")

    def started_calls(self, name: str) -> float:
        """``grpc_server_started_total`` of a probe method, read from the /metrics endpoint."""
        url = f"http://{self.ready['metrics_address']}/metrics"
        with urllib.request.urlopen(url, timeout=5) as response:
            body = response.read().decode()
        found = re.search(
            rf'grpc_server_started_total\{{grpc_method="{name}",grpc_service="{SERVICE}"\}} (\S+)',
            body,
        )
        return float(found.group(1)) if found else 0.0

    def wait_call_started(self, name: str, timeout: float = 15.0) -> None:
        """Until the server has started handling a call of ``name``: then it is in flight."""
        wait_until_sync(
            lambda: self.started_calls(name) >= 1,
            f"the server to start a {name} call",
            timeout,
            POLL_INTERVAL,
        )

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


@pytest.fixture
def spawn(tmp_path) -> Iterator[Callable[..., ServerProcess]]:
    """Starts server processes and waits until they are SERVING; kills leftovers at the end."""
    started: list[ServerProcess] = []

    def start(*argv: str) -> ServerProcess:
        home = tmp_path / f"home{len(started)}"
        home.mkdir()
        server = ServerProcess(list(argv), home)
        started.append(server)
        server.wait_ready()
        return server

    yield start
    for server in started:
        server.kill()


def slow_server(grace_seconds: float) -> list[str]:
    return [sys.executable, str(SLOW_SERVER), "--shutdown-grace-seconds", str(grace_seconds)]


async def health_status(address: str, service: str = "") -> int:
    async with grpc.aio.insecure_channel(address) as channel:
        reply = await health_pb2_grpc.HealthStub(channel).Check(
            health_pb2.HealthCheckRequest(service=service), timeout=5
        )
    status: int = reply.status
    return status


async def health_status_or_error(address: str) -> int | grpc.StatusCode:
    """The health status, or the error code if the server no longer answers at all."""
    try:
        return await health_status(address)
    except grpc.aio.AioRpcError as exc:
        return exc.code()


async def test_sigterm_lets_the_in_flight_call_finish_refuses_new_ones_and_exits_0(spawn):
    # The call lasts 8 s, long enough for the checks below to run while it is in flight on a
    # loaded machine; the grace of 30 s is far longer, so a drain that waited out the grace
    # instead of the call shows in the bounds at the end.
    server = await asyncio.to_thread(spawn, *slow_server(grace_seconds=30))
    address = server.ready["grpc_address"]
    assert await health_status(address) == health_pb2.HealthCheckResponse.SERVING

    async with grpc.aio.insecure_channel(address) as channel:
        sleep = asyncio.ensure_future(channel.unary_unary(method("Sleep"))(b"8", timeout=60))
        await asyncio.to_thread(server.wait_call_started, "Sleep")
        sent = server.terminate()
        await asyncio.to_thread(server.wait_for_event, "shutting down", 15.0)
        assert not sleep.done(), "the slow call must still be in flight for this test to mean much"

        # After SIGTERM: health says NOT_SERVING, or the server no longer takes calls at all.
        assert await health_status_or_error(address) in {
            health_pb2.HealthCheckResponse.NOT_SERVING,
            *REFUSED,
        }
        # A new call, on a new connection or on the draining one, does not reach the service.
        async with grpc.aio.insecure_channel(address) as fresh:
            with pytest.raises(grpc.aio.AioRpcError) as on_fresh:
                await fresh.unary_unary(method("Echo"))(b"late", timeout=5)
        assert on_fresh.value.code() in REFUSED, on_fresh.value
        with pytest.raises(grpc.aio.AioRpcError) as on_draining:
            await channel.unary_unary(method("Echo"))(b"late", timeout=5)
        assert on_draining.value.code() in REFUSED, on_draining.value
        assert not sleep.done()

        assert await sleep == b"slept"
        finished = time.monotonic()

    code = await asyncio.to_thread(server.wait_exit, 20.0)
    exited = time.monotonic()
    assert code == 0, server.log_text()
    assert finished - sent < 15.0, "the drain should end with the 8 s call, not the 30 s grace"
    assert exited - finished < 10.0, "the process lingered after the drain"
    events = server.log_events()
    names = [e["event"] for e in events]
    assert names.index("shutting down") < names.index("stopped")
    # Server side: the slow call finished OK and neither late call ever reached a handler.
    probe_calls = [
        (e["method"], e["code"])
        for e in events
        if e["event"] == "rpc" and str(e["method"]).startswith(f"/{SERVICE}/")
    ]
    assert probe_calls == [(method("Sleep"), "OK")]
    assert "Traceback" not in server.log_text()


async def test_calls_longer_than_the_grace_period_are_cut_off_and_the_process_exits_0(spawn):
    server = await asyncio.to_thread(spawn, *slow_server(grace_seconds=1))
    address = server.ready["grpc_address"]

    # The call would take 30 s; with a 1 s grace period neither it nor the process may last
    # that. The bounds below leave a loaded machine room and stay far below the call.
    async with grpc.aio.insecure_channel(address) as channel:
        sleep = asyncio.ensure_future(channel.unary_unary(method("Sleep"))(b"30", timeout=60))
        await asyncio.to_thread(server.wait_call_started, "Sleep")
        sent = server.terminate()
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await sleep
        cut_off = time.monotonic()
    assert caught.value.code() in {grpc.StatusCode.CANCELLED, grpc.StatusCode.UNAVAILABLE}, (
        caught.value
    )

    code = await asyncio.to_thread(server.wait_exit, 20.0)
    exited = time.monotonic()
    assert code == 0, server.log_text()
    assert 0.5 < cut_off - sent < 15.0, "the call should run for about the 1 s grace period"
    assert exited - sent < 20.0
    rpc_lines = [e for e in server.log_events() if e.get("event") == "rpc"]
    assert [(e["method"], e["code"]) for e in rpc_lines] == [(method("Sleep"), "CANCELLED")]


async def test_a_service_entry_point_exits_0_on_sigterm(spawn):
    server = await asyncio.to_thread(spawn, sys.executable, "-m", "slipway.cli.main", "registry")
    address = server.ready["grpc_address"]
    assert server.ready["service"] == "registry"
    assert (
        await health_status(address, "slipway.registry.v1.RegistryService")
        == health_pb2.HealthCheckResponse.SERVING
    )

    server.terminate()
    code = await asyncio.to_thread(server.wait_exit, 30.0)  # only bounds a hang
    assert code == 0, server.log_text()
    assert "stopped" in [e["event"] for e in server.log_events()]
    assert "Traceback" not in server.log_text()
