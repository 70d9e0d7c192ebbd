"""Inference statistics per model version, as Triton's ModelStatistics reports them.

Each request gets a :class:`RequestClock` when its call starts. The clock learns the version
chosen to answer when the request's rows are read for it, and the time those rows took to read;
the batcher (``batching.py``) adds how long the request waited for the model and how long the
model call that answered it took; the call's end says whether it succeeded and how long it took
in all. :class:`Statistics` adds each finished clock to its version's totals.

The batcher finds the clock of the request it serves in a context variable, so the domain's
call chain between them (``Deployments.infer``) carries no timing arguments. A shadow scoring
started by a request inherits that context; the clock ignores what a version other than its
own, or anything after the request ended, tells it, so a shadow's model calls are not counted.

Requests refused before a version was chosen (an unknown model, one still loading) belong to no
version and are not counted here; the gRPC metrics count them.
"""

from __future__ import annotations

import contextvars
import time
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from slipway.core.errors import NotFoundError
from slipway.core.reasons import Reason
from slipway.services.serving.domain.served import VersionInfo

MAX_BATCH_SIZES = 1024
"""Distinct batch sizes kept per version; a call of a size beyond them counts in the totals
only, so an unusual traffic pattern cannot grow the table without bound."""

_current: contextvars.ContextVar[RequestClock | None] = contextvars.ContextVar(
    "serving.request_clock", default=None
)


@dataclass(slots=True)
class Duration:
    """How many times something happened, and the time it took in all."""

    count: int = 0
    ns: int = 0

    def add(self, ns: int) -> None:
        self.count += 1
        self.ns += max(ns, 0)


@dataclass
class VersionStatistics:
    """What one model version did since this process loaded it."""

    model_id: str
    number: int
    last_inference_ms: int = 0  # when it last answered or failed, ms since the epoch
    inference_count: int = 0  # rows answered
    execution_count: int = 0  # model calls that answered them
    success: Duration = field(default_factory=Duration)
    fail: Duration = field(default_factory=Duration)
    queue: Duration = field(default_factory=Duration)
    compute_input: Duration = field(default_factory=Duration)
    compute_infer: Duration = field(default_factory=Duration)
    compute_output: Duration = field(default_factory=Duration)
    batches: dict[int, Duration] = field(default_factory=dict)  # rows per call

    def copy(self) -> VersionStatistics:
        return replace(
            self,
            success=replace(self.success),
            fail=replace(self.fail),
            queue=replace(self.queue),
            compute_input=replace(self.compute_input),
            compute_infer=replace(self.compute_infer),
            compute_output=replace(self.compute_output),
            batches={size: replace(d) for size, d in self.batches.items()},
        )


@dataclass(slots=True)
class RequestClock:
    """The timings of one request, filled in as it goes (slots: one is made per request)."""

    started_ns: int = field(default_factory=time.perf_counter_ns)
    info: VersionInfo | None = None  # the version chosen to answer
    rows: int = 0
    input_ns: int = -1  # -1: not measured (the request failed before its rows were read)
    queue_ns: int = -1
    infer_ns: int = -1
    batch_rows: int = 0
    led_call: bool = False  # its model call counts as an execution (one request per call does)
    ended: bool = False

    def read(self, info: VersionInfo, rows: int, ns: int) -> None:
        """Its rows were read for ``info`` (the version chosen), in ``ns``."""
        self.info, self.rows, self.input_ns = info, rows, ns

    def chosen(self, info: VersionInfo) -> None:
        """``info`` was chosen to answer it (before its rows are read, so a request whose
        rows do not fit still counts as that version's failure)."""
        self.info = info

    def executed(
        self, info: VersionInfo, *, queue_ns: int, infer_ns: int, batch_rows: int, led: bool
    ) -> None:
        """The batcher of ``info`` answered it: it waited ``queue_ns``, and the model call
        (``batch_rows`` rows in all, ``led``: counted as an execution once) took ``infer_ns``."""
        if self.ended or info is not self.info:
            return  # a shadow's call, or one after the request was answered
        self.queue_ns, self.infer_ns, self.batch_rows, self.led_call = (
            queue_ns,
            infer_ns,
            batch_rows,
            led,
        )


def current_clock() -> RequestClock | None:
    """The clock of the request being served in this context, if any."""
    return _current.get()


class Statistics:
    """The totals of every model version this process answered with."""

    def __init__(self) -> None:
        self._versions: dict[tuple[str, int], VersionStatistics] = {}

    def start(self) -> RequestClock:
        """A clock for a request starting now, current in this context (the call's task)."""
        clock = RequestClock()
        _current.set(clock)
        return clock

    def _entry(self, info: VersionInfo) -> VersionStatistics:
        key = (info.model_id, info.number)
        entry = self._versions.get(key)
        if entry is None:
            entry = self._versions[key] = VersionStatistics(info.model_id, info.number)
        return entry

    def succeeded(self, clock: RequestClock, *, output_ns: int) -> None:
        """The request was answered; writing its answer took ``output_ns``."""
        clock.ended = True
        if clock.info is None:
            return
        entry = self._entry(clock.info)
        entry.success.add(time.perf_counter_ns() - clock.started_ns)
        entry.last_inference_ms = time.time_ns() // 1_000_000
        entry.inference_count += clock.rows
        if clock.input_ns >= 0:
            entry.compute_input.add(clock.input_ns)
        entry.compute_output.add(output_ns)
        if clock.infer_ns >= 0:
            entry.queue.add(clock.queue_ns)
            entry.compute_infer.add(clock.infer_ns)
            if clock.led_call:
                entry.execution_count += 1
                size = entry.batches.get(clock.batch_rows)
                if size is None and len(entry.batches) < MAX_BATCH_SIZES:
                    size = entry.batches[clock.batch_rows] = Duration()
                if size is not None:
                    size.add(clock.infer_ns)

    def failed(self, clock: RequestClock) -> None:
        """The request failed; counted for the version chosen to answer it, if one was."""
        clock.ended = True
        if clock.info is None:
            return
        entry = self._entry(clock.info)
        entry.fail.add(time.perf_counter_ns() - clock.started_ns)
        entry.last_inference_ms = time.time_ns() // 1_000_000

    def versions(self, model_id: str = "", number: int = 0) -> list[VersionStatistics]:
        """Copies of the totals of ``model_id`` (every model if empty) at version ``number``
        (every version if 0), by model and version."""
        return [
            entry.copy()
            for (model, version), entry in sorted(self._versions.items())
            if (not model_id or model == model_id) and (not number or version == number)
        ]


def report(
    statistics: Statistics,
    index: Iterable[tuple[str, str, str, str]],
    model_id: str = "",
    version: str = "",
) -> list[VersionStatistics]:
    """The totals ModelStatistics answers with: for every version loaded now (``index``: the
    deployments' (name, version, state, reason) rows) and every version that answered since
    the process started, of ``model_id`` (every model if empty) at ``version`` (every version
    if empty). A loaded version not asked yet has zero totals. ``NotFoundError`` when a model
    or version asked for has neither."""
    number = int(version) if version.isdigit() else -1 if version else 0  # -1: no such version
    found = (
        {(e.model_id, e.number): e for e in statistics.versions(model_id, number)}
        if number >= 0
        else {}
    )
    if number >= 0:
        for name, loaded, state, _ in index:
            model = name.partition("@")[0]
            if state != "READY" or not loaded.isdigit() or (model_id and model != model_id):
                continue
            key = (model, int(loaded))
            if (not number or key[1] == number) and key not in found:
                found[key] = VersionStatistics(*key)
    if not found and model_id:
        served = any(name.partition("@")[0] == model_id for name, *_ in index)
        if not version or not served:
            raise NotFoundError(
                f"model {model_id!r} is not served here",
                reason=Reason.MODEL_NOT_FOUND,
                metadata={"model": model_id},
            )
        raise NotFoundError(
            f"version {version!r} of {model_id!r} is not loaded here",
            reason=Reason.VERSION_NOT_FOUND,
            metadata={"model": model_id, "version": version},
        )
    return [found[key] for key in sorted(found)]
