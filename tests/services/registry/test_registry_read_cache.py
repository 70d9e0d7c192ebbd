"""Version reads served from memory stay correct: local changes show at once, changes made by
another registry process within the refresh interval."""

from __future__ import annotations

import time

import grpc
import pytest

from slipway.registry.v1 import registry_service_pb2 as pb
from slipway.registry.v1 import registry_service_pb2_grpc as pb_grpc
from slipway.services.registry.api.read_cache import UNKNOWN, ReadCache
from support.registry import Registry
from support.waiting import wait_until

NOTICED_WITHIN = 3.0  # seconds: how soon a registry sees another process's change (refresh 0.1 s)


def test_a_read_that_straddles_a_change_is_not_kept():
    cache: ReadCache[str] = ReadCache(lambda: 7, refresh_seconds=0.1)
    cache.sequence = 7
    mark = cache.mark()
    cache.invalidate()  # a change commits while the read runs
    cache.sequence = 7  # even if the follower then reports the old sequence
    cache.put("models/m@staging", mark, "stale")
    assert cache.get("models/m@staging") is None
    fresh = cache.mark()
    cache.put("models/m@staging", fresh, "fresh")
    assert cache.get("models/m@staging") == "fresh"
    cache.sequence = 8  # another process changed something
    assert cache.get("models/m@staging") is None


def test_nothing_is_served_before_the_sequence_is_known_or_when_disabled():
    cache: ReadCache[str] = ReadCache(lambda: 1, refresh_seconds=0.1)
    cache.put("k", cache.mark(), "v")
    assert cache.sequence == UNKNOWN
    assert cache.get("k") is None
    off: ReadCache[str] = ReadCache(lambda: 1, refresh_seconds=0)
    off.sequence = 1
    off.put("k", off.mark(), "v")
    assert off.get("k") is None


async def get_alias(registry: Registry, name: str) -> int:
    reply = await registry.stub.GetModelVersion(
        pb.GetModelVersionRequest(name=name), metadata=registry.as_("viewer")
    )
    return reply.model_version.version_number


async def set_alias(registry: Registry, version: int) -> None:
    await registry.stub.SetModelAlias(
        pb.SetModelAliasRequest(name="models/churn", alias="staging", version_number=version),
        metadata=registry.as_("developer"),
    )


@pytest.mark.slow
async def test_changes_here_show_at_once_and_changes_elsewhere_within_the_refresh(
    start_registry, spawn_registry
):
    async with start_registry(sweep=True, read_cache_seconds=0.1) as registry:
        await registry.create_model("churn")
        for seed in (1, 2):
            await registry.ready_version("churn", seed=seed)
        await set_alias(registry, 1)
        for _ in range(3):  # read (and keep) the answer a few times
            assert await get_alias(registry, "models/churn@staging") == 1
        await set_alias(registry, 2)
        assert await get_alias(registry, "models/churn@staging") == 2

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
            assert await get_alias(registry, "models/churn@staging") == 2
            await set_alias(other, 1)  # committed when it returns
            moved_at = time.monotonic()

            async def moved() -> bool:
                return await get_alias(registry, "models/churn@staging") == 1

            await wait_until(moved, "the other process's move to show", within=NOTICED_WITHIN)
            lag = time.monotonic() - moved_at
    # The refresh is 0.1 s; the bound leaves room for a loaded machine and still fails a
    # cache that outlives its refresh by far (or never notices another process at all).
    assert lag < NOTICED_WITHIN, f"the other process's move showed after {lag:.2f} s"
