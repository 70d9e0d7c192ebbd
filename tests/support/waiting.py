"""Waiting on a condition with a deadline: the one poll loop of the tests.

Tests wait on the condition they mean, never for a fixed time: a fixed sleep is too short on a
loaded machine and wasted on an idle one.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

__all__ = ["POLL_SECONDS", "WAIT_SECONDS", "wait_until", "wait_until_sync"]

# Default upper bound of a wait. Only a failing test waits this long, so it is sized for a machine
# at load 10 or more (a first upload there took over 15 s), not for the usual second or two.
WAIT_SECONDS = 60.0
POLL_SECONDS = 0.05


async def wait_until(
    check: Callable[[], Awaitable[Any]] | Callable[[], Any],
    what: str,
    within: float = WAIT_SECONDS,
) -> Any:
    """Poll ``check`` (a coroutine function or a plain one) until it returns something truthy,
    and return that; fail after ``within`` seconds."""
    deadline = time.monotonic() + within
    while True:
        value = check()
        if inspect.isawaitable(value):
            value = await value
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {within} s waiting for {what}")
        await asyncio.sleep(POLL_SECONDS)


def wait_until_sync(check: Callable[[], Any], what: str, within: float = WAIT_SECONDS) -> Any:
    """:func:`wait_until` for tests that drive processes from plain (not async) code."""
    deadline = time.monotonic() + within
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {within} s waiting for {what}")
        time.sleep(POLL_SECONDS)
