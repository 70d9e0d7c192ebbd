"""Monitoring SIGKILLed during traffic, on SQLite and PostgreSQL: serving answers every request,
the prediction logs it cannot deliver are dropped and counted, and logging resumes by itself
when monitoring comes back on the same address.

Monitoring runs as a child process (`slipway monitoring`) on a fixed loopback port so that its
restart is reachable at the target serving already holds; serving runs in-process, so its
counters are read directly. Every wait is bounded.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import time
import urllib.request
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import grpc
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sklearn.datasets import load_iris
from sqlalchemy import select

from slipway.core.db import Database
from slipway.services.monitoring.storage.tables import PredictionRow
from support.processes import ServiceProcess
from support.registry import Registry, wait_until
from support.serving import (
    Serving,
    iris_spec,
    matrix_request,
    output,
    register,
    running_serving,
    train_locally,
)

ROWS = load_iris().data[::15]
BATCH = 5
MAX_REQUESTS = 3000  # a ceiling on the traffic whatever happens; the phases below end it
PAUSE = 0.01  # between requests: about 60 to 90 requests a second
# Counted in requests, not seconds, so a slow machine runs the same phases: about 2 s and 1 s
# of traffic when idle.
OUTAGE_REQUESTS = 150  # requests while monitoring is down, before it is restarted
AFTER_RESUME_REQUESTS = 75  # requests once stored logs show the restarted monitoring
PHASE_SECONDS = 120.0  # a bound for a failure: the phases above end long before
WAIT_SECONDS = 15.0

SENT = "slipway_serving_prediction_logs_sent_total"
DROPPED = "slipway_serving_prediction_logs_dropped_total"
SENDER_DROPPED = "slipway_monitoring_sender_dropped_records_total"


def free_port() -> int:
    """A loopback port that is free now (the restart must come back on the same one)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def request_id(index: int) -> str:
    return f"q{index:05d}"


def index_of(rid: str) -> int:
    return int(rid[1:])


def counter(serving: Serving, name: str, **labels: str) -> float:
    """The value of one of serving's own series, summed over the other labels."""
    return float(
        sum(
            sample.value
            for collector in serving.app.collectors
            for family in collector.collect()
            for sample in family.samples
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items())
        )
    )


def scrape(address: str, name: str) -> float:
    """A series of a child process's /metrics, summed over its labels."""
    with urllib.request.urlopen(f"http://{address}/metrics", timeout=5.0) as reply:
        text = reply.read().decode()
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == name
    )


def stored_ids(db: Database) -> list[str]:
    with db.unit_of_work(read_only=True) as session:
        return list(session.scalars(select(PredictionRow.request_id).order_by(PredictionRow.seq)))


@dataclass
class Traffic:
    """Sequential inference requests ``q00000, q00001, ...`` until told to stop."""

    serving: Serving
    sent: int = 0
    errors: list[str] = field(default_factory=list)
    slowest: float = 0.0
    stop: asyncio.Event = field(default_factory=asyncio.Event)

    async def run(self) -> None:
        while not self.stop.is_set() and self.sent < MAX_REQUESTS:
            started = time.monotonic()
            try:
                reply = await self.serving.infer(
                    matrix_request("iris", ROWS, request_id=request_id(self.sent), raw=True)
                )
                if len(output(reply, "predict")) != len(ROWS):
                    self.errors.append(f"{request_id(self.sent)}: short answer")
            except grpc.aio.AioRpcError as error:
                self.errors.append(
                    f"{request_id(self.sent)}: {error.code().name} {error.details()}"
                )
            self.slowest = max(self.slowest, time.monotonic() - started)
            self.sent += 1
            await asyncio.sleep(PAUSE)


@pytest.fixture
def start_monitoring(
    database_url: str,
    migrated_db: Database,
    tmp_path: Path,
    tokens_file: Path,
    registry: Registry,
    service_token_file: Path,
) -> Iterator[Callable[[int], Awaitable[ServiceProcess]]]:
    """``await start_monitoring(port)``: `slipway monitoring` as a child process on
    ``127.0.0.1:port``; killed at the end if still running."""
    started: list[ServiceProcess] = []

    async def start(port: int) -> ServiceProcess:
        # The later --grpc-address wins over the port-0 default ServiceProcess passes.
        child = ServiceProcess(
            "monitoring",
            tmp_path / f"monitoring{len(started)}",
            database_url,
            tokens_file,
            "--grpc-address",
            f"127.0.0.1:{port}",
            "--registry-target",
            registry.address,
            "--registry-token-file",
            str(service_token_file),
        )
        started.append(child)
        address = await asyncio.to_thread(child.wait_ready)
        assert address.endswith(f":{port}")
        return child

    yield start
    for child in started:
        child.kill()


@contextlib.asynccontextmanager
async def traffic_on(serving: Serving) -> AsyncIterator[Traffic]:
    traffic = Traffic(serving)
    task = asyncio.create_task(traffic.run())
    try:
        yield traffic
    finally:
        traffic.stop.set()
        await asyncio.wait_for(task, WAIT_SECONDS)


@pytest.mark.slow  # kills and restarts a monitoring process
async def test_monitoring_killed_during_traffic_costs_no_inference_and_logging_resumes(
    start_monitoring: Callable[[int], Awaitable[ServiceProcess]],
    registry: Registry,
    migrated_db: Database,
    tmp_path: Path,
    data_root: Path,
    tokens_file: Path,
    tokens: dict[str, str],
    service_token_file: Path,
) -> None:
    trained = await asyncio.to_thread(train_locally, iris_spec(), tmp_path / "iris", data_root)
    await register(registry, service_token_file, "iris", trained, alias="production")
    port = free_port()
    first = await start_monitoring(port)
    begin = time.monotonic()

    async with running_serving(
        migrated_db,
        tmp_path / "serving",
        tokens_file,
        tokens,
        registry.address,
        service_token_file,
        cache_dir=tmp_path / "serving-cache",
        deployments=["iris@production"],
        monitoring_target=f"127.0.0.1:{port}",
        prediction_log_batch=BATCH,
    ) as serving:

        async def logs_sent() -> bool:
            return counter(serving, SENT) >= 20

        async def logs_dropped() -> bool:
            return counter(serving, DROPPED, reason="monitoring_unavailable") > 0

        async with traffic_on(serving) as traffic:
            await wait_until(logs_sent, "logs reach monitoring before the kill")
            killed_at = traffic.sent
            accepted_before_kill = counter(serving, SENT)
            await asyncio.to_thread(first.kill)  # SIGKILL, mid-traffic
            await wait_until(logs_dropped, "serving counts the logs it cannot deliver")
            await wait_until(
                lambda: traffic.sent >= killed_at + OUTAGE_REQUESTS,
                "traffic through the outage",
                PHASE_SECONDS,
            )

            relaunched = time.time()  # the first process died seconds before this
            second = await start_monitoring(port)  # same port: serving's target is unchanged
            restarted_at = traffic.sent

            async def resumed() -> bool:
                ids = await asyncio.to_thread(stored_ids, migrated_db)
                return any(index_of(rid) >= restarted_at for rid in ids)

            await wait_until(resumed, "logs sent after the restart are stored")
            resumed_at = traffic.sent
            await wait_until(
                lambda: traffic.sent >= resumed_at + AFTER_RESUME_REQUESTS,
                "traffic after logging resumed",
                PHASE_SECONDS,
            )

        async def drained() -> bool:  # every request logged is now either sent or dropped
            return counter(serving, SENT) + counter(serving, DROPPED) >= traffic.sent

        await wait_until(drained, "serving's queue drains after the traffic")
        sent = counter(serving, SENT)
        dropped = counter(serving, DROPPED, reason="monitoring_unavailable")
        assert counter(serving, DROPPED, reason="queue_full") == 0

    # Inference never noticed: every request answered, none slowed down to a timeout.
    assert traffic.errors == []
    assert traffic.slowest < 5.0

    # The outage cost logs, counted; the sender accounts for each logged request exactly once.
    assert dropped > 0
    assert sent + dropped == traffic.sent

    ids = await asyncio.to_thread(stored_ids, migrated_db)
    assert len(ids) == len(set(ids)), "a request stored twice"
    indexes = sorted(index_of(rid) for rid in ids)
    assert indexes[-1] == traffic.sent - 1  # the last request of all is stored
    # The logs lost form one gap around the outage: everything before it and everything after
    # logging resumed is stored.
    stored = set(indexes)
    gap = [i for i in range(traffic.sent) if i not in stored]
    assert gap, "the outage lost no log"
    assert gap == list(range(gap[0], gap[-1] + 1))
    assert gap[0] >= accepted_before_kill  # nothing monitoring had accepted was lost
    assert gap[-1] < resumed_at  # nothing lost once logging resumed
    # A batch in flight at the kill may have been committed before monitoring died without its
    # answer reaching serving: counted as dropped, yet stored. Nothing else can differ.
    assert sent <= len(ids) <= sent + BATCH
    assert len(gap) <= dropped <= len(gap) + BATCH

    # The restarted monitoring audited the batches it took in, and was told of the gap.
    events = await registry.audit_events(
        service="monitoring", action="monitoring.IngestPredictions"
    )
    after = [e for e in events if e.event_time.ToNanoseconds() / 1e9 >= relaunched]
    assert after, "no IngestPredictions audit event after the restart"
    reported = sum(json.loads(e.payload_json)["dropped_by_sender"] for e in after)
    assert reported == dropped
    metrics_address = json.loads(second.ready_file.read_text())["metrics_address"]
    assert await asyncio.to_thread(scrape, metrics_address, SENDER_DROPPED) == dropped

    elapsed = time.monotonic() - begin
    print(
        f"requests {traffic.sent}, killed at {killed_at}, restarted at {restarted_at}, "
        f"resumed at {resumed_at}; sent {sent:.0f}, dropped {dropped:.0f}, stored {len(ids)},"
        f" gap {gap[0]}-{gap[-1]}; slowest inference {traffic.slowest * 1000:.0f} ms; "
        f"{elapsed:.1f} s"
    )
