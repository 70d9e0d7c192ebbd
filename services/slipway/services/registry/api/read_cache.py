"""Answers repeated version reads (``GetModelVersion``, by number or alias) from memory.

Every change to the registry publishes a stored event, so the registry event stream's last
sequence says whether anything changed. Cached answers are served only while that sequence is the
one they were read under. Changes made through this process clear the cache at once; changes made
by another registry process are noticed by a follower that reads the sequence every
``refresh_seconds``: only they can be seen that much later.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")
MAX_ENTRIES = 10_000
UNKNOWN = -1


class ReadCache(Generic[T]):
    def __init__(self, current_sequence: Callable[[], int], refresh_seconds: float) -> None:
        self._current_sequence = current_sequence
        self.refresh_seconds = refresh_seconds
        self._entries: dict[str, tuple[int, T]] = {}
        self.sequence = UNKNOWN  # until the follower has read it, nothing is served
        # Moves on every local change: a read (or a sequence) fetched across a change is stale.
        self.generation = 0

    @property
    def enabled(self) -> bool:
        return self.refresh_seconds > 0

    def get(self, key: str) -> T | None:
        entry = self._entries.get(key)
        if entry is None or self.sequence == UNKNOWN or entry[0] != self.sequence:
            return None
        return entry[1]

    def mark(self) -> tuple[int, int]:
        """Call before a read: what ``put`` needs to tell whether the read can be kept."""
        return self.sequence, self.generation

    def put(self, key: str, mark: tuple[int, int], value: T) -> None:
        """Keep ``value``, read after ``mark()``, unless something changed meanwhile."""
        read_under, generation = mark
        if read_under == UNKNOWN or generation != self.generation or not self.enabled:
            return
        if len(self._entries) >= MAX_ENTRIES:
            self._entries.clear()
        self._entries[key] = (read_under, value)

    def invalidate(self) -> None:
        """Something changed through this process: forget everything until re-read."""
        self.sequence = UNKNOWN
        self.generation += 1
        self._entries.clear()

    async def follow(self, stopping: asyncio.Event) -> None:
        """Track the event stream's sequence until ``stopping`` is set."""
        while self.enabled and not stopping.is_set():
            generation = self.generation
            sequence = await asyncio.to_thread(self._current_sequence)
            if generation != self.generation:
                continue  # a local change landed during the read: read the sequence again
            if sequence != self.sequence:
                self._entries.clear()
                self.sequence = sequence
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), timeout=self.refresh_seconds)
