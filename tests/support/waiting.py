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


Description = str | Callable[[], str]


def _timed_out(what: Description, within: float) -> None:
    # A callable is asked only now, so the failure can show the state it ended in (a log).
    pytest.fail(f"timed out after {within} s waiting for {what() if callable(what) else what}")


async def wait_until(
    check: Callable[[], Awaitable[Any]] | Callable[[], Any],
    what: Description,
    within: float = WAIT_SECONDS,
    poll: float = POLL_SECONDS,
) -> Any:
    """Poll ``check`` (a coroutine function or a plain one) every ``poll`` seconds until it
    returns something truthy, and return that; fail after ``within`` seconds, naming ``what``
    (a text, or a function giving one at that moment). ``check`` may itself fail the test
    early (a process that exited)."""
    deadline = time.monotonic() + within
    while True:
        value = check()
        if inspect.isawaitable(value):
            value = await value
        if value:
            return value
        if time.monotonic() > deadline:
            _timed_out(what, within)
        await asyncio.sleep(poll)


def wait_until_sync(
    check: Callable[[], Any],
    what: Description,
    within: float = WAIT_SECONDS,
    poll: float = POLL_SECONDS,
) -> Any:
    """:func:`wait_until` for tests that drive processes from plain (not async) code."""
    deadline = time.monotonic() + within
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            _timed_out(what, within)
        time.sleep(poll)
