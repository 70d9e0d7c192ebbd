"""One reader of a stored event stream per process, fanning out to every watcher of it.

A ``Watch…`` stream used to poll the database on its own: with N streams open, every poll
interval and every local change cost N reads on the worker threads, and 2,000 open streams took
the registry's ``GetModel`` median from 3.6 ms to over a second. A :class:`Feed` reads instead
once per poll interval or local change (:meth:`Feed.notify`), from the highest position its
watchers have all reached, and hands each watcher the items after its own position that it
accepts.

A watcher that resumes from an older position first catches up on its own, with bounded reads,
and joins the shared feed once it has reached it. Each watcher holds at most ``queue_limit``
items it has not taken yet: one that falls further behind (a slow client) is dropped from the
feed and its stream ends with UNAVAILABLE and the position to resume after, which the clients
already do on UNAVAILABLE, instead of the process holding an unbounded backlog for it.

Positions are the stream's sequence numbers: they only grow, and an item becomes visible only
after every item with a lower position (the stream head is locked from append to commit).
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import AsyncGenerator, Callable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from slipway.core.blocking import run_blocking
from slipway.core.errors import UnavailableError
from slipway.core.logs import get_logger
from slipway.core.reasons import Reason
from slipway.core.waits import first_of

log = get_logger("slipway.fanout")

Item = TypeVar("Item")
IDLE_SECONDS = 30.0  # a watcher with nothing handed to it looks again after this, at most

ReadAfter = Callable[[int, int], Sequence[Item]]
"""Blocking: at most ``limit`` items with a position above ``after``, oldest first."""
# ``last_position`` (blocking): the position of the stream's last item, 0 when it has none.


@dataclass(eq=False)
class _Watcher(Generic[Item]):
    """One stream's place in the feed: what it has been handed and what waits for it."""

    position: int
    accept: Callable[[Item], bool]
    pending: list[Item] = field(default_factory=list)
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    failure: UnavailableError | None = None


class Feed(Generic[Item]):
    """The shared reader of one event stream and the watchers it hands items to."""

    def __init__(
        self,
        read_after: ReadAfter[Item],
        position_of: Callable[[Item], int],
        last_position: Callable[[], int],
        *,
        poll_seconds: float,
        batch: int = 500,
        queue_limit: int = 1000,
    ) -> None:
        self.poll_seconds = poll_seconds
        self.stopping = asyncio.Event()
        self._read = read_after
        self._position_of = position_of
        self._last_position = last_position
        self._batch = batch
        self._queue_limit = queue_limit
        self._watchers: set[_Watcher[Item]] = set()
        # What the shared reader has read up to (and handed out): None before its first read.
        # It only grows, so a watcher at or beyond it misses nothing by joining.
        self._head: int | None = None
        self._reader: asyncio.Task[None] | None = None
        # Replaced on every notify: the reader takes it before a read, so a change made during
        # the read wakes it again, and one made before does not wake it twice.
        self._changed = asyncio.Event()
        self.reads = 0  # shared reads so far, for tests and the benchmark

    @property
    def watchers(self) -> int:
        return len(self._watchers)

    @property
    def reading(self) -> bool:
        """Whether the shared reader runs (only while someone watches)."""
        return self._reader is not None

    def notify(self) -> None:
        """Something was written in this process: read now rather than at the next poll."""
        self._changed.set()
        self._changed = asyncio.Event()

    def stop(self) -> None:
        """Shutdown: every watcher's stream ends (its client resumes elsewhere)."""
        self.stopping.set()

    async def watch(
        self, after: int, accept: Callable[[Item], bool] = lambda _: True
    ) -> AsyncGenerator[Sequence[Item], None]:
        """Yield the accepted items after ``after`` in batches, until stopped.

        Raises :class:`UnavailableError` (with ``resume_after`` in its metadata) when this
        watcher fell too far behind or the shared read failed.
        """
        start = after
        if self._head is None or after > self._head:
            # A position beyond the stream's end (a caller may send any number) is read from
            # the end, keeping only what comes after it: the shared head only ever holds
            # positions the stream reached, or one such caller would hold every other
            # watcher in catch-up.
            start = min(after, await run_blocking(self._last_position))
        watcher = _Watcher(start, self._after(after, accept) if start < after else accept)
        try:
            async for items in self._catch_up(watcher):
                yield items
            while not self.stopping.is_set():
                if watcher.pending:
                    items, watcher.pending = watcher.pending, []
                    yield items
                    continue
                if watcher.failure is not None:
                    raise watcher.failure
                watcher.ready.clear()
                await first_of(self.stopping, watcher.ready, within=IDLE_SECONDS)
        finally:
            self._watchers.discard(watcher)

    def _after(self, floor: int, accept: Callable[[Item], bool]) -> Callable[[Item], bool]:
        return lambda item: self._position_of(item) > floor and accept(item)

    async def _catch_up(self, watcher: _Watcher[Item]) -> AsyncGenerator[Sequence[Item], None]:
        """Read on the watcher's own until it reaches the shared head, then join the feed."""
        while not self.stopping.is_set():
            if self._head is not None and watcher.position >= self._head:
                break
            items = await run_blocking(self._read, watcher.position, self._batch)
            if items:
                watcher.position = self._position_of(items[-1])
                accepted = [item for item in items if watcher.accept(item)]
                if accepted:
                    yield accepted
            if len(items) < self._batch and (self._head is None or self._head <= watcher.position):
                break  # reached the end of the stream as it was a moment ago
        else:
            return
        # No await from the check above to here: the head cannot move in between.
        if not self._watchers and (self._head is None or self._head < watcher.position):
            self._head = watcher.position  # the reader need not read what nobody waits for
        self._watchers.add(watcher)
        if self._reader is None:
            # Not in the first watcher's context: its request id is not the reader's.
            self._reader = asyncio.get_running_loop().create_task(
                self._read_for_all(), context=contextvars.Context()
            )

    async def _read_for_all(self) -> None:
        """The shared reader: runs while anyone watches, one read per poll or local change."""
        try:
            while self._watchers and not self.stopping.is_set():
                woken = self._changed
                head = self._head
                assert head is not None  # set by the first watcher to join
                try:
                    self.reads += 1
                    items = await run_blocking(self._read, head, self._batch)
                except Exception:
                    log.exception("reading the event stream failed; watchers are told to resume")
                    self._fail_all(Reason.WATCH_FEED_FAILED, "reading the event stream failed")
                    return
                if items:
                    self._hand_out(items)
                if len(items) == self._batch:
                    continue  # more are waiting: read again before sleeping
                await first_of(self.stopping, woken, within=self.poll_seconds)
        finally:
            self._reader = None

    def _hand_out(self, items: Sequence[Item]) -> None:
        last = self._position_of(items[-1])
        assert self._head is not None
        self._head = max(self._head, last)
        for watcher in list(self._watchers):
            new = [
                item
                for item in items
                if self._position_of(item) > watcher.position and watcher.accept(item)
            ]
            if not new:
                watcher.position = max(watcher.position, last)
                continue
            if len(watcher.pending) + len(new) > self._queue_limit:
                # It keeps what it was handed; it resumes after that, reading on its own.
                self._fail(
                    watcher,
                    Reason.WATCHER_BEHIND,
                    f"this stream fell more than {self._queue_limit} events behind",
                )
                continue
            watcher.position = max(watcher.position, last)
            watcher.pending.extend(new)
            watcher.ready.set()

    def _fail_all(self, reason: Reason, message: str) -> None:
        for watcher in list(self._watchers):
            self._fail(watcher, reason, message)

    def _fail(self, watcher: _Watcher[Item], reason: Reason, message: str) -> None:
        """Ends the watcher's stream once it has taken what it was handed (everything up to
        its position): its client resumes after that."""
        self._watchers.discard(watcher)
        resume = watcher.position
        watcher.failure = UnavailableError(
            f"{message}; resume after sequence {resume}",
            reason=reason,
            metadata={"resume_after": str(resume)},
        )
        watcher.ready.set()
