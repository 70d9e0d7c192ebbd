"""WatchModelEvents on SQLite and PostgreSQL: events are stored, so a watcher that reconnects with
its last sequence gets what it missed, and events written by another registry process reach a
watcher of this one, in order, none missing."""

from __future__ import annotations

import asyncio

import grpc
import pytest

from slipway.registry.v1 import model_event_pb2
from slipway.registry.v1 import registry_service_pb2 as pb
from slipway.registry.v1 import registry_service_pb2_grpc as pb_grpc
from support.registry import WAIT_SECONDS, Registry

EVENT = model_event_pb2.ModelEventType
ALIAS_MOVED = model_event_pb2.MODEL_EVENT_TYPE_ALIAS_MOVED
ALIAS_SET = model_event_pb2.MODEL_EVENT_TYPE_ALIAS_SET
ALIAS_DELETED = model_event_pb2.MODEL_EVENT_TYPE_ALIAS_DELETED
VERSION_READY = model_event_pb2.MODEL_EVENT_TYPE_VERSION_READY
ALIAS_TYPES = (ALIAS_SET, ALIAS_MOVED, ALIAS_DELETED)


class Watcher:
    """One WatchModelEvents call; ``take(n)`` waits (bounded) for its next n events."""

    def __init__(self, registry: Registry, model: str, after: int | None) -> None:
        request = pb.WatchModelEventsRequest(model=model)
        if after is not None:
            request.after_sequence = after
        self.call = registry.stub.WatchModelEvents(request, metadata=registry.as_("service"))

    async def take(self, count: int) -> list[model_event_pb2.ModelEvent]:
        async def read() -> list[model_event_pb2.ModelEvent]:
            events = []
            while len(events) < count:
                events.append((await self.call.read()).event)
            return events

        return await asyncio.wait_for(read(), WAIT_SECONDS)

    def close(self) -> None:
        self.call.cancel()


async def set_alias(
    registry: Registry, role: str, alias: str, version: int, reason: str = ""
) -> None:
    await registry.stub.SetModelAlias(
        pb.SetModelAliasRequest(
            name="models/churn", alias=alias, version_number=version, reason=reason
        ),
        metadata=registry.as_(role),
    )


async def test_a_watcher_that_reconnects_receives_the_alias_moves_it_missed(registry):
    await registry.create_model("churn")
    for seed in (1, 2):
        await registry.ready_version("churn", seed=seed)
    await set_alias(registry, "developer", "staging", 1)
    await set_alias(registry, "approver", "production", 1, "launch")

    # Up to date: model created, two versions created and ready, two aliases set.
    watcher = Watcher(registry, "models/churn", after=0)
    seen = await watcher.take(7)
    assert [e.sequence for e in seen] == list(range(1, 8))
    assert [e.type for e in seen[-2:]] == [ALIAS_SET, ALIAS_SET]
    last = seen[-1].sequence
    watcher.close()

    # While it is away, both aliases move.
    await set_alias(registry, "developer", "staging", 2)
    await set_alias(registry, "approver", "production", 2, "roll forward")

    again = Watcher(registry, "models/churn", after=last)
    missed = await again.take(2)
    assert [
        (
            e.sequence,
            e.type,
            e.alias,
            e.previous_version_number,
            e.version_number,
            e.actor.name,
            e.reason,
        )
        for e in missed
    ] == [
        (last + 1, ALIAS_MOVED, "staging", 1, 2, "developer-user", ""),
        (last + 2, ALIAS_MOVED, "production", 1, 2, "approver-user", "roll forward"),
    ]
    assert missed[0].model == "models/churn"
    assert missed[1].model_version == "models/churn/versions/2"
    # ... and it stays live.
    await registry.stub.DeleteModelAlias(
        pb.DeleteModelAliasRequest(name="models/churn", alias="staging"),
        metadata=registry.as_("developer"),
    )
    [live] = await again.take(1)
    assert (live.sequence, live.type, live.alias) == (last + 3, ALIAS_DELETED, "staging")
    again.close()


@pytest.mark.slow
async def test_events_from_another_registry_process_reach_a_watcher_in_order(
    registry, spawn_registry
):
    child = await spawn_registry()
    async with grpc.aio.insecure_channel(child.address) as channel:
        other = Registry(
            pb_grpc.RegistryServiceStub(channel),
            registry.audit,
            registry.db,
            registry.settings,
            registry.tokens,
            child.address,
        )
        watcher = Watcher(registry, "models/churn", after=0)
        await other.create_model("churn")
        for seed in (1, 2):
            await other.ready_version("churn", seed=seed)

        # Both processes move aliases at the same time: "staging" here, "canary" there.
        moves = 8

        async def move(on: Registry, alias: str) -> None:
            for i in range(moves):
                await set_alias(on, "developer", alias, 1 + i % 2)

        await asyncio.gather(move(registry, "staging"), move(other, "canary"))
        events = await watcher.take(1 + 2 * 2 + 2 * moves)
        watcher.close()

    assert [e.sequence for e in events] == list(range(1, len(events) + 1))
    for alias in ("staging", "canary"):
        assert [(e.type, e.version_number) for e in events if e.alias == alias] == [
            (ALIAS_SET, 1)
        ] + [(ALIAS_MOVED, 1 + i % 2) for i in range(1, moves)]
    # The stream's order is the order in which the moves were committed.
    history = (
        await registry.stub.ListAliasHistory(
            pb.ListAliasHistoryRequest(parent="models/churn"), metadata=registry.as_("viewer")
        )
    ).alias_history_entries
    assert [(h.alias, h.to_version_number) for h in history] == [
        (e.alias, e.version_number) for e in events if e.type in ALIAS_TYPES
    ]


async def test_a_watcher_without_a_sequence_starts_now_and_types_filter_the_stream(registry):
    await registry.create_model("churn")
    await registry.ready_version("churn")
    before = 3  # model created, version created, version ready

    # From now: it never sees the three past events. When its call starts is not observable,
    # so aliases are set until one reaches it (bounded).
    now = Watcher(registry, "models/churn", after=None)
    first: model_event_pb2.ModelEvent | None = None
    for attempt in range(20):
        await set_alias(registry, "developer", f"a{attempt}", 1)
        try:
            first = (await asyncio.wait_for(now.call.read(), 0.5)).event
            break
        except TimeoutError:
            continue
    now.close()
    assert first is not None, "no event reached the watcher"
    assert first.sequence > before
    assert first.type == ALIAS_SET

    typed = registry.stub.WatchModelEvents(
        pb.WatchModelEventsRequest(
            model="models/churn", after_sequence=0, types=[VERSION_READY, ALIAS_DELETED]
        ),
        metadata=registry.as_("viewer"),
    )
    await registry.stub.DeleteModelAlias(
        pb.DeleteModelAliasRequest(name="models/churn", alias="a0"),
        metadata=registry.as_("developer"),
    )
    received = [(await asyncio.wait_for(typed.read(), WAIT_SECONDS)).event for _ in range(2)]
    typed.cancel()
    assert [(e.type, e.alias) for e in received] == [(VERSION_READY, ""), (ALIAS_DELETED, "a0")]

    with pytest.raises(grpc.aio.AioRpcError) as negative:
        async for _ in registry.stub.WatchModelEvents(
            pb.WatchModelEventsRequest(after_sequence=-1),
            metadata=registry.as_("viewer"),
            timeout=WAIT_SECONDS,
        ):
            pass
    assert negative.value.code() == grpc.StatusCode.INVALID_ARGUMENT
