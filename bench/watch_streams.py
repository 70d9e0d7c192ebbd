"""Watch streams benchmark: GetModel latency with 0 and with 2,000 WatchModelEvents streams open.

Measured in one run on this machine against one registry:

- GetModel p50 and p99 (one call at a time, after warm-up) with no watch streams open;
- the same with ``--streams`` (default 2,000) WatchModelEvents streams open and idle, all of one
  viewer principal, and the ratio of the two medians;
- the registry's CPU use while the streams sit idle (what polling costs), and its resident memory;
- how long one change (a new model) takes to reach every open stream, and that each stream gets
  it exactly once.

The registry runs as `slipway registry` in a subprocess on 127.0.0.1:0 with its embedded SQLite
database in a temporary folder. The caps on open streams and concurrent calls are raised through
the environment for the run (variables an older registry without those caps ignores, so the same
script measures the code before the fix). The streams are spread over 20 gRPC channels of the
benchmark's process; every loop is bounded in count and in time.

Run: `.venv/bin/python bench/watch_streams.py` (about 1 minute; `--streams 500` for less).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc

from slipway.core.auth import add_token
from slipway.registry.v1 import registry_service_pb2 as pb
from slipway.registry.v1 import registry_service_pb2_grpc as pb_grpc

CHANNELS = 20
START_SECONDS = 60.0
OPEN_SECONDS = 240.0  # before the fix, 2,000 streams took long to open on a loaded machine
CHANGE_SECONDS = 120.0


@dataclass(frozen=True)
class Registry:
    address: str
    pid: int
    developer: tuple[tuple[str, str], ...]
    viewer: tuple[tuple[str, str], ...]


def stop_group(process: subprocess.Popen[bytes], grace: float = 15.0) -> None:
    """SIGTERM the process group this benchmark started, then SIGKILL what is left of it."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=grace)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=10)


def tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


@contextlib.contextmanager
def registry_process(folder: Path, streams: int) -> Iterator[Registry]:
    tokens = folder / "tokens.json"
    developer = add_token(tokens, "bench", ["developer"], "watch benchmark: changes and reads")
    viewer = add_token(tokens, "watcher", ["viewer"], "watch benchmark: the streams")
    ready = folder / "ready.json"
    log = folder / "registry.log"
    env = {
        **os.environ,
        # Room for every stream (and the calls beside them) in this run only.
        "SLIPWAY_REGISTRY_MAX_CONCURRENT_RPCS": str(streams * 2 + 64),
        "SLIPWAY_REGISTRY_MAX_WATCH_STREAMS": str(streams + 16),
        "SLIPWAY_REGISTRY_MAX_WATCH_STREAMS_PER_PRINCIPAL": str(streams + 16),
        "SLIPWAY_REGISTRY_LOG_LEVEL": "warning",  # no access-log line per call
    }
    command = [
        sys.executable,
        "-m",
        "slipway.cli.main",
        "registry",
        "--home",
        str(folder / "home"),
        "--grpc-address",
        "127.0.0.1:0",
        "--metrics-address",
        "off",
        "--ready-file",
        str(ready),
        "--tokens-file",
        str(tokens),
        "--log-format",
        "json",
        "--shutdown-grace-seconds",
        "2",
    ]
    with log.open("wb") as output:
        process = subprocess.Popen(
            command,
            stdout=output,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            cwd=folder,
            env=env,
        )
    try:
        give_up = time.monotonic() + START_SECONDS
        while not ready.exists():
            if process.poll() is not None or time.monotonic() > give_up:
                raise RuntimeError(f"the registry did not start:\n{tail(log)}")
            time.sleep(0.05)
        address = json.loads(ready.read_text())["grpc_address"]
        yield Registry(
            address,
            process.pid,
            (("authorization", f"Bearer {developer}"),),
            (("authorization", f"Bearer {viewer}"),),
        )
    finally:
        stop_group(process)


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time the process used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def get_model_times(
    stub: pb_grpc.RegistryServiceStub, registry: Registry, calls: int, seconds: float
) -> list[float]:
    """Milliseconds of up to ``calls`` sequential GetModel calls, stopping after ``seconds``."""
    times: list[float] = []
    stop = time.monotonic() + seconds
    for _ in range(calls):
        if time.monotonic() > stop:
            break
        started = time.perf_counter()
        await stub.GetModel(
            pb.GetModelRequest(name="models/churn"), metadata=registry.developer, timeout=120
        )
        times.append((time.perf_counter() - started) * 1000)
    return times


def p50_p99(times: list[float]) -> tuple[float, float]:
    ordered = sorted(times)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


class Streams:
    """``count`` WatchModelEvents streams replaying from sequence 0, spread over channels."""

    def __init__(self, stubs: list[pb_grpc.RegistryServiceStub], registry: Registry, count: int):
        request = pb.WatchModelEventsRequest(after_sequence=0)
        self.calls = [
            stubs[i % len(stubs)].WatchModelEvents(request, metadata=registry.viewer)
            for i in range(count)
        ]

    async def next_sequences(self, within: float) -> list[int | str]:
        """Each stream's next event sequence, or why there was none (a status code, the end
        of the stream, or no answer in time)."""

        async def one(call: Any) -> int | str:
            try:
                reply = await asyncio.wait_for(call.read(), within)
            except grpc.aio.AioRpcError as error:
                return str(error.code().name)
            except TimeoutError:
                return "no answer"
            if isinstance(reply, pb.WatchModelEventsResponse):
                return int(reply.event.sequence)
            return "ended"

        return list(await asyncio.gather(*(one(call) for call in self.calls)))

    def cancel(self) -> None:
        for call in self.calls:
            call.cancel()


@contextlib.asynccontextmanager
async def channels(address: str, count: int) -> AsyncIterator[list[pb_grpc.RegistryServiceStub]]:
    async with contextlib.AsyncExitStack() as stack:
        opened = [
            await stack.enter_async_context(grpc.aio.insecure_channel(address))
            for _ in range(count)
        ]
        yield [pb_grpc.RegistryServiceStub(channel) for channel in opened]


async def measure(registry: Registry, streams: int, calls: int, seconds: float) -> dict[str, Any]:
    result: dict[str, Any] = {}
    async with (
        grpc.aio.insecure_channel(registry.address) as channel,
        channels(registry.address, CHANNELS) as stubs,
    ):
        stub = pb_grpc.RegistryServiceStub(channel)
        await stub.CreateModel(
            pb.CreateModelRequest(model_id="churn"), metadata=registry.developer, timeout=60
        )
        await get_model_times(stub, registry, 20, seconds)  # warm-up
        result["alone"] = p50_p99(await get_model_times(stub, registry, calls, seconds))
        cpu_before, idle_start = cpu_seconds(registry.pid), time.monotonic()
        await asyncio.sleep(2.0)  # the registry's idle CPU use, for comparison
        result["idle_cpu_alone"] = (cpu_seconds(registry.pid) - cpu_before) / (
            time.monotonic() - idle_start
        )
        result["rss_alone"] = rss_mib(registry.pid)

        started = time.monotonic()
        watching = Streams(stubs, registry, streams)
        try:
            first = await watching.next_sequences(OPEN_SECONDS)
            result["opened"] = sum(1 for s in first if s == 1)
            result["not_opened"] = Counter(s for s in first if isinstance(s, str))
            result["open_seconds"] = time.monotonic() - started

            cpu_before, idle_start = cpu_seconds(registry.pid), time.monotonic()
            await asyncio.sleep(2.0)  # every stream open and idle: what polling costs
            result["idle_cpu_crowded"] = (cpu_seconds(registry.pid) - cpu_before) / (
                time.monotonic() - idle_start
            )
            times = await get_model_times(stub, registry, calls, seconds)
            result["crowded"] = p50_p99(times)
            result["crowded_calls"] = len(times)
            result["rss_crowded"] = rss_mib(registry.pid)

            changed = time.monotonic()
            await stub.CreateModel(
                pb.CreateModelRequest(model_id="fraud"), metadata=registry.developer, timeout=120
            )
            second = await watching.next_sequences(CHANGE_SECONDS)
            result["change_seconds"] = time.monotonic() - changed
            result["delivered"] = sum(1 for s in second if s == 2)
            # Exactly once: nothing more arrives for any stream (no duplicate of event 2).
            third = await watching.next_sequences(1.0)
            result["duplicates"] = sum(1 for s in third if isinstance(s, int))
        finally:
            watching.cancel()
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--streams", type=int, default=2000, help="streams to open (2000)")
    parser.add_argument("--calls", type=int, default=300, help="GetModel calls per measure")
    parser.add_argument(
        "--seconds", type=float, default=60.0, help="time cap of each GetModel measure"
    )
    args = parser.parse_args(argv)
    print(
        f"watch streams benchmark: GetModel with 0 and with {args.streams} WatchModelEvents "
        f"streams open (one viewer, {CHANNELS} channels); up to {args.calls} calls or "
        f"{args.seconds:.0f} s per measure; {os.cpu_count()} CPUs, load average "
        f"{os.getloadavg()[0]:.2f}",
        flush=True,
    )
    with (
        tempfile.TemporaryDirectory(prefix="slipway-bench-watch-") as tmp,
        registry_process(Path(tmp), args.streams) as registry,
    ):
        r = asyncio.run(measure(registry, args.streams, args.calls, args.seconds))
    alone, crowded = r["alone"], r["crowded"]
    print(f"  GetModel, no streams     : p50 {alone[0]:8.2f} ms   p99 {alone[1]:8.2f} ms")
    print(
        f"  GetModel, {r['opened']:5d} streams  : p50 {crowded[0]:8.2f} ms   "
        f"p99 {crowded[1]:8.2f} ms   ({r['crowded_calls']} calls)"
    )
    print(f"  ratio of medians         : {crowded[0] / alone[0]:.2f}x")
    print(
        f"  registry CPU while idle  : {r['idle_cpu_alone'] * 100:.1f}% of a core alone, "
        f"{r['idle_cpu_crowded'] * 100:.1f}% with the streams open"
    )
    print(f"  registry RSS             : {r['rss_alone']:.0f} MiB -> {r['rss_crowded']:.0f} MiB")
    failed = ", ".join(f"{n} {why}" for why, n in r["not_opened"].most_common()) or "none"
    print(f"  streams opened in        : {r['open_seconds']:.1f} s (not opened: {failed})")
    print(
        f"  one change reached       : {r['delivered']} of {args.streams} streams in "
        f"{r['change_seconds'] * 1000:.0f} ms; duplicates: {r['duplicates']}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
