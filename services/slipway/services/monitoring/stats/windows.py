"""Bounded windows of live traffic: a uniform row sample plus streaming aggregates per column.

Memory does not grow with traffic: a window holds at most ``reservoir_size`` rows and, per
column, a fixed set of numbers and at most ``max_categories`` category counts.

* ``Reservoir`` keeps a uniform sample of the rows seen (Vitter's Algorithm R, drawn for a whole
  batch at once with the same result as row by row: row i (0-based) replaces slot j, j uniform in
  0..i, when j < capacity). Rows stay aligned across columns, so a sample of features, outputs and
  labels is a sample of requests. Numeric columns are stored as ``float64`` (NaN for missing),
  others as object arrays. Seeded with an ``int`` or a ``numpy.random.Generator``.
* ``StreamingStats`` aggregates one column batch by batch: count of present values, missing count
  (None, NaN and infinities, as in ``slipway.ml.profiles``), mean and variance (Chan et al.'s
  pairwise update of Welford's sums, exact up to rounding), min and max over numbers, and category
  counts. Categories are text labels (a whole number is written without ``.0``). The first
  ``max_categories`` (100) distinct categories keep counts, a batch admitting its most frequent
  new categories first; values of any other category are counted in ``other_count``.
* ``Window`` feeds both and closes after ``max_records`` records (a batch is split at the
  boundary) or ``max_seconds`` seconds from its opening (checked on ``add_batch`` and ``poll``,
  against an injectable monotonic ``clock``), whichever comes first. A closed window is a
  ``ClosedWindow`` snapshot and the next window opens at once.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from slipway.ml.profiles import MAX_CATEGORIES
from slipway.services.monitoring.stats.missing import none_or_nan

__all__ = ["ClosedWindow", "Reservoir", "StreamingStats", "Window"]

Array = npt.NDArray[Any]


def _batch_length(columns: Mapping[str, Array]) -> int:
    lengths = {len(np.asarray(values).ravel()) for values in columns.values()}
    if len(lengths) > 1:
        raise ValueError(f"columns of one batch differ in length: {sorted(lengths)}")
    return lengths.pop() if lengths else 0


def _numbers(values: Array) -> npt.NDArray[np.float64] | None:
    """The values as floats (NaN for None) when they are all numbers, else None."""
    if values.dtype.kind in "biuf":
        return values.astype(np.float64)
    if values.dtype.kind != "O":
        return None
    try:
        numbers = np.array([np.nan if v is None else v for v in values], dtype=np.float64)
    except (TypeError, ValueError):
        return None
    if any(isinstance(v, str | bytes) for v in values):
        return None
    return numbers


def _number_labels(numbers: npt.NDArray[np.float64]) -> npt.NDArray[np.str_]:
    whole = (numbers == np.round(numbers)) & (np.abs(numbers) < 2.0**53)
    labels = numbers.astype(str)
    labels[whole] = numbers[whole].astype(np.int64).astype(str)
    return labels


class Reservoir:
    """A uniform sample of at most ``capacity`` rows (see the module docstring)."""

    def __init__(self, capacity: int, seed: int | np.random.Generator | None = None) -> None:
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self.capacity = capacity
        self.seen = 0
        self._rng = np.random.default_rng(seed)
        self._columns: dict[str, Array] = {}

    def __len__(self) -> int:
        return min(self.seen, self.capacity)

    def add_batch(self, columns: Mapping[str, Array]) -> None:
        size = _batch_length(columns)
        if size == 0:
            return
        if self._columns and set(columns) != set(self._columns):
            raise ValueError("a batch must hold the same columns as the first one")
        positions = self.seen + np.arange(size)
        filling = positions < self.capacity
        draws = self._rng.integers(0, positions[~filling] + 1)
        kept = draws < self.capacity
        rows = np.arange(size)
        targets = np.concatenate([positions[filling], draws[kept]])
        sources = np.concatenate([rows[filling], rows[~filling][kept]])
        # A slot written twice keeps the later row, as the row-by-row algorithm would.
        slots, last = np.unique(targets[::-1], return_index=True)
        sources = sources[::-1][last]
        for name, values in columns.items():
            self._store(name, np.asarray(values).ravel(), slots, sources)
        self.seen += size

    def _store(
        self, name: str, values: Array, slots: npt.NDArray[np.int64], sources: npt.NDArray[np.int64]
    ) -> None:
        numbers = _numbers(values)
        storage = self._columns.get(name)
        if storage is None:
            if numbers is not None:
                storage = np.full(self.capacity, np.nan)
            else:
                storage = np.empty(self.capacity, dtype=object)
            self._columns[name] = storage
        if numbers is not None and storage.dtype.kind == "f":
            storage[slots] = numbers[sources]
            return
        if storage.dtype.kind == "f":
            storage = storage.astype(object)
            self._columns[name] = storage
        storage[slots] = values.astype(object)[sources]

    def sample(self) -> dict[str, Array]:
        """Copies of the sampled rows, column by column."""
        return {name: values[: len(self)].copy() for name, values in self._columns.items()}


class StreamingStats:
    """Aggregates of one column over batches (see the module docstring)."""

    def __init__(self, max_categories: int = MAX_CATEGORIES) -> None:
        self.max_categories = max_categories
        self.count = 0  # present values
        self.missing_count = 0
        self.numeric_count = 0  # present numbers, over which mean, variance, min, max run
        self.mean = 0.0
        self._m2 = 0.0
        self.min = float("inf")
        self.max = float("-inf")
        self.other_count = 0
        self._keys = np.array([], dtype=str)  # sorted
        self._counts = np.array([], dtype=np.int64)

    @property
    def variance(self) -> float:
        """Sample variance (ddof=1); 0 with fewer than two numbers."""
        return self._m2 / (self.numeric_count - 1) if self.numeric_count > 1 else 0.0

    @property
    def std(self) -> float:
        return float(np.sqrt(self.variance))

    @property
    def categories(self) -> dict[str, int]:
        """Category counts, most frequent first, ties in text order."""
        order = np.argsort(-self._counts, kind="stable")
        return {str(self._keys[i]): int(self._counts[i]) for i in order}

    def add(self, values: Array) -> None:
        values = np.asarray(values).ravel()
        numbers = _numbers(values)
        if numbers is not None:
            present = numbers[np.isfinite(numbers)]
            self.missing_count += len(numbers) - len(present)
            self._add_numbers(present)
            self._add_labels(_number_labels(present))
        else:
            if values.dtype.kind == "O":
                missing = none_or_nan(values)
            else:
                missing = np.zeros(len(values), dtype=bool)
            text = values[~missing]
            self.missing_count += int(missing.sum())
            if text.dtype.kind == "S":
                self._add_labels(np.char.decode(text, "utf-8", "replace"))
            else:
                self._add_labels(text.astype(str))
        self.count = int(self._counts.sum()) + self.other_count

    def _add_numbers(self, present: npt.NDArray[np.float64]) -> None:
        size = len(present)
        if size == 0:
            return
        batch_mean = float(present.mean())
        batch_m2 = float(((present - batch_mean) ** 2).sum())
        total = self.numeric_count + size
        gap = batch_mean - self.mean
        self._m2 += batch_m2 + gap * gap * self.numeric_count * size / total
        self.mean += gap * size / total
        self.numeric_count = total
        self.min = min(self.min, float(present.min()))
        self.max = max(self.max, float(present.max()))

    def _add_labels(self, labels: npt.NDArray[np.str_]) -> None:
        if len(labels) == 0:
            return
        unique, counts = np.unique(labels, return_counts=True)
        where = np.searchsorted(self._keys, unique)
        known = np.zeros(len(unique), dtype=bool)
        inside = where < len(self._keys)
        known[inside] = self._keys[where[inside]] == unique[inside]
        np.add.at(self._counts, where[known], counts[known])
        new, new_counts = unique[~known], counts[~known]
        room = max(0, self.max_categories - len(self._keys))
        admitted = np.argsort(-new_counts, kind="stable")[:room]
        self.other_count += int(new_counts.sum() - new_counts[admitted].sum())
        if len(admitted):
            keys = np.concatenate([self._keys, new[admitted]])
            counts_all = np.concatenate([self._counts, new_counts[admitted]])
            order = np.argsort(keys, kind="stable")
            self._keys, self._counts = keys[order], counts_all[order].astype(np.int64)


@dataclass(frozen=True)
class ClosedWindow:
    opened: float  # clock time
    closed: float
    count: int  # records
    stats: Mapping[str, StreamingStats]
    sample: Mapping[str, Array]  # uniform sample of rows, aligned across columns


class Window:
    """A count- and/or time-bounded window of records (see the module docstring)."""

    def __init__(
        self,
        *,
        max_records: int | None = None,
        max_seconds: float | None = None,
        reservoir_size: int = 1000,
        max_categories: int = MAX_CATEGORIES,
        seed: int | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_records is None and max_seconds is None:
            raise ValueError("a window needs max_records, max_seconds or both")
        if (max_records is not None and max_records < 1) or (
            max_seconds is not None and max_seconds <= 0
        ):
            raise ValueError("max_records must be >= 1 and max_seconds > 0")
        self.max_records = max_records
        self.max_seconds = max_seconds
        self.reservoir_size = reservoir_size
        self.max_categories = max_categories
        self._rng = np.random.default_rng(seed)
        self._clock = clock
        self._open()

    def _open(self) -> None:
        self.opened = self._clock()
        self.count = 0
        self._stats: dict[str, StreamingStats] = {}
        self._reservoir = Reservoir(self.reservoir_size, self._rng)

    def close(self) -> ClosedWindow:
        """Close the current window (whatever its size) and open the next."""
        closed = ClosedWindow(
            opened=self.opened,
            closed=self._clock(),
            count=self.count,
            stats=self._stats,
            sample=self._reservoir.sample(),
        )
        self._open()
        return closed

    def poll(self) -> ClosedWindow | None:
        """Close the window when its time is up."""
        if self.max_seconds is not None and self._clock() - self.opened >= self.max_seconds:
            return self.close()
        return None

    def add_batch(self, columns: Mapping[str, Array]) -> list[ClosedWindow]:
        """Add records (columns of equal length); returns the windows this closed, oldest first."""
        closed: list[ClosedWindow] = []
        if (expired := self.poll()) is not None:
            closed.append(expired)
        arrays = {name: np.asarray(values).ravel() for name, values in columns.items()}
        size = _batch_length(arrays)
        start = 0
        while start < size:
            room = size - start if self.max_records is None else self.max_records - self.count
            stop = min(size, start + room)
            self._add({name: values[start:stop] for name, values in arrays.items()})
            start = stop
            if self.max_records is not None and self.count >= self.max_records:
                closed.append(self.close())
        return closed

    def _add(self, columns: Mapping[str, Array]) -> None:
        for name, values in columns.items():
            self._stats.setdefault(name, StreamingStats(self.max_categories)).add(values)
        self._reservoir.add_batch(columns)
        self.count += _batch_length(columns)
