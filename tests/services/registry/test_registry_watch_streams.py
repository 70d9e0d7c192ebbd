"""Many WatchModelEvents streams against a real registry: each principal and the process may
hold only so many (RESOURCE_EXHAUSTED beyond, slots back when a stream ends however it ends),
and the streams share one reader of the event log, so hundreds of them leave other calls fast
and each still gets every change exactly once."""

from __future__ import annotations

import asyncio
import contextlib
import statistics
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import grpc
import pytest
from sqlalchemy import event

from slipway.core.db import Database
from slipway.registry.v1 import registry_service_pb2 as pb
from slipway.registry.v1 import registry_service_pb2_grpc as pb_grpc
from slipway.services.registry import main as registry_main
from slipway.services.registry.settings import RegistrySettings
from support.harness import running_server, settings_for
from support.registry import WAIT_SECONDS, Registry, error_reason
from support.waiting import wait_until

Stream = grpc.aio.UnaryStreamCall[pb.WatchModelEventsRequest, pb.WatchModelEventsResponse]


def watch(registry: Registry, role: str, stub: Any = None) -> Stream:
    """A stream of every event from the first: its first message proves the server holds it."""
    request = pb.WatchModelEventsRequest(after_sequence=0)
    call: Stream = (stub or registry.stub).WatchModelEvents(request, metadata=registry.as_(role))
    return call


async def first_sequence(call: Stream) -> int:
    reply = await asyncio.wait_for(call.read(), WAIT_SECONDS)
    assert isinstance(reply, pb.WatchModelEventsResponse), reply
    return int(reply.event.sequence)


async def refused_reason(call: Stream) -> str:
    with pytest.raises(grpc.aio.AioRpcError) as error:
        await asyncio.wait_for(call.read(), WAIT_SECONDS)
    assert error.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    return error_reason(error.value)


async def opens(registry: Registry, role: str) -> bool:
    """Whether a new stream of ``role`` is served now (it is closed again either way)."""
    call = watch(registry, role)
    try:
        await first_sequence(call)
    except grpc.aio.AioRpcError as error:
        if error.code() != grpc.StatusCode.RESOURCE_EXHAUSTED:
            raise
        return False
    finally:
        call.cancel()
    return True


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_streams_over_a_principals_cap_are_refused_until_one_ends(start_registry):
    # 6 streams, one of them kept for peer roles: these callers (no peer role) share 5.
    async with start_registry(max_watch_streams_per_principal=3, max_watch_streams=6) as registry:
        await registry.create_model("churn")
        held = [watch(registry, "viewer") for _ in range(3)]
        assert [await first_sequence(call) for call in held] == [1, 1, 1]

        # One principal over its cap is refused; another principal still gets a stream.
        assert await refused_reason(watch(registry, "viewer")) == "TOO_MANY_WATCH_STREAMS"
        other = watch(registry, "developer")
        assert await first_sequence(other) == 1

        # Streams that end with an error give their slot back (after_sequence < 0 is refused
        # inside the handler, once the stream holds its slot).
        for _ in range(4):
            bad = registry.stub.WatchModelEvents(
                pb.WatchModelEventsRequest(after_sequence=-1), metadata=registry.as_("developer")
            )
            with pytest.raises(grpc.aio.AioRpcError) as error:
                await asyncio.wait_for(bad.read(), WAIT_SECONDS)
            assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT

        # The process cap (what is left of it for callers without a peer role): 3 viewer + 1
        # developer streams, one more fills it.
        last = watch(registry, "approver")
        assert await first_sequence(last) == 1
        assert await refused_reason(watch(registry, "admin")) == "WATCH_STREAMS_FULL"

        # A client that cancels gives its slot back.
        held[0].cancel()
        await wait_until(lambda: opens(registry, "viewer"), "a viewer stream once one ended")
        for call in (*held[1:], other, last):
            call.cancel()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_people_filling_their_share_leave_streams_for_peer_roles(start_registry):
    # 8 streams, 2 kept for peer roles; each principal may hold 2.
    async with start_registry(max_watch_streams_per_principal=2, max_watch_streams=8) as registry:
        await registry.create_model("churn")
        held = [watch(registry, role) for role in ("viewer", "developer", "approver") for _ in "ab"]
        assert [await first_sequence(call) for call in held] == [1] * 6
        # Another person (or viewer token) finds the streams full although two slots are free...
        assert await refused_reason(watch(registry, "auditor")) == "WATCH_STREAMS_FULL"
        assert await refused_reason(watch(registry, "admin")) == "WATCH_STREAMS_FULL"
        # ...which the services' own principals still get: serving follows the registry's events.
        peers = [watch(registry, role) for role in ("server", "monitor")]
        assert [await first_sequence(call) for call in peers] == [1, 1]
        # Now the process is full for everyone.
        assert await refused_reason(watch(registry, "trainer")) == "WATCH_STREAMS_FULL"
        for call in (*held, *peers):
            call.cancel()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_a_stopping_server_gives_every_stream_slot_back(
    migrated_db: Database, tmp_path, tokens, tokens_file
):
    settings = settings_for(
        RegistrySettings,
        tmp_path,
        tokens_file=tokens_file,
        artifact_dir=tmp_path / "artifacts",
        max_watch_streams_per_principal=4,
    )
    app = registry_main.build(settings, migrated_db)
    async with (
        running_server(settings, app.services) as server,
        grpc.aio.insecure_channel(server.grpc_address) as channel,
    ):
        registry = Registry(
            pb_grpc.RegistryServiceStub(channel),
            None,  # type: ignore[arg-type]  # no audit calls here
            migrated_db,
            settings,
            tokens,
            server.grpc_address,
        )
        await registry.create_model("churn")
        calls = [watch(registry, "viewer") for _ in range(4)]
        assert [await first_sequence(call) for call in calls] == [1] * 4
        assert server.stream_caps.open_by("viewer-user") == 4
        assert app.on_stopping is not None
        await app.on_stopping()  # as at SIGTERM: the watchers end their streams
        for call in calls:
            assert await asyncio.wait_for(call.code(), WAIT_SECONDS) == grpc.StatusCode.OK
        await wait_until(lambda: server.stream_caps.open == 0, "every slot given back")


@contextlib.contextmanager
def counting_event_reads(db: Database) -> Iterator[list[int]]:
    """Counts the statements reading the stored event stream while the block runs."""
    count = [0]

    def seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if "FROM stream_events" in statement:
            count[0] += 1

    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        yield count
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)


async def get_model_millis(registry: Registry, calls: int) -> list[float]:
    times = []
    for _ in range(calls):
        started = time.perf_counter()
        await registry.stub.GetModel(
            pb.GetModelRequest(name="models/churn"),
            metadata=registry.as_("viewer"),
            timeout=WAIT_SECONDS,
        )
        times.append((time.perf_counter() - started) * 1000)
    return times


@contextlib.asynccontextmanager
async def channels(registry: Registry, count: int) -> AsyncIterator[list[Any]]:
    async with contextlib.AsyncExitStack() as stack:
        opened = [
            await stack.enter_async_context(grpc.aio.insecure_channel(registry.address))
            for _ in range(count)
        ]
        yield [pb_grpc.RegistryServiceStub(channel) for channel in opened]


STREAMS = 300


@pytest.mark.slow
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_hundreds_of_streams_share_one_reader_and_get_each_change_once(start_registry):
    async with (
        start_registry(
            # Viewers may hold three quarters of the process cap; the rest is kept for peers.
            max_watch_streams=2 * STREAMS,
            max_watch_streams_per_principal=STREAMS,
        ) as registry,
        channels(registry, 4) as stubs,
    ):
        await registry.create_model("churn")
        await get_model_millis(registry, 5)  # warm up
        alone = statistics.median(await get_model_millis(registry, 40))

        calls = [watch(registry, "viewer", stubs[i % len(stubs)]) for i in range(STREAMS)]
        first = await asyncio.wait_for(
            asyncio.gather(*(first_sequence(call) for call in calls)), 120
        )
        assert first == [1] * STREAMS

        # With every stream open and idle: the event log is read once per poll, not per stream.
        with counting_event_reads(registry.db) as reads:
            started = time.monotonic()
            crowded = statistics.median(await get_model_millis(registry, 40))
            elapsed = time.monotonic() - started
        polls = elapsed / 0.25 + 2
        assert reads[0] <= 2 * polls, (reads[0], elapsed)  # each stream polling: ~300 x polls
        # The read count above is what fails without the shared reader (about 500 reads); the
        # latency bound is loose, as medians on a loaded machine move by tens of ms.
        assert crowded < 10 * alone + 100, (alone, crowded)

        # Two changes: every stream gets each once, in order.
        await registry.create_model("fraud")
        await registry.create_model("spam")

        async def next_two(call: Stream) -> list[int]:
            return [await first_sequence(call), await first_sequence(call)]

        delivered = await asyncio.wait_for(asyncio.gather(*(next_two(c) for c in calls)), 120)
        assert delivered == [[2, 3]] * STREAMS
        for call in calls:
            call.cancel()
