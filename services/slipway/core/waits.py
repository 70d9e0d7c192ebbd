"""Waiting for whichever of several events comes first, with a time limit: how watchers sleep
between polls (a change in this process, a shutdown, or the next poll, whichever is first)."""

from __future__ import annotations

import asyncio


async def first_of(*events: asyncio.Event, within: float) -> None:
    """Return when any of ``events`` is set, or after ``within`` seconds."""
    waiters = [asyncio.ensure_future(event.wait()) for event in events]
    try:
        await asyncio.wait(waiters, timeout=within, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
