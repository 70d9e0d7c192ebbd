"""The loop behind training's and monitoring's ``Watch…`` RPCs: read what changed after a
position, hand it out, sleep. Each watcher reads on its own, so N watchers cost N reads per poll;
the registry's event stream, watched by many more, is read once for all of them instead
(:mod:`slipway.core.fanout`), and every service caps its open streams
(:mod:`slipway.core.stream_caps`).

A watcher resumes from a position (an event sequence) and reads, on a worker thread, what was
written after it. When nothing was, it sleeps until a change is made in this process
(:meth:`ChangeSignal.notify`), the server stops, or the poll interval passes: changes made by
other processes sharing the database are only seen by polling. At shutdown
(:meth:`ChangeSignal.stop`) every loop ends, so the streams end and their clients reconnect
elsewhere from the last position they saw.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Callable, Sequence
from typing import TypeVar

from slipway.core.blocking import run_blocking
from slipway.core.waits import first_of

Item = TypeVar("Item")
Position = TypeVar("Position")

ReadAfter = Callable[[Position], tuple[Sequence[Item], Position]]
"""Blocking: the items written after a position, and the position read up to."""


class ChangeSignal:
    """Wakes the watchers of one servicer at once on a local change, and stops them at shutdown."""

    def __init__(self, poll_seconds: float) -> None:
        self.poll_seconds = poll_seconds
        self.stopping = asyncio.Event()
        # Replaced on every notify: a watcher that took it before its read wakes on a change
        # made during the read, and one that takes it afterwards does not wake for an old one.
        self._changed = asyncio.Event()

    def notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    def stop(self) -> None:
        self.stopping.set()

    async def batches(
        self, read_after: ReadAfter[Position, Item], position: Position
    ) -> AsyncGenerator[Sequence[Item], None]:
        """Yield each non-empty batch read after ``position``, moving on, until stopped."""
        while not self.stopping.is_set():
            woken = self._changed
            items, position = await run_blocking(read_after, position)
            if items:
                yield items
                continue  # more may be waiting: read again before sleeping
            await first_of(self.stopping, woken, within=self.poll_seconds)
