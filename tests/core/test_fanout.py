"""``Feed``: one shared reader per event stream, fanning out to every watcher."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Sequence

import pytest

from slipway.core.errors import UnavailableError
from slipway.core.fanout import Feed
from slipway.core.reasons import Reason
from tests.support.waiting import wait_until


class Log:
    """A blocking event source: items are numbered from 1, their number is their position."""

    def __init__(self) -> None:
        self.items: list[int] = []
        self.reads = 0
        self.fail = False
        self.served = 0  # the highest position a finished read returned
        self._lock = threading.Lock()

    def read_after(self, after: int, limit: int) -> Sequence[int]:
        with self._lock:
            self.reads += 1
            if self.fail:
                raise RuntimeError("database down")
            items = [i for i in self.items if i > after][:limit]
            self.served = max([self.served, *items])
            return items

    def append(self, count: int = 1) -> None:
        with self._lock:
            for _ in range(count):
                self.items.append(len(self.items) + 1)


def feed_of(log: Log, **kwargs: int | float) -> Feed[int]:
    options: dict[str, int | float] = {"poll_seconds": 60.0, **kwargs}
    return Feed(
        log.read_after,
        lambda item: item,
        lambda: len(log.items),
        **options,  # type: ignore[arg-type]
    )


async def _next(batches: AsyncIterator[Sequence[int]]) -> Sequence[int]:
    return await asyncio.wait_for(anext(batches), 10.0)


async def _joined(feed: Feed[int], count: int) -> None:
    await wait_until(lambda: feed.watchers == count, f"{count} watchers on the feed")


async def test_resumes_after_the_given_position() -> None:
    log = Log()
    log.append(3)
    feed = feed_of(log)
    batches = feed.watch(1)
    assert await _next(batches) == [2, 3]
    await batches.aclose()


async def test_one_read_per_change_hands_it_to_every_watcher_once() -> None:
    log = Log()
    log.append(2)
    feed = feed_of(log)
    watchers = [feed.watch(2) for _ in range(50)]
    waiting = [asyncio.ensure_future(_next(w)) for w in watchers]
    await _joined(feed, 50)
    reads_before = log.reads
    log.append()
    feed.notify()
    assert await asyncio.gather(*waiting) == [[3]] * 50
    # The shared reader read once for all 50 (the first watcher's first read may be counted).
    assert log.reads - reads_before <= 2
    again = [asyncio.ensure_future(_next(w)) for w in watchers]
    log.append()
    feed.notify()
    assert await asyncio.gather(*again) == [[4]] * 50  # nothing twice, nothing skipped
    for w in watchers:
        await w.aclose()
    await _joined(feed, 0)


async def test_an_old_position_catches_up_alone_then_joins() -> None:
    log = Log()
    feed = feed_of(log, batch=4)
    live = feed.watch(0)
    waiting = asyncio.ensure_future(_next(live))
    await _joined(feed, 1)
    log.append(10)
    feed.notify()
    received: list[int] = []
    while len(received) < 10:  # bounded: 10 items in batches of at most 4
        received += await (waiting if not received else _next(live))
    assert received == list(range(1, 11))
    behind = feed.watch(2)  # catches up in reads of 4, then joins the shared feed
    caught: list[int] = []
    while len(caught) < 8:
        caught += await _next(behind)
    assert caught == list(range(3, 11))
    both = [asyncio.ensure_future(_next(live)), asyncio.ensure_future(_next(behind))]
    await _joined(feed, 2)
    log.append()
    feed.notify()
    assert await asyncio.gather(*both) == [[11], [11]]
    await live.aclose()
    await behind.aclose()


async def test_changes_elsewhere_are_found_by_polling() -> None:
    log = Log()
    feed = feed_of(log, poll_seconds=0.01)
    batches = feed.watch(0)
    waiting = asyncio.ensure_future(_next(batches))
    await _joined(feed, 1)
    log.append()  # no notify: another process wrote it
    assert await waiting == [1]
    await batches.aclose()


async def test_each_watcher_gets_only_what_it_accepts() -> None:
    log = Log()
    feed = feed_of(log)
    evens = feed.watch(0, lambda item: item % 2 == 0)
    waiting = asyncio.ensure_future(_next(evens))
    await _joined(feed, 1)
    log.append(5)
    feed.notify()
    assert await waiting == [2, 4]
    await evens.aclose()


async def test_a_watcher_that_falls_behind_is_told_where_to_resume() -> None:
    log = Log()
    feed = feed_of(log, batch=10, queue_limit=5)
    slow = feed.watch(0)
    waiting = asyncio.ensure_future(_next(slow))
    await _joined(feed, 1)
    log.append(3)
    feed.notify()
    assert await waiting == [1, 2, 3]
    log.append(3)  # handed out, not taken: 3 pending
    feed.notify()
    await wait_until(lambda: log.served == 6, "the read of 4 to 6")
    log.append(3)  # 6 would be pending: more than 5
    feed.notify()
    await _joined(feed, 0)  # dropped from the feed: it holds nothing more
    assert await _next(slow) == [4, 5, 6]  # what it was handed, then the end
    with pytest.raises(UnavailableError) as error:
        await _next(slow)
    assert error.value.reason == Reason.WATCHER_BEHIND
    assert error.value.metadata["resume_after"] == "6"


async def test_a_failed_read_ends_every_stream_with_where_to_resume() -> None:
    log = Log()
    log.append(2)
    feed = feed_of(log)
    watchers = [feed.watch(2) for _ in range(3)]
    waiting = [asyncio.ensure_future(_next(w)) for w in watchers]
    await _joined(feed, 3)
    log.fail = True
    feed.notify()
    for each in waiting:
        with pytest.raises(UnavailableError) as error:
            await each
        assert error.value.reason == Reason.WATCH_FEED_FAILED
        assert error.value.metadata["resume_after"] == "2"


async def test_stop_ends_every_stream() -> None:
    log = Log()
    feed = feed_of(log)

    async def drain(after: int) -> list[Sequence[int]]:
        return [batch async for batch in feed.watch(after)]

    watchers = [asyncio.ensure_future(drain(0)) for _ in range(2)]
    await _joined(feed, 2)
    feed.stop()
    assert await asyncio.wait_for(asyncio.gather(*watchers), 10) == [[], []]
    assert feed.watchers == 0


async def test_a_stopped_feed_reads_nothing() -> None:
    log = Log()
    feed = feed_of(log)
    feed.stop()
    assert [b async for b in feed.watch(0)] == []
    assert log.reads == 0


async def test_the_reader_stops_when_nobody_watches() -> None:
    log = Log()
    feed = feed_of(log, poll_seconds=0.01)
    batches = feed.watch(0)
    waiting = asyncio.ensure_future(_next(batches))
    await _joined(feed, 1)
    assert feed.reading
    waiting.cancel()  # as a client's cancel does: the watcher leaves the feed
    with pytest.raises(asyncio.CancelledError):
        await waiting
    await _joined(feed, 0)
    await wait_until(lambda: not feed.reading, "the reader to stop")


async def test_a_position_beyond_the_end_holds_up_nobody() -> None:
    log = Log()
    log.append(2)
    feed = feed_of(log)
    ahead = feed.watch(1_000_000)  # any number a caller sends
    waiting_ahead = asyncio.ensure_future(_next(ahead))
    await _joined(feed, 1)
    behind = feed.watch(1)
    assert await _next(behind) == [2]
    waiting = asyncio.ensure_future(_next(behind))
    await _joined(feed, 2)
    reads = log.reads
    log.append()
    feed.notify()
    assert await waiting == [3]
    assert log.reads - reads <= 2  # no watcher is kept catching up
    assert not waiting_ahead.done()  # nothing at or below its position
    waiting_ahead.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting_ahead
    await behind.aclose()
