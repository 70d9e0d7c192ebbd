"""``run_blocking``: the servicers' one way to call blocking domain code."""

from __future__ import annotations

import asyncio
import threading

import pytest

from slipway.core.blocking import run_blocking
from slipway.core.context import (
    Principal,
    current_principal,
    current_request_id,
    set_principal,
    set_request_id,
)


def _add(a: int, b: int, *, scale: int = 1) -> int:
    return (a + b) * scale


async def test_returns_what_the_function_returns() -> None:
    assert await run_blocking(_add, 2, 3, scale=10) == 50


async def test_runs_off_the_event_loop_thread() -> None:
    loop_thread = threading.get_ident()
    assert await run_blocking(threading.get_ident) != loop_thread


async def test_raises_what_the_function_raises() -> None:
    def fail() -> None:
        raise LookupError("gone")

    with pytest.raises(LookupError, match="gone"):
        await run_blocking(fail)


async def test_the_request_context_reaches_the_worker() -> None:
    async def call() -> tuple[str, Principal]:
        set_request_id("req-1")
        set_principal(Principal("alice", frozenset({"admin"})))
        return await run_blocking(lambda: (current_request_id(), current_principal()))

    request_id, principal = await asyncio.create_task(call())  # a task: its own context
    assert request_id == "req-1"
    assert principal.name == "alice"
