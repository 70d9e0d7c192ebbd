"""Adaptive batching: concurrent requests to one model version share one predict call.

A request that finds the model idle is predicted at once, in the event loop when the model is
cheap (a thread hop would cost more than the prediction) and in a worker thread otherwise.
Requests that arrive while a prediction runs wait in a queue; the next call takes all of them
(up to ``max_rows``), predicts the union of their requested outputs on the stacked rows, and
gives each caller exactly its own rows of exactly the outputs it asked for. Nothing waits for a
batch to fill unless ``max_wait`` is set: batches form from real concurrency only.

If a merged call fails (one caller's rows, say, hold a category the model rejects), every
request of it is retried on its own, so one bad request never fails its neighbours.

Each request tells its clock (``statistics.RequestClock``, when the call has one) how long it
waited and how long the model call that answered it took.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from slipway.services.serving.domain.served import ServedModel
from slipway.services.serving.domain.statistics import current_clock

Outputs = dict[str, npt.NDArray[Any]]
CHEAP_SECONDS = 0.0005  # predictions faster than this run in the event loop


@dataclass
class _Waiting:
    rows: npt.NDArray[Any]
    outputs: tuple[str, ...]
    future: asyncio.Future[Outputs]
    entered_ns: int = 0
    # Set with the answer: when its model call started, what it took, its rows in all, and
    # whether this request is the one that counts the call as an execution.
    call_started_ns: int = 0
    call_ns: int = 0
    call_rows: int = 0
    led: bool = True


@dataclass
class BatchStats:
    """What the batcher did, for metrics and tests."""

    calls: int = 0  # predict calls made
    requests: int = 0  # requests answered
    largest: int = 0  # most requests merged into one call
    sizes: list[int] = field(default_factory=list)  # rows per call (bounded)


class Batcher:
    def __init__(
        self,
        served: ServedModel,
        *,
        max_rows: int = 1024,
        max_wait: float = 0.0,
        enabled: bool = True,
    ) -> None:
        self.served = served
        self._max_rows = max_rows
        self._max_wait = max_wait
        self._enabled = enabled
        self._waiting: list[_Waiting] = []
        self._drainer: asyncio.Task[None] | None = None
        self._seconds_per_call = 0.0  # moving average of one predict call
        self.stats = BatchStats()

    @property
    def cheap(self) -> bool:
        return self._seconds_per_call < CHEAP_SECONDS

    def _predict(self, rows: npt.NDArray[Any], outputs: Collection[str]) -> tuple[Outputs, int]:
        started = time.perf_counter_ns()
        result = self.served.predict(rows, outputs)
        spent_ns = time.perf_counter_ns() - started
        spent = spent_ns / 1e9
        self._seconds_per_call = (
            spent if self.stats.calls == 0 else 0.9 * self._seconds_per_call + 0.1 * spent
        )
        self.stats.calls += 1
        if len(self.stats.sizes) < 10_000:
            self.stats.sizes.append(len(rows))
        return result, spent_ns

    async def _call(self, rows: npt.NDArray[Any], outputs: Collection[str]) -> tuple[Outputs, int]:
        """The outputs, and the time the model took for them (ns)."""
        if self.cheap:
            return self._predict(rows, outputs)
        return await asyncio.to_thread(self._predict, rows, outputs)

    async def predict(self, rows: npt.NDArray[Any], outputs: Collection[str]) -> Outputs:
        """The requested ``outputs`` for ``rows``."""
        self.stats.requests += 1
        clock = current_clock()
        entered = time.perf_counter_ns()
        idle = self._drainer is None and not self._waiting
        if not self._enabled or (idle and (self.cheap or len(rows) >= self._max_rows)):
            result, spent = await self._call(rows, outputs)
            if clock is not None:
                clock.executed(
                    self.served.info, queue_ns=0, infer_ns=spent, batch_rows=len(rows), led=True
                )
            return result
        future: asyncio.Future[Outputs] = asyncio.get_running_loop().create_future()
        item = _Waiting(rows, tuple(outputs), future, entered)
        self._waiting.append(item)
        if self._drainer is None:
            self._drainer = asyncio.create_task(self._drain())
        result = await future
        if clock is not None:
            clock.executed(
                self.served.info,
                queue_ns=item.call_started_ns - entered,
                infer_ns=item.call_ns,
                batch_rows=item.call_rows,
                led=item.led,
            )
        return result

    def _take(self) -> list[_Waiting]:
        batch: list[_Waiting] = []
        rows = 0
        while self._waiting and (not batch or rows + len(self._waiting[0].rows) <= self._max_rows):
            item = self._waiting.pop(0)
            batch.append(item)
            rows += len(item.rows)
        return batch

    async def _drain(self) -> None:
        # Never leaves a caller waiting: every failure settles the futures it concerns.
        try:
            while self._waiting:
                if self._max_wait > 0 and sum(len(w.rows) for w in self._waiting) < self._max_rows:
                    await asyncio.sleep(self._max_wait)
                batch = self._take()
                self.stats.largest = max(self.stats.largest, len(batch))
                await self._run(batch)
        finally:
            self._drainer = None

    async def _run(self, batch: list[_Waiting]) -> None:
        if len(batch) == 1:
            item = batch[0]
            await self._settle(item, item.rows, item.outputs)
            return
        wanted: list[str] = []
        for item in batch:
            wanted.extend(name for name in item.outputs if name not in wanted)
        started = time.perf_counter_ns()
        try:
            rows = np.concatenate([item.rows for item in batch])
            merged, spent = await self._call(rows, wanted)
        except Exception:
            for item in batch:  # isolate the request that made the merged call fail
                await self._settle(item, item.rows, item.outputs)
            return
        start = 0
        for index, item in enumerate(batch):
            end = start + len(item.rows)
            item.call_started_ns, item.call_ns, item.call_rows = started, spent, len(rows)
            item.led = index == 0
            if not item.future.done():
                item.future.set_result({name: merged[name][start:end] for name in item.outputs})
            start = end

    async def _settle(
        self, item: _Waiting, rows: npt.NDArray[Any], outputs: tuple[str, ...]
    ) -> None:
        started = time.perf_counter_ns()
        try:
            result, spent = await self._call(rows, outputs)
        except Exception as exc:
            if not item.future.done():
                item.future.set_exception(exc)
            return
        item.call_started_ns, item.call_ns, item.call_rows = started, spent, len(rows)
        if not item.future.done():
            item.future.set_result(result)
