"""Anonymous refusals benchmark: what a flood of calls without a token costs a real developer.

For SQLite (the registry's embedded file) and PostgreSQL (a throwaway local cluster on loopback,
started with the test suite's helper and removed at the end), a registry is started as a
subprocess (`slipway registry`, one token with the developer role), then:

1. idle: a developer's audited write (`CreateModel`, one new model each, a real append to the
   audit chain) `--writes` times, one at a time: median and p90 latency;
2. under attack: the same writes while another process sends `--calls` anonymous
   `SetModelAlias` calls with a 16 KiB reason each (`--concurrency` in flight, paced at
   `--rate` a second), until it is done; the write figures are those taken while it ran;
3. growth: the database's size (SQLite: its pages, WAL included; PostgreSQL: the audit table
   with its indexes and TOAST) before the attack and after the registry stopped gracefully (which
   writes the refusals counted in the window still open), and the audit events the attack left.

Idle and attack figures are printed side by side with their ratio. Every loop is bounded in
count and in time (`--seconds` per phase). Run: `.venv/bin/python bench/anonymous_refusals.py`
(`make bench-refusals`). It listens on loopback only and leaves nothing behind.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import json
import multiprocessing
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from multiprocessing.queues import Queue
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # the throwaway PostgreSQL cluster of the test suite

import grpc  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402

from slipway.core.auth import add_token  # noqa: E402
from slipway.registry.v1 import model_pb2  # noqa: E402
from slipway.registry.v1 import registry_service_pb2 as pb  # noqa: E402
from slipway.registry.v1 import registry_service_pb2_grpc as pb_grpc  # noqa: E402
from support.postgres import PostgresUnavailableError, find_bindir, running_cluster  # noqa: E402

# Random text: a repeated letter would be compressed away by PostgreSQL's TOAST, which an
# attacker's text need not allow.
REASON = base64.b64encode(os.urandom(12 * 1024)).decode()  # 16 KiB
START_SECONDS = 120.0
CALL_TIMEOUT = 30.0
WARM_UP = 20


# -- the registry --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Registry:
    address: str
    token: str
    database_url: str
    process: subprocess.Popen[bytes]
    log: Path


def _tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


@contextlib.contextmanager
def registry(folder: Path, database_url: str) -> Iterator[Registry]:
    """`slipway registry` on 127.0.0.1:0 over ``database_url`` (empty: embedded SQLite)."""
    folder.mkdir(parents=True)
    tokens = folder / "tokens.json"
    token = add_token(tokens, "developer", ["developer"], "refusals benchmark")
    ready, log = folder / "ready.json", folder / "registry.log"
    command = [
        sys.executable,
        "-m",
        "slipway.cli.main",
        "registry",
        *("--home", str(folder / "home")),
        *("--grpc-address", "127.0.0.1:0"),
        *("--metrics-address", "off"),
        *("--ready-file", str(ready)),
        *("--tokens-file", str(tokens)),
        *("--log-format", "json"),
        *("--shutdown-grace-seconds", "10"),
    ]
    if database_url:
        command += ["--database-url", database_url, "--auto-migrate"]
    with log.open("wb") as output:
        process = subprocess.Popen(
            command,
            stdout=output,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            cwd=folder,
        )
    try:
        give_up = time.monotonic() + START_SECONDS
        while not ready.exists():
            if process.poll() is not None or time.monotonic() > give_up:
                raise RuntimeError(f"the registry did not start:\n{_tail(log)}")
            time.sleep(0.05)
        address = json.loads(ready.read_text())["grpc_address"]
        url = database_url or f"sqlite:///{folder / 'home' / 'slipway.db'}"
        yield Registry(address, token, url, process, log)
    finally:
        stop(process)


def stop(process: subprocess.Popen[bytes], grace: float = 30.0) -> int | None:
    """SIGTERM (a graceful stop: the counted refusals are written), then SIGKILL if need be."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        return process.wait(timeout=grace)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=10)
    return None


# -- the database --------------------------------------------------------------------------------


def database_bytes(url: str) -> int:
    """What the database occupies (SQLite), or PostgreSQL's audit table with its indexes and
    TOAST."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            if engine.dialect.name == "sqlite":
                # Pages as this connection sees them, WAL included: the file alone shrinks
                # and grows as checkpoints move the WAL into it.
                pages = conn.execute(text("PRAGMA page_count")).scalar_one()
                return int(pages) * int(conn.execute(text("PRAGMA page_size")).scalar_one())
            return int(
                conn.execute(text("SELECT pg_total_relation_size('audit_events')")).scalar_one()
            )
    finally:
        engine.dispose()


def anonymous_events(url: str) -> tuple[int, int, int]:
    """(audit events of anonymous callers, the refusals they count, the characters of their
    text columns)."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT payload, LENGTH(payload) + LENGTH(reason) + LENGTH(resource) "
                    "+ LENGTH(request_id) FROM audit_events WHERE principal = 'anonymous'"
                )
            ).all()
    finally:
        engine.dispose()
    counts = [json.loads(payload).get("refusals", 1) for payload, _ in rows]
    return len(rows), sum(counts), sum(int(size) for _, size in rows)


# -- the callers ---------------------------------------------------------------------------------


def developer_writes(
    address: str, token: str, count: int, seconds: float, until: multiprocessing.Event | None
) -> list[float]:
    """Seconds each of up to ``count`` CreateModel calls took, one at a time, for at most
    ``seconds``; with ``until``, also stopping once it is set (the attack ended)."""
    metadata = (("authorization", f"Bearer {token}"),)
    tag = uuid.uuid4().hex[:8]
    times: list[float] = []
    with grpc.insecure_channel(address) as channel:
        stub = pb_grpc.RegistryServiceStub(channel)
        deadline = time.monotonic() + seconds
        for i in range(count):
            if time.monotonic() > deadline or (until is not None and until.is_set()):
                break
            began = time.perf_counter()
            stub.CreateModel(
                pb.CreateModelRequest(
                    model_id=f"m-{tag}-{i}", model=model_pb2.Model(description="benchmark")
                ),
                metadata=metadata,
                timeout=CALL_TIMEOUT,
            )
            times.append(time.perf_counter() - began)
    return times


def _attack(
    address: str,
    calls: int,
    concurrency: int,
    rate: float,
    seconds: float,
    started: multiprocessing.Event,
    done: multiprocessing.Event,
    results: Queue[tuple[int, int, float]],
) -> None:
    """The attacker process: ``calls`` anonymous SetModelAlias with 16 KiB reasons, at most
    ``concurrency`` in flight and, with a ``rate``, no faster than that many a second."""

    async def run() -> tuple[int, int, float]:
        request = pb.SetModelAliasRequest(
            name="models/bench", alias="production", version_number=1, reason=REASON
        )
        sent = refused = 0
        async with grpc.aio.insecure_channel(address) as channel:
            stub = pb_grpc.RegistryServiceStub(channel)
            deadline = time.monotonic() + seconds
            began = time.perf_counter()

            async def worker() -> None:
                nonlocal sent, refused
                while sent < calls and time.monotonic() < deadline:
                    sent += 1
                    if rate > 0:  # call n leaves at n / rate seconds, whoever answers slowly
                        await asyncio.sleep(max(0.0, began + sent / rate - time.perf_counter()))
                    try:
                        await stub.SetModelAlias(request, timeout=CALL_TIMEOUT)
                    except grpc.aio.AioRpcError as error:
                        refused += error.code() == grpc.StatusCode.UNAUTHENTICATED

            started.set()
            await asyncio.gather(*(worker() for _ in range(concurrency)))
            return sent, refused, time.perf_counter() - began

    try:
        results.put(asyncio.run(run()))
    finally:
        done.set()


@dataclass(frozen=True)
class Figures:
    idle: list[float]
    attacked: list[float]
    calls: int
    refused: int
    attack_seconds: float
    growth_bytes: int
    events: int
    counted: int
    text_chars: int


def _ms(times: list[float], q: float) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def measure(folder: Path, database_url: str, args: argparse.Namespace) -> Figures:
    with registry(folder, database_url) as running:
        developer_writes(running.address, running.token, WARM_UP, args.seconds, None)
        idle = developer_writes(running.address, running.token, args.writes, args.seconds, None)
        size_before = database_bytes(running.database_url)
        ctx = multiprocessing.get_context("spawn")
        started, done = ctx.Event(), ctx.Event()
        results: Queue[tuple[int, int, float]] = ctx.Queue()
        attacker = ctx.Process(
            target=_attack,
            args=(
                running.address,
                args.calls,
                args.concurrency,
                args.rate,
                args.seconds,
                started,
                done,
            ),
            kwargs={"results": results},
        )
        attacker.start()
        try:
            if not started.wait(timeout=START_SECONDS):
                raise RuntimeError("the attacker did not start")
            attacked = developer_writes(
                running.address, running.token, args.writes * 100, args.seconds, done
            )
            calls, refused, attack_seconds = results.get(timeout=args.seconds + CALL_TIMEOUT)
            attacker.join(timeout=30)
        finally:
            if attacker.is_alive():
                attacker.kill()
                attacker.join(timeout=10)
        code = stop(running.process)
        if code != 0:
            raise RuntimeError(f"the registry did not stop cleanly ({code}):\n{_tail(running.log)}")
        growth = database_bytes(running.database_url) - size_before
        events, counted, chars = anonymous_events(running.database_url)
    return Figures(idle, attacked, calls, refused, attack_seconds, growth, events, counted, chars)


def report(label: str, f: Figures) -> None:
    idle_median, attacked_median = statistics.median(f.idle) * 1000, 0.0
    if f.attacked:
        attacked_median = statistics.median(f.attacked) * 1000
    print(f"{label}", flush=True)
    print(f"  {'':34}{'idle':>12}{'under attack':>14}{'ratio':>8}")
    print(
        f"  {'developer CreateModel, median ms':34}{idle_median:12.2f}{attacked_median:14.2f}"
        f"{attacked_median / idle_median:7.2f}x"
    )
    if f.attacked:
        idle_p90, attacked_p90 = _ms(f.idle, 0.9), _ms(f.attacked, 0.9)
        print(
            f"  {'developer CreateModel, p90 ms':34}{idle_p90:12.2f}{attacked_p90:14.2f}"
            f"{attacked_p90 / idle_p90:7.2f}x"
        )
    print(f"  {'writes measured':34}{len(f.idle):12d}{len(f.attacked):14d}")
    print(
        f"  attack: {f.calls} anonymous SetModelAlias (16 KiB reasons), {f.refused} refused "
        f"UNAUTHENTICATED, in {f.attack_seconds:.2f} s ({f.calls / f.attack_seconds:.0f}/s)"
    )
    print(
        f"  database growth across the attack: {f.growth_bytes / 1024:.1f} KiB, the "
        f"{len(f.attacked)} developer writes included ({f.growth_bytes / max(1, f.calls):.1f} "
        "bytes per anonymous call at most)"
    )
    print(
        f"  audit events of anonymous callers: {f.events}, counting {f.counted} refusals, "
        f"{f.text_chars:,} characters of text in all",
        flush=True,
    )


@contextlib.contextmanager
def postgresql_url() -> Iterator[str | None]:
    try:
        find_bindir()
    except PostgresUnavailableError as exc:
        print(f"postgresql: skipped ({exc})")
        yield None
        return
    with running_cluster() as cluster:
        yield cluster.url(cluster.create_database())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=1500, help="anonymous calls (default 1500)")
    parser.add_argument("--concurrency", type=int, default=16, help="in flight (default 16)")
    parser.add_argument(
        "--rate",
        type=float,
        default=170.0,
        help="anonymous calls per second at most, so every version under test gets the same "
        "load (default 170: the 1,500 calls in 9 s of the report); 0: as fast as answered",
    )
    parser.add_argument("--writes", type=int, default=200, help="idle writes (default 200)")
    parser.add_argument(
        "--seconds", type=float, default=90.0, help="time cap of each phase (default 90)"
    )
    parser.add_argument(
        "--databases", default="sqlite,postgresql", help="comma-separated (default: both)"
    )
    args = parser.parse_args(argv)
    databases = args.databases.split(",")
    if set(databases) - {"sqlite", "postgresql"}:
        parser.error(f"unknown databases: {databases}")
    print(
        f"anonymous refusals benchmark: {args.writes} idle developer writes, then writes while "
        f"{args.calls} anonymous SetModelAlias calls ({args.concurrency} in flight, at most "
        f"{args.rate:g}/s) run",
        flush=True,
    )
    with tempfile.TemporaryDirectory(prefix="slipway-bench-") as folder:
        for name in databases:
            if name == "sqlite":
                report("sqlite (embedded file)", measure(Path(folder) / name, "", args))
                continue
            with postgresql_url() as url:
                if url is not None:
                    figures = measure(Path(folder) / name, url, args)
                    report("postgresql (throwaway cluster, loopback)", figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
