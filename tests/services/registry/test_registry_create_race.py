"""A CreateModel whose retry commits while it runs is answered with the retry's model, on
PostgreSQL, with the interleaving forced rather than left to luck.

Both calls carry the same request id. The first is held inside its transaction, after its
idempotency lookup found nothing, at one of the two places where the retry's commit changes what
it sees: before its model lookup (which then finds the model) or before its insert (which then
collides with it). The retry runs to its commit meanwhile; then the first goes on. It must look
the stored answer up again and return the same model, not ALREADY_EXISTS (on a loaded machine
this failed 2 runs in 15 before the re-check). PostgreSQL only: SQLite serialises writers, so the
retry could not commit while the first holds its transaction.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any

import pytest

from slipway.registry.v1 import registry_service_pb2 as pb
from slipway.services.registry.storage.repository import SqlRegistryRepository
from support.registry import Registry
from support.waiting import wait_until

pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)

HOLD_SECONDS = 120.0  # a bound for a failure: the held call is always released before this


class Hold:
    """Holds the first call of a repository method for one model id in its worker thread,
    inside the caller's transaction, until released; every other call passes."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, method: str, model_id: str) -> None:
        self.reached = threading.Event()
        self.released = threading.Event()
        self._lock = threading.Lock()
        self._taken = False
        original: Callable[..., Any] = getattr(SqlRegistryRepository, method)

        def held(repo: Any, session: Any, model: str, *args: Any, **kwargs: Any) -> Any:
            with self._lock:
                hold = model == model_id and not self._taken
                self._taken = self._taken or hold
            if hold:
                self.reached.set()
                if not self.released.wait(HOLD_SECONDS):
                    raise AssertionError(f"{method} held for {HOLD_SECONDS} s")
            return original(repo, session, model, *args, **kwargs)

        monkeypatch.setattr(SqlRegistryRepository, method, held)


@pytest.mark.parametrize(
    "held_before",
    [
        pytest.param("get_model", id="retry-commits-before-the-model-lookup"),
        pytest.param("add_model", id="retry-commits-before-the-insert"),
    ],
)
async def test_a_retry_committing_midway_through_create_model_gives_the_same_answer(
    registry: Registry, monkeypatch: pytest.MonkeyPatch, held_before: str
) -> None:
    hold = Hold(monkeypatch, held_before, "raced")
    request = pb.CreateModelRequest(model_id="raced", request_id="create-raced")
    developer = registry.as_("developer")
    first = asyncio.ensure_future(
        registry.stub.CreateModel(request, metadata=developer, timeout=HOLD_SECONDS)
    )
    try:
        await wait_until(hold.reached.is_set, f"the first call to reach {held_before}")
        # The retry: finds no stored answer either, creates the model and commits.
        retry = await registry.stub.CreateModel(request, metadata=developer, timeout=60)
    finally:
        hold.released.set()
    answer = await first
    assert answer.model == retry.model
    assert answer.model.name == "models/raced"
    creations = await registry.audit_events(action="registry.CreateModel")
    assert [e.resource for e in creations] == ["models/raced"]
