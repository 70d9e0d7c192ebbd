"""Concept (performance) drift: change detectors over a stream of errors.

Feed each detector one value per scored request, typically 1.0 for a wrong prediction and 0.0
for a right one (or an absolute error). ``update(value)`` returns True when it detects a change;
the detector then resets itself, so the next detection measures from the change. ``reset()``
clears it by hand. Both keep a bounded amount of state.

``PageHinkley`` resets with the next value, not at once, so that right after a detection its
``cumulative`` is the statistic that crossed the threshold (a report says that number, not the
0 of a fresh detector); what the next value sees is the same either way.

``PageHinkley`` (Page 1954; the form of Gama et al. and scikit-multiflow) detects an *increase*
of the mean: with x̄ the running mean of the values seen,

    m_t = max(0, alpha * m_{t-1} + (x_t - x̄_t - delta))

and a change is signalled when m_t > ``threshold`` (lambda) after at least ``min_samples``
values. ``delta`` (0.005) is the size of change tolerated, ``threshold`` (50) trades detection
delay against false alarms, ``alpha`` (0.9999) slowly forgets old deviations. State: four numbers.

``Adwin`` is ADWIN2 (Bifet and Gavaldà, "Learning from time-changing data with adaptive
windowing", 2007). It keeps a window of recent values compressed into an exponential histogram:
row i holds at most ``max_buckets`` (5) buckets of 2**i values, each with its total and its sum of
squared deviations, so memory is O(max_buckets * log2(window length)). Every ``clock`` (32)
values it checks each split of the window into an older part W0 and a newer part W1 (at bucket
boundaries, each part at least ``min_window`` (5) values) and drops the oldest bucket while some
split has

    |mean(W0) - mean(W1)| > sqrt(2 * m * var * d) + 2/3 * d * m,
    m = 1/n0 + 1/n1,  d = ln(2 * ln(n) / delta),

with var the window's variance and n its length (the variance-aware bound of the paper's
Theorem 3, as in MOA). ``delta`` (0.002) is the confidence. A change is reported when the window
shrank and the newer part's mean is higher (an error rate that rose); ``detect_decrease=True``
reports falls too. After a detection the window already holds only the recent values, so the
detector keeps them instead of starting empty.
"""

from __future__ import annotations

import math

__all__ = ["Adwin", "PageHinkley"]


class PageHinkley:
    """Page-Hinkley test for an increase of the mean (see the module docstring)."""

    def __init__(
        self,
        *,
        delta: float = 0.005,
        threshold: float = 50.0,
        alpha: float = 0.9999,
        min_samples: int = 30,
    ) -> None:
        if threshold <= 0 or not 0 < alpha <= 1 or min_samples < 1:
            raise ValueError("threshold must be > 0, alpha in (0, 1], min_samples >= 1")
        self.delta = delta
        self.threshold = threshold
        self.alpha = alpha
        self.min_samples = min_samples
        self.reset()

    def reset(self) -> None:
        self.count = 0
        self.mean = 0.0
        self.cumulative = 0.0
        self._detected = False

    def update(self, value: float) -> bool:
        if self._detected:  # the reset after a detection, deferred (see the module docstring)
            self.reset()
        self.count += 1
        self.mean += (value - self.mean) / self.count
        self.cumulative = max(0.0, self.alpha * self.cumulative + value - self.mean - self.delta)
        if self.count >= self.min_samples and self.cumulative > self.threshold:
            self._detected = True
            return True
        return False


class _Bucket:
    __slots__ = ("size", "total", "variance")

    def __init__(self, size: int, total: float, variance: float) -> None:
        self.size = size
        self.total = total
        self.variance = variance  # sum of squared deviations from the bucket's mean


def _merge(older: _Bucket, newer: _Bucket) -> _Bucket:
    n0, n1 = older.size, newer.size
    gap = older.total / n0 - newer.total / n1
    return _Bucket(
        n0 + n1,
        older.total + newer.total,
        older.variance + newer.variance + n0 * n1 / (n0 + n1) * gap * gap,
    )


class Adwin:
    """ADWIN2 over an exponential histogram (see the module docstring)."""

    def __init__(
        self,
        *,
        delta: float = 0.002,
        max_buckets: int = 5,
        min_window: int = 5,
        clock: int = 32,
        detect_decrease: bool = False,
    ) -> None:
        if not 0 < delta < 1 or max_buckets < 2 or min_window < 1 or clock < 1:
            raise ValueError("delta must be in (0, 1), max_buckets >= 2, min_window and clock >= 1")
        self.delta = delta
        self.max_buckets = max_buckets
        self.min_window = min_window
        self.clock = clock
        self.detect_decrease = detect_decrease
        self.reset()

    def reset(self) -> None:
        # rows[i] holds buckets of 2**i values, oldest first; higher rows are older.
        self._rows: list[list[_Bucket]] = []
        self.width = 0
        self.total = 0.0
        self.variance = 0.0  # sum of squared deviations over the window
        self._ticks = 0

    @property
    def mean(self) -> float:
        return self.total / self.width if self.width else 0.0

    @property
    def bucket_count(self) -> int:
        return sum(len(row) for row in self._rows)

    def update(self, value: float) -> bool:
        value = float(value)
        if self.width:
            self.variance += self.width * (value - self.mean) ** 2 / (self.width + 1)
        self.width += 1
        self.total += value
        if not self._rows:
            self._rows.append([])
        self._rows[0].append(_Bucket(1, value, 0.0))
        self._compress()
        self._ticks += 1
        if self._ticks % self.clock or self.width < 2 * self.min_window:
            return False
        return self._shrink()

    def _compress(self) -> None:
        level = 0
        while level < len(self._rows) and len(self._rows[level]) > self.max_buckets:
            row = self._rows[level]
            merged = _merge(row.pop(0), row.pop(0))
            if level + 1 == len(self._rows):
                self._rows.append([])
            self._rows[level + 1].append(merged)  # newest of the older row
            level += 1

    def _drop_oldest(self) -> None:
        oldest_row = self._rows[-1]
        bucket = oldest_row.pop(0)
        if not oldest_row:
            self._rows.pop()
        rest = self.width - bucket.size
        rest_mean = (self.total - bucket.total) / rest if rest else 0.0
        gap = bucket.total / bucket.size - rest_mean
        self.variance = max(
            0.0, self.variance - bucket.variance - bucket.size * rest / self.width * gap * gap
        )
        self.width = rest
        self.total -= bucket.total

    def _cut(self) -> float:
        """The signed mean difference (newer minus older) of the first split past the bound."""
        d = math.log(2 * math.log(self.width) / self.delta)
        var = self.variance / self.width
        n0, t0 = 0, 0.0
        for row in reversed(self._rows):  # oldest row first
            for bucket in row:
                n0 += bucket.size
                t0 += bucket.total
                n1 = self.width - n0
                if n1 < self.min_window:
                    return 0.0
                if n0 < self.min_window:
                    continue
                gap = (self.total - t0) / n1 - t0 / n0
                m = 1 / n0 + 1 / n1
                if abs(gap) > math.sqrt(2 * m * var * d) + 2 / 3 * d * m:
                    return gap
        return 0.0

    def _shrink(self) -> bool:
        detected = False
        while self.width >= 2 * self.min_window and (gap := self._cut()) != 0.0:
            self._drop_oldest()
            if gap > 0 or self.detect_decrease:
                detected = True
        return detected
