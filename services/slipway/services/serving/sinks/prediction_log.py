"""Prediction logs from serving to monitoring, never at the expense of inference.

``PredictionLog.record`` is called on the response path and only appends a reference to the
request's rows and answers to a bounded in-memory queue (after the sampling draw); when the
queue is full the record is dropped and counted. A background task turns queued records into
``PredictionRecord`` messages (raw little-endian tensors, no per-element loops for numbers) and
sends them in batches over ``IngestPredictions``. When monitoring is slow or down a batch is
dropped and counted too, one log line says so, and sending resumes by itself with the next
batch: memory stays bounded whatever monitoring does.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
import uuid
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import grpc
import numpy as np
import numpy.typing as npt
from google.protobuf.timestamp_pb2 import Timestamp
from prometheus_client import Counter, Gauge
from prometheus_client.registry import Collector

from slipway.common.v1 import tensor_pb2
from slipway.core.logs import get_logger
from slipway.core.peers import PeerTarget
from slipway.ml.tensors import DATA_TYPES, NUMPY_TYPES, pack_bytes
from slipway.monitoring.v1 import monitoring_service_pb2 as pb
from slipway.monitoring.v1 import monitoring_service_pb2_grpc as pb_grpc
from slipway.monitoring.v1 import prediction_record_pb2
from slipway.services.serving.domain.inference import Role
from slipway.services.serving.domain.served import VersionInfo

log = get_logger("slipway.serving.prediction_log")

ROLES = {
    "primary": prediction_record_pb2.TRAFFIC_ROLE_PRIMARY,
    "canary": prediction_record_pb2.TRAFFIC_ROLE_CANARY,
    "shadow": prediction_record_pb2.TRAFFIC_ROLE_SHADOW,
}


@dataclass(frozen=True)
class _Pending:
    info: VersionInfo
    alias: str
    role: Role
    request_id: str
    time: float
    rows: npt.NDArray[Any]
    answers: dict[str, npt.NDArray[Any]]


def tensor(name: str, datatype: str, values: npt.NDArray[Any]) -> tensor_pb2.Tensor:
    """A ``common.v1.Tensor`` with raw contents; missing categorical values are masked."""
    message = tensor_pb2.Tensor(name=name, data_type=DATA_TYPES[datatype], shape=list(values.shape))
    if datatype == "BYTES":
        flat = values.ravel()
        missing = np.fromiter((not isinstance(v, str) for v in flat), dtype=bool, count=len(flat))
        items = [(v if isinstance(v, str) else "").encode() for v in flat.tolist()]
        message.raw_contents = pack_bytes(items)
        if missing.any():
            message.missing_mask = missing.astype(np.uint8).tobytes()
        return message
    message.raw_contents = np.ascontiguousarray(values, dtype=NUMPY_TYPES[datatype]).tobytes()
    return message


def to_record(item: _Pending) -> prediction_record_pb2.PredictionRecord:
    stamp = Timestamp()
    stamp.FromDatetime(datetime.fromtimestamp(item.time, UTC))
    record = prediction_record_pb2.PredictionRecord(
        request_id=item.request_id,
        model_version=item.info.name,
        alias=item.alias,
        role=ROLES[item.role],
        predict_time=stamp,
        row_count=len(item.rows),
    )
    for j, spec in enumerate(item.info.inputs):
        column = item.rows[:, j]
        record.inputs.append(
            tensor(
                spec.name, spec.datatype, column if spec.categorical else column.astype(np.float64)
            )
        )
    for name, values in item.answers.items():
        out = item.info.output(name)
        record.outputs.append(tensor(name, out.datatype if out else "FP64", values))
    return record


class PredictionLogMetrics:
    def __init__(self) -> None:
        self.sent = Counter(
            "slipway_serving_prediction_logs_sent_total",
            "Prediction records monitoring accepted.",
            registry=None,
        )
        self.dropped = Counter(
            "slipway_serving_prediction_logs_dropped_total",
            "Prediction records dropped, by reason (queue_full, monitoring_unavailable).",
            ["reason"],
            registry=None,
        )
        self.queued = Gauge(
            "slipway_serving_prediction_log_queue",
            "Prediction records waiting to be sent.",
            registry=None,
        )

    def collectors(self) -> list[Collector]:
        return [self.sent, self.dropped, self.queued]


class PredictionLog:
    """The domain's :class:`~slipway.services.serving.domain.inference.PredictionSink`,
    sending to monitoring."""

    def __init__(
        self,
        monitoring: PeerTarget,
        *,
        sample_rate: float = 1.0,
        capacity: int = 10_000,
        batch_size: int = 500,
        flush_seconds: float = 0.5,
        sender: str = "serving",
        metrics: PredictionLogMetrics | None = None,
    ) -> None:
        self._monitoring = monitoring
        self._sample_rate = sample_rate
        self._queue: deque[_Pending] = deque()
        self._capacity = capacity
        self._batch_size = batch_size
        self._flush_seconds = flush_seconds
        self._sender = sender
        self.metrics = metrics or PredictionLogMetrics()
        self._dropped_since_sent = 0
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._down_since: float | None = None
        self._random = random.Random()  # noqa: S311  (sampling, not secrets)

    def record(
        self,
        info: VersionInfo,
        *,
        alias: str,
        role: Role,
        request_id: str,
        rows: npt.NDArray[Any],
        answers: dict[str, npt.NDArray[Any]],
    ) -> None:
        """Queue one request's log; never blocks, never raises."""
        if self._sample_rate < 1.0 and self._random.random() >= self._sample_rate:
            return
        if len(self._queue) >= self._capacity:
            self._dropped_since_sent += 1
            self.metrics.dropped.labels("queue_full").inc()
            return
        self._queue.append(_Pending(info, alias, role, request_id, time.time(), rows, answers))
        if len(self._queue) >= self._batch_size:
            self._wake.set()

    def start(self) -> None:
        self._channel = self._monitoring.channel()
        self._stub = pb_grpc.MonitoringServiceStub(self._channel)
        self._task = asyncio.create_task(self._send_forever())

    async def stop(self) -> None:
        """Send what is queued (for up to two seconds), then stop."""
        if self._task is None:
            return
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None
        with contextlib.suppress(Exception):
            async with asyncio.timeout(2.0):
                await self._flush()
        await self._channel.close()

    async def _send_forever(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._flush_seconds)
            self._wake.clear()
            try:
                await self._flush()
            except Exception:  # a bug here must not stop logging for good
                log.exception("sending prediction logs failed")

    async def _flush(self) -> None:
        while self._queue:
            batch = [self._queue.popleft() for _ in range(min(self._batch_size, len(self._queue)))]
            self.metrics.queued.set(len(self._queue))
            await self._send(batch)

    async def _send(self, batch: list[_Pending]) -> None:
        request = pb.IngestPredictionsRequest(
            records=[to_record(item) for item in batch],
            dropped_record_count=self._dropped_since_sent,
            sender=self._sender,
            request_id=uuid.uuid4().hex,
        )

        async def one() -> AsyncIterator[pb.IngestPredictionsRequest]:
            yield request

        try:
            reply = await self._stub.IngestPredictions(
                one(), metadata=self._monitoring.metadata(request.request_id), timeout=10.0
            )
        except grpc.aio.AioRpcError as error:
            self._dropped_since_sent += len(batch)
            self.metrics.dropped.labels("monitoring_unavailable").inc(len(batch))
            if self._down_since is None:
                self._down_since = time.monotonic()
                log.warning(
                    "monitoring unreachable; dropping prediction logs until it is back",
                    error=error.code().name,
                    dropped=len(batch),
                )
            return
        if self._down_since is not None:
            log.info(
                "monitoring reachable again; sending prediction logs",
                dropped_total=self._dropped_since_sent,
                outage_seconds=round(time.monotonic() - self._down_since, 1),
            )
            self._down_since = None
        self._dropped_since_sent = 0
        self.metrics.sent.inc(reply.accepted_record_count)
