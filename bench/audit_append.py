"""Audit log benchmark: audited appends per second, and what auditing adds to one mutation.

For SQLite (a file in a temporary folder) and PostgreSQL (a throwaway local cluster on loopback,
started here with the test suite's helper and removed at the end):

1. Throughput: 1, then 4 writer processes, each doing `--count` audited mutations (or until
   `--seconds` pass). An audited mutation is one transaction holding a real change (an
   idempotency record with a key of its own) and its audit event. Prints events per second.
2. Cost: one process alternates the same transaction with and without `record(...)`, swapping
   which goes first every round, and prints the median time of each and their ratio.
3. The whole chain is verified at the end, so the figures come from appends that were correct.

Each is run unkeyed (SHA-256) and keyed (HMAC-SHA256 under a random key), each on a database of
its own, so the cost of the key shows side by side (`--keying`).

Run: `.venv/bin/python bench/audit_append.py` (`--help` for the options). It touches nothing
outside its temporary folders and listens on loopback only.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import queue
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # the throwaway PostgreSQL cluster of the test suite

from sqlalchemy.orm import Session  # noqa: E402

from slipway.core import idempotency  # noqa: E402
from slipway.core.audit import record  # noqa: E402
from slipway.core.audit.chain import ChainKey, Keyring  # noqa: E402
from slipway.core.audit.log import verify  # noqa: E402
from slipway.core.bootstrap import connect_database  # noqa: E402
from slipway.core.context import Principal  # noqa: E402
from slipway.core.db import Database  # noqa: E402
from slipway.schema import migrate as schema  # noqa: E402
from support.postgres import PostgresUnavailableError, find_bindir, running_cluster  # noqa: E402

BENCH = Principal("bench", frozenset({"developer"}))
WARM_UP = 50


def _mutation(session: Session, tag: str, i: int, audited: bool) -> None:
    """The measured transaction body: one change, and its audit event when `audited`."""
    name = f"{tag}-{i}"
    key = idempotency.IdempotencyKey("registry", "CreateModel", name, BENCH.name)
    idempotency.remember(session, key, "slipway.registry.v1.Model", name.encode())
    if audited:
        record(
            session,
            service="registry",
            action="registry.CreateModel",
            resource=f"models/{name}",
            payload={"after": {"name": name, "n": i}},
            reason="benchmark",
            principal=BENCH,
            request_id=name,
        )


def _writer(
    url: str,
    tag: str,
    count: int,
    seconds: float,
    barrier: Barrier,
    results: Queue[tuple[int, float, float]],
    secret: bytes | None,
) -> None:
    """One writer process: audited mutations until `count` are done or `seconds` pass."""
    db = connect_database(url, ChainKey(secret) if secret else None)
    try:
        barrier.wait(timeout=60)
        began = time.monotonic()  # system-wide clock: comparable between the processes
        deadline = began + seconds
        done = 0
        while done < count and time.monotonic() < deadline:
            with db.unit_of_work() as session:
                _mutation(session, tag, done, audited=True)
            done += 1
        results.put((done, began, time.monotonic()))
    finally:
        db.dispose()


def throughput(
    url: str, writers: int, count: int, seconds: float, secret: bytes | None
) -> tuple[int, float]:
    """(events appended, wall time) for `writers` processes appending at once."""
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(writers)
    results: Queue[tuple[int, float, float]] = ctx.Queue()
    run = uuid.uuid4().hex[:8]
    processes = [
        ctx.Process(
            target=_writer,
            args=(url, f"w{writers}-{run}-{w}", count, seconds, barrier, results, secret),
        )
        for w in range(writers)
    ]
    for process in processes:
        process.start()
    reports: list[tuple[int, float, float]] = []
    give_up = time.monotonic() + seconds + 120
    try:
        while len(reports) < writers and time.monotonic() < give_up:
            try:
                reports.append(results.get(timeout=1))
            except queue.Empty:
                if all(p.exitcode is not None for p in processes):
                    break  # a writer ended without reporting
        for process in processes:
            process.join(timeout=30)
    finally:
        for process in processes:
            if process.is_alive():
                process.kill()
                process.join(timeout=10)
    if len(reports) < writers or any(p.exitcode != 0 for p in processes):
        raise RuntimeError(f"a writer failed: exit codes {[p.exitcode for p in processes]}")
    events = sum(n for n, _, _ in reports)
    wall = max(end for _, _, end in reports) - min(start for _, start, _ in reports)
    return events, wall


@dataclass
class Cost:
    pairs: int
    audited_ms: float
    plain_ms: float

    @property
    def ratio(self) -> float:
        return self.audited_ms / self.plain_ms


def cost(db: Database, pairs: int, seconds: float) -> Cost:
    """Median time of the same transaction with and without its audit event, interleaved."""
    tag = f"cost-{uuid.uuid4().hex[:8]}"
    times: dict[bool, list[float]] = {True: [], False: []}

    def once(audited: bool, i: int) -> float:
        began = time.perf_counter()
        with db.unit_of_work() as session:
            _mutation(session, f"{tag}-{'a' if audited else 'p'}", i, audited)
        return time.perf_counter() - began

    deadline = time.monotonic() + seconds
    for i in range(WARM_UP + pairs):
        if i >= WARM_UP and time.monotonic() >= deadline:
            break
        order = (True, False) if i % 2 else (False, True)
        for audited in order:
            elapsed = once(audited, i)
            if i >= WARM_UP:
                times[audited].append(elapsed)
    return Cost(
        pairs=len(times[True]),
        audited_ms=statistics.median(times[True]) * 1000,
        plain_ms=statistics.median(times[False]) * 1000,
    )


def bench(label: str, url: str, args: argparse.Namespace, keyed: bool) -> None:
    schema.upgrade(url)
    secret = os.urandom(32) if keyed else None
    key = ChainKey(secret) if secret else None
    db = connect_database(url, key)
    label = f"{label}, {'keyed HMAC-SHA256' if keyed else 'unkeyed SHA-256'}"
    try:
        with db.engine.connect() as conn:
            if db.dialect_name == "sqlite":
                synchronous = {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}[
                    conn.exec_driver_sql("PRAGMA synchronous").scalar_one()
                ]
                setup = f"file, WAL, synchronous={synchronous}"
            else:
                version = conn.exec_driver_sql("SHOW server_version").scalar_one()
                setup = (
                    f"PostgreSQL {version}, throwaway cluster on loopback TCP, fsync=off, "
                    "synchronous_commit=off"
                )
        print(f"{label} ({setup})", flush=True)
        for writers in args.writers:
            events, wall = throughput(url, writers, args.count, args.seconds, secret)
            noun = "writer " if writers == 1 else "writers"
            print(
                f"  audited appends/s, {writers} {noun}: {events / wall:8.0f}"
                f"   ({events} events in {wall:.2f} s)",
                flush=True,
            )
        result = cost(db, args.pairs, args.seconds)
        print(
            f"  one mutation, audited vs not:   {result.ratio:8.2f}x"
            f"  (median {result.audited_ms:.3f} ms vs {result.plain_ms:.3f} ms, "
            f"{result.pairs} interleaved pairs)",
            flush=True,
        )
        began = time.monotonic()
        with db.unit_of_work(read_only=True) as session:
            check = verify(session, keyring=Keyring.of([key] if key else []))
        if not check.ok:
            raise RuntimeError(f"the chain does not verify: {check.detail}")
        print(
            f"  chain verified: {check.event_count} events OK in {time.monotonic() - began:.2f} s",
            flush=True,
        )
    finally:
        db.dispose()


@contextmanager
def postgresql_urls(count: int) -> Iterator[list[str]]:
    try:
        find_bindir()
    except PostgresUnavailableError as exc:
        print(f"postgresql: skipped ({exc})")
        yield []
        return
    with running_cluster() as cluster:
        yield [cluster.url(cluster.create_database()) for _ in range(count)]


def _counts(text: str) -> list[int]:
    return [int(part) for part in text.split(",")]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--count",
        type=int,
        default=2000,
        help="audited mutations per writer process (default: 2000)",
    )
    parser.add_argument(
        "--seconds", type=float, default=20.0, help="time cap of each measurement (default: 20)"
    )
    parser.add_argument(
        "--writers",
        type=_counts,
        default=[1, 4],
        help="comma-separated writer process counts (default: 1,4)",
    )
    parser.add_argument(
        "--pairs",
        type=int,
        default=2000,
        help="interleaved audited/unaudited pairs for the cost (default: 2000)",
    )
    parser.add_argument(
        "--keying",
        default="unkeyed,keyed",
        help="comma-separated: unkeyed, keyed (default: both, side by side)",
    )
    parser.add_argument(
        "--databases",
        default="sqlite,postgresql",
        help="comma-separated: sqlite, postgresql (default: both)",
    )
    args = parser.parse_args(argv)
    databases = args.databases.split(",")
    unknown = set(databases) - {"sqlite", "postgresql"}
    if unknown:
        parser.error(f"unknown databases: {sorted(unknown)}")
    keying = args.keying.split(",")
    if set(keying) - {"unkeyed", "keyed"}:
        parser.error(f"unknown keying: {sorted(set(keying) - {'unkeyed', 'keyed'})}")

    print(
        f"audit log benchmark: {args.count} audited mutations per writer (cap {args.seconds:g}"
        f" s), each one transaction with an idempotency record and its event"
    )
    runs: dict[str, Callable[[], None]] = {}
    with tempfile.TemporaryDirectory(prefix="slipway-bench-") as folder:

        def on_sqlite() -> None:
            for mode in keying:
                bench("sqlite", f"sqlite:///{folder}/bench-{mode}.db", args, mode == "keyed")

        def on_postgresql() -> None:
            with postgresql_urls(len(keying)) as urls:
                for mode, url in zip(keying, urls, strict=False):
                    bench("postgresql", url, args, mode == "keyed")

        runs["sqlite"] = on_sqlite

        runs["postgresql"] = on_postgresql
        for name in databases:
            runs[name]()
    return 0


if __name__ == "__main__":
    sys.exit(main())
