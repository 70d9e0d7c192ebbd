"""Serving's access log: one successful ModelInfer call in a hundred by default, every failing
call and every other method always."""

from __future__ import annotations

import json
from typing import Any

import grpc
import numpy as np
import pytest

from slipway.core.logs import configure_logging
from slipway.inference.v2 import grpc_service_pb2 as pb
from support.registry import Registry
from support.serving import Serving, StartServing, matrix_request

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

INFER = "/inference.GRPCInferenceService/ModelInfer"
ROW = np.array([[5.1, 3.5, 1.4, 0.2]])


def rpc_lines(capsys: Any) -> list[dict[str, Any]]:
    err = capsys.readouterr().err
    lines = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    return [line for line in lines if line.get("event") == "rpc"]


async def exercise(serving: Serving, successes: int) -> None:
    for _ in range(successes):
        await serving.infer(matrix_request("iris", ROW))
    for name in ("nope", "iris"):  # an unknown model; a row of the wrong width
        with pytest.raises(grpc.aio.AioRpcError):
            await serving.infer(matrix_request(name, np.zeros((1, 3 if name == "iris" else 4))))
    for _ in range(3):
        await serving.stub.ModelMetadata(
            pb.ModelMetadataRequest(name="iris"), metadata=serving.as_()
        )


async def test_by_default_successful_inference_is_sampled(serving: Serving, capsys: Any) -> None:
    configure_logging("json", "info", service="serving")
    capsys.readouterr()
    await exercise(serving, 200)
    lines = rpc_lines(capsys)
    ok = [line for line in lines if line["method"] == INFER and line["code"] == "OK"]
    assert [line["sample_rate"] for line in ok] == [0.01, 0.01]
    failed = [line for line in lines if line["method"] == INFER and line["code"] != "OK"]
    assert [(line["code"], line["sample_rate"]) for line in failed] == [
        ("NOT_FOUND", 1.0),
        ("INVALID_ARGUMENT", 1.0),
    ]
    other = [line for line in lines if line["method"] != INFER]
    assert [(line["method"].rsplit("/", 1)[1], line["sample_rate"]) for line in other] == [
        ("ModelMetadata", 1.0)
    ] * 3


async def test_rate_one_logs_every_inference(
    start_serving: StartServing, registry: Registry, iris_registered: list[int], capsys: Any
) -> None:
    async with start_serving(
        registry.address, deployments=["iris@production"], access_log_sample_rate=1.0
    ) as serving:
        configure_logging("json", "info", service="serving")
        capsys.readouterr()
        await exercise(serving, 20)
    lines = [line for line in rpc_lines(capsys) if line["method"] == INFER]
    assert [(line["code"], line["sample_rate"]) for line in lines] == [("OK", 1.0)] * 20 + [
        ("NOT_FOUND", 1.0),
        ("INVALID_ARGUMENT", 1.0),
    ]
