"""Prediction logs to monitoring: each request's inputs and outputs arrive as raw tensors; when
monitoring is down, inference goes on, logs are dropped and counted, and sending resumes by
itself when it is back.

Monitoring is stood in for by a real gRPC server implementing IngestPredictions that keeps what
it receives (the monitoring service itself comes with its own issue).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import grpc
import numpy as np
import pytest
from sklearn.datasets import load_iris

from slipway.monitoring.v1 import monitoring_service_pb2 as mpb
from slipway.monitoring.v1 import monitoring_service_pb2_grpc as mpb_grpc
from slipway.monitoring.v1 import prediction_record_pb2
from support.registry import Registry
from support.serving import StartServing, Trained, matrix_request, output
from support.waiting import wait_until

SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

ROWS = load_iris().data[::10]


class FakeMonitoring(mpb_grpc.MonitoringServiceServicer):
    def __init__(self) -> None:
        self.batches: list[mpb.IngestPredictionsRequest] = []

    async def IngestPredictions(
        self, request_iterator: AsyncIterator[Any], context: Any
    ) -> mpb.IngestPredictionsResponse:
        count = 0
        async for batch in request_iterator:
            self.batches.append(batch)
            count += len(batch.records)
        return mpb.IngestPredictionsResponse(accepted_record_count=count)

    @property
    def records(self) -> list[prediction_record_pb2.PredictionRecord]:
        return [r for b in self.batches for r in b.records]


async def start_fake(port: int = 0) -> tuple[grpc.aio.Server, int, FakeMonitoring]:
    fake = FakeMonitoring()
    server = grpc.aio.server()
    mpb_grpc.add_MonitoringServiceServicer_to_server(fake, server)
    bound = server.add_insecure_port(f"127.0.0.1:{port}")
    await server.start()
    return server, bound, fake


@SQLITE_ONLY
async def test_logs_arrive_and_survive_a_monitoring_outage(
    start_serving: StartServing,
    registry: Registry,
    iris_registered: list[int],
    iris_models: list[Trained],
) -> None:
    server, port, fake = await start_fake()
    try:
        async with start_serving(
            registry.address,
            deployments=["iris@production"],
            monitoring_target=f"127.0.0.1:{port}",
            prediction_log_batch=5,
        ) as serving:
            for i in range(5):
                await serving.infer(matrix_request("iris", ROWS, request_id=f"a{i}", raw=True))
            await wait_until(lambda: len(fake.records) == 5, "the batch of five records")
            record = fake.records[0]
            assert record.request_id == "a0"
            assert record.model_version == "models/iris/versions/1"
            assert record.alias == "production"
            assert record.role == prediction_record_pb2.TRAFFIC_ROLE_PRIMARY
            assert record.row_count == len(ROWS)
            first = np.frombuffer(record.inputs[0].raw_contents, dtype="<f8")
            assert np.array_equal(first, ROWS[:, 0])
            predict = next(t for t in record.outputs if t.name == "predict")
            assert np.array_equal(
                np.frombuffer(predict.raw_contents, dtype="<i8"),
                iris_models[0].model().predict(ROWS),
            )

            # Monitoring goes away: inference does not notice; logs are dropped and counted.
            await server.stop(grace=None)
            for i in range(10):
                reply = await serving.infer(matrix_request("iris", ROWS, request_id=f"b{i}"))
                assert len(output(reply, "predict")) == len(ROWS)
            log_metrics = serving.collector("slipway_serving_prediction_logs_dropped")
            await wait_until(
                lambda: (
                    sum(
                        s.value
                        for f in log_metrics.collect()
                        for s in f.samples
                        if s.name.endswith("_total")
                    )
                    >= 10
                ),
                "ten dropped logs to be counted",
            )

            # It comes back on the same port: sending resumes by itself.
            server, _, fake = await start_fake(port)
            sent = 0

            async def resumed() -> bool:
                # Traffic while the channel reconnects (gRPC backs off up to seconds).
                nonlocal sent
                await serving.infer(matrix_request("iris", ROWS, request_id=f"c{sent}"))
                sent += 1
                return bool(fake.records)

            await wait_until(resumed, "sending to resume", within=30)
            assert all(r.request_id.startswith("c") for r in fake.records)
            assert fake.batches[0].dropped_record_count >= 10  # the gap is reported
    finally:
        await server.stop(grace=None)


async def test_stopping_sends_what_is_queued() -> None:
    from slipway.core.peers import PeerTarget
    from slipway.services.serving.domain.served import InputSpec, OutputSpec, VersionInfo
    from slipway.services.serving.sinks.prediction_log import PredictionLog

    server, port, fake = await start_fake()
    try:
        sink = PredictionLog(PeerTarget(f"127.0.0.1:{port}"), batch_size=100, flush_seconds=60.0)
        info = VersionInfo(
            "m",
            1,
            (InputSpec("a", "FP64"), InputSpec("b", "BYTES")),
            (OutputSpec("predict", "INT64", (-1,)),),
            "0" * 64,
            "skops",
            {},
        )
        sink.start()
        rows = np.array([[1.0, "x"], [2.0, None]], dtype=object)
        for i in range(3):
            sink.record(
                info,
                alias="production",
                role="primary",
                request_id=f"s{i}",
                rows=rows,
                answers={"predict": np.array([0, 1])},
            )
        await sink.stop()  # long before the 60 s flush
        assert [r.request_id for r in fake.records] == ["s0", "s1", "s2"]
        colour = fake.records[0].inputs[1]
        assert colour.missing_mask == bytes([0, 1])  # the missing category is marked
    finally:
        await server.stop(grace=None)
