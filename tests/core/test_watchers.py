"""``ChangeSignal``: the poll / wake / stop loop behind the Watch RPCs."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Sequence

from slipway.core.watchers import ChangeSignal


class Log:
    """A blocking event source: items are numbered from 1, positions are the last number."""

    def __init__(self) -> None:
        self.items: list[int] = []
        self.reads = 0

    def read_after(self, position: int) -> tuple[Sequence[int], int]:
        self.reads += 1
        new = [i for i in self.items if i > position]
        return new, new[-1] if new else position

    def append(self) -> None:
        self.items.append(len(self.items) + 1)


async def _next(batches: AsyncIterator[Sequence[int]]) -> Sequence[int]:
    return await asyncio.wait_for(anext(batches), 5.0)


async def test_resumes_after_the_given_position() -> None:
    log, signal = Log(), ChangeSignal(poll_seconds=60)
    for _ in range(3):
        log.append()
    batches = signal.batches(log.read_after, 1)
    assert await _next(batches) == [2, 3]
    await batches.aclose()


async def test_a_local_change_wakes_the_watcher_before_the_poll_interval() -> None:
    log, signal = Log(), ChangeSignal(poll_seconds=60)
    batches = signal.batches(log.read_after, 0)
    waiting = asyncio.ensure_future(_next(batches))
    await asyncio.sleep(0.05)  # the watcher read nothing and sleeps
    assert not waiting.done()
    log.append()
    signal.notify()
    started = time.monotonic()
    assert await waiting == [1]
    assert time.monotonic() - started < 5
    await batches.aclose()


async def test_changes_elsewhere_are_found_by_polling() -> None:
    log, signal = Log(), ChangeSignal(poll_seconds=0.01)
    batches = signal.batches(log.read_after, 0)
    waiting = asyncio.ensure_future(_next(batches))
    await asyncio.sleep(0.05)
    log.append()  # no notify: another process wrote it
    assert await waiting == [1]
    assert log.reads >= 2
    await batches.aclose()


async def test_stop_ends_every_loop() -> None:
    log, signal = Log(), ChangeSignal(poll_seconds=60)

    async def drain() -> list[Sequence[int]]:
        return [batch async for batch in signal.batches(log.read_after, 0)]

    watchers = [asyncio.ensure_future(drain()) for _ in range(2)]
    await asyncio.sleep(0.05)
    signal.stop()
    assert await asyncio.wait_for(asyncio.gather(*watchers), 5) == [[], []]


async def test_a_stopped_signal_reads_nothing() -> None:
    log, signal = Log(), ChangeSignal(poll_seconds=60)
    signal.stop()
    assert [b async for b in signal.batches(log.read_after, 0)] == []
    assert log.reads == 0
