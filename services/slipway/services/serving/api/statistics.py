"""The domain's inference statistics at the edge: as Triton's ModelStatistics messages, and as
Prometheus series on serving's /metrics (so the requests of a ModelStreamInfer stream, which
the gRPC metrics count as one call, are counted one by one too)."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import CounterMetricFamily
from prometheus_client.registry import Collector

from slipway.inference.v2 import grpc_service_pb2 as pb
from slipway.services.serving.domain.statistics import Duration, Statistics, VersionStatistics

PHASES = ("queue", "compute_input", "compute_infer", "compute_output")


def _duration(message: pb.StatisticDuration, duration: Duration) -> None:
    message.count, message.ns = duration.count, duration.ns


def encode(entry: VersionStatistics, message: pb.ModelStatistics) -> None:
    """``entry`` into ``message`` (Triton's field meanings: see the proto)."""
    message.name = entry.model_id
    message.version = str(entry.number)
    message.last_inference = entry.last_inference_ms
    message.inference_count = entry.inference_count
    message.execution_count = entry.execution_count
    stats = message.inference_stats
    _duration(stats.success, entry.success)
    _duration(stats.fail, entry.fail)
    for phase in PHASES:
        _duration(getattr(stats, phase), getattr(entry, phase))
    # Set, though empty: Triton's clients read these as present.
    stats.cache_hit.SetInParent()
    stats.cache_miss.SetInParent()
    for size, duration in sorted(entry.batches.items()):
        batch = message.batch_stats.add(batch_size=size)
        _duration(batch.compute_infer, duration)
        batch.compute_input.SetInParent()
        batch.compute_output.SetInParent()


class StatisticsCollector(Collector):
    """Serving's per-version inference totals, read from :class:`Statistics` at each scrape."""

    def __init__(self, statistics: Statistics) -> None:
        self._statistics = statistics

    def describe(self) -> list[CounterMetricFamily]:
        """The families, without samples (what a registry checks names against)."""
        return list(self._families())

    def collect(self) -> Iterator[CounterMetricFamily]:
        requests, seconds, rows = self._families()
        for entry in self._statistics.versions():
            labels = [entry.model_id, str(entry.number)]
            requests.add_metric([*labels, "success"], entry.success.count)
            requests.add_metric([*labels, "fail"], entry.fail.count)
            for phase in ("success", "fail", *PHASES):
                seconds.add_metric([*labels, phase], getattr(entry, phase).ns / 1e9)
            rows.add_metric(labels, entry.inference_count)
        yield requests
        yield seconds
        yield rows

    @staticmethod
    def _families() -> tuple[CounterMetricFamily, CounterMetricFamily, CounterMetricFamily]:
        requests = CounterMetricFamily(
            "slipway_serving_inference_requests",
            "Inference requests (ModelInfer, and each request of a ModelStreamInfer stream) by "
            "model, version and outcome (success, fail), once a version was chosen to answer.",
            labels=["model", "version", "outcome"],
        )
        seconds = CounterMetricFamily(
            "slipway_serving_inference_seconds",
            "Time spent on those requests by phase: success and fail (the whole request), "
            "queue (waiting for the model), compute_input (reading tensors), compute_infer "
            "(the model call), compute_output (writing the answer).",
            labels=["model", "version", "phase"],
        )
        rows = CounterMetricFamily(
            "slipway_serving_inference_rows",
            "Rows answered, by model and version.",
            labels=["model", "version"],
        )
        return requests, seconds, rows
