"""What Triton's clients call besides ModelInfer: the model configuration, inference
statistics, streamed inference, and the names the repository index lists; through
tritonclient itself (in a child process: it registers the same proto package as ours) and
through our own stubs."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import pytest
from sklearn.datasets import load_iris

from slipway.inference.v2 import grpc_service_pb2 as pb
from slipway.services.serving.api.statistics import StatisticsCollector
from support.registry import Registry, error_reason
from support.serving import (
    WAIT_SECONDS,
    Serving,
    StartServing,
    Trained,
    matrix_request,
    output,
    set_alias,
)
from support.waiting import wait_until

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

SCRIPT = Path(__file__).parents[2] / "support" / "triton_extras.py"
ROWS = load_iris().data[::15]  # 10 rows
MAX_ROWS = 500


@pytest.fixture
async def serving_with_candidate(
    start_serving: StartServing, registry: Registry, iris_registered: list[int]
) -> AsyncIterator[Serving]:
    """`iris@production` (version 1) served, `iris@challenger` (version 2) shadowing it."""
    await set_alias(registry, "iris", "challenger", iris_registered[1])
    async with start_serving(
        registry.address,
        deployments=["iris@production"],
        shadow=["iris=challenger"],
        max_rows=MAX_ROWS,
    ) as running:

        async def candidate_ready() -> bool:  # asked without inference: no statistics yet
            reply = await running.stub.ModelReady(
                pb.ModelReadyRequest(name="iris", version=str(iris_registered[1])),
                metadata=running.as_(),
            )
            return bool(reply.ready)

        await wait_until(candidate_ready, "the challenger to load")
        yield running


def _int(value: object) -> int:
    return int(str(value)) if value is not None else 0  # protobuf JSON sends uint64 as text


async def test_tritonclient_reads_config_statistics_index_names_and_streams(
    serving_with_candidate: Serving,
    iris_models: list[Trained],
    tokens: dict[str, str],
    tmp_path: Path,
) -> None:
    rows_file = tmp_path / "rows.json"
    rows_file.write_text(json.dumps(ROWS.tolist()))
    serving = serving_with_candidate
    done = await asyncio.to_thread(
        subprocess.run,
        [
            sys.executable,
            str(SCRIPT),
            serving.address,
            tokens["service"],
            tokens["admin"],
            "iris",
            str(rows_file),
        ],
        capture_output=True,
        text=True,
        timeout=90,
    )
    assert done.returncode == 0, done.stderr
    got = json.loads(done.stdout)

    # Every name the index lists is ready and answers with the version the index names.
    listed = {entry["name"]: entry for entry in got["index"]}
    assert set(listed) == {"iris@production", "iris@challenger"}
    for entry in listed.values():
        assert entry["ready"], entry
        assert entry["answered_by"] == entry["version"], entry
        assert entry["metadata_name"] == entry["name"]
    assert listed["iris@production"]["version"] == "1"
    assert listed["iris@challenger"]["version"] == "2"

    config = got["config"]
    assert config["name"] == "iris"
    platforms = {"sklearn": "sklearn", "onnxruntime": "onnxruntime_onnx"}
    assert config["platform"] == platforms[config["backend"]]
    assert int(config["max_batch_size"]) == MAX_ROWS
    assert [(i["name"], i["data_type"], i["dims"]) for i in config["input"]] == [
        (name, "TYPE_FP64", ["1"]) for name in load_iris().feature_names
    ]
    assert [(o["name"], o["data_type"], o["dims"]) for o in config["output"]] == [
        ("predict", "TYPE_INT64", ["1"]),
        ("predict_proba", "TYPE_FP64", ["3"]),
    ]
    assert config["parameters"]["matrix_input_shape"]["string_value"] == "[-1, 4]"
    assert config["parameters"]["served_version"]["string_value"] == "models/iris/versions/1"

    # The stream answers in request order; the request to a missing model gets its error.
    model = iris_models[0].model()
    *answers, missing = got["stream"]
    assert [a["id"] for a in answers] == [f"s{i}" for i in range(len(answers))]
    assert [a["predict"][0] for a in answers] == model.predict(ROWS[: len(answers)]).tolist()
    assert "no-such-model" in missing["error"]

    # Version 1 answered the production name and the stream; version 2 its own name only
    # (its shadow scoring of the stream is not a request it answered).
    stats = {s["version"]: s for s in got["statistics"]["model_stats"]}
    assert set(stats) == {"1", "2"}
    one, two = stats["1"], stats["2"]
    assert _int(one["inference_stats"]["success"]["count"]) == 1 + len(answers)
    assert _int(one["inference_count"]) == len(ROWS) + len(answers)
    assert _int(two["inference_stats"]["success"]["count"]) == 1
    assert _int(two["inference_count"]) == len(ROWS)
    assert _int(two["execution_count"]) == 1
    for entry in (one, two):
        assert entry["name"] == "iris"
        assert _int(entry["last_inference"]) > 0
        assert _int(entry["inference_stats"]["success"]["ns"]) > 0
        assert _int(entry["inference_stats"]["compute_infer"]["ns"]) > 0
        assert "fail" not in entry["inference_stats"] or not _int(
            entry["inference_stats"]["fail"].get("count")
        )
    every = {(s["name"], s["version"]) for s in got["all_statistics"]["model_stats"]}
    assert every == {("iris", "1"), ("iris", "2")}


async def test_statistics_count_answers_failures_rows_and_model_calls(
    serving: Serving,
) -> None:
    fresh = await serving.stub.ModelStatistics(
        pb.ModelStatisticsRequest(name="iris"), metadata=serving.as_()
    )
    assert [(s.name, s.version, s.inference_stats.success.count) for s in fresh.model_stats] == [
        ("iris", "1", 0)
    ]

    for _ in range(3):
        await serving.infer(matrix_request("iris", ROWS[:5]))
    with pytest.raises(grpc.aio.AioRpcError):  # version 1 chosen, its rows refused
        await serving.infer(matrix_request("iris", ROWS[:5, :2]))
    with pytest.raises(grpc.aio.AioRpcError):  # no version chosen: counted nowhere
        await serving.infer(matrix_request("no-such-model", ROWS[:5]))

    reply = await serving.stub.ModelStatistics(
        pb.ModelStatisticsRequest(name="iris", version="1"), metadata=serving.as_()
    )
    [entry] = reply.model_stats
    stats = entry.inference_stats
    assert (entry.name, entry.version) == ("iris", "1")
    assert stats.success.count == 3
    assert stats.success.ns > 0
    assert stats.fail.count == 1
    assert stats.fail.ns > 0
    assert entry.inference_count == 15
    assert entry.execution_count == 3  # one after the other: no batching
    assert stats.compute_infer.count == 3
    assert stats.compute_infer.ns > 0
    assert stats.compute_input.count == 3
    assert stats.compute_output.count == 3
    assert stats.queue.count == 3
    assert [(b.batch_size, b.compute_infer.count) for b in entry.batch_stats] == [(5, 3)]
    assert entry.last_inference > 0

    by_name = await serving.stub.ModelStatistics(
        pb.ModelStatisticsRequest(name="iris@production"), metadata=serving.as_()
    )
    assert [s.version for s in by_name.model_stats] == ["1"]

    for name, version, reason in (
        ("no-such-model", "", "MODEL_NOT_FOUND"),
        ("iris", "7", "VERSION_NOT_FOUND"),
        ("iris", "one", "VERSION_NOT_FOUND"),
    ):
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await serving.stub.ModelStatistics(
                pb.ModelStatisticsRequest(name=name, version=version), metadata=serving.as_()
            )
        assert caught.value.code() == grpc.StatusCode.NOT_FOUND
        assert error_reason(caught.value) == reason

    # The same totals on /metrics.
    collector = next(c for c in serving.app.collectors if isinstance(c, StatisticsCollector))
    families = {family.name: family for family in collector.collect()}
    samples = {
        tuple(sorted(s.labels.items())): s.value
        for s in families["slipway_serving_inference_requests"].samples
    }
    assert samples[(("model", "iris"), ("outcome", "success"), ("version", "1"))] == 3
    assert samples[(("model", "iris"), ("outcome", "fail"), ("version", "1"))] == 1


async def test_index_names_answer_in_model_ready_infer_and_metadata(
    serving_with_candidate: Serving,
) -> None:
    serving = serving_with_candidate
    index = await serving.stub.RepositoryIndex(
        pb.RepositoryIndexRequest(), metadata=serving.as_("admin")
    )
    assert {(m.name, m.version) for m in index.models} == {
        ("iris@production", "1"),
        ("iris@challenger", "2"),
    }
    for listed in index.models:
        ready = await serving.stub.ModelReady(
            pb.ModelReadyRequest(name=listed.name), metadata=serving.as_()
        )
        assert ready.ready, listed.name
        reply = await serving.infer(matrix_request(listed.name, ROWS))
        assert reply.model_version == listed.version
        assert reply.model_name == listed.name
        metadata = await serving.stub.ModelMetadata(
            pb.ModelMetadataRequest(name=listed.name), metadata=serving.as_()
        )
        assert listed.version in metadata.versions

    for name, version in (("iris@nope", ""), ("iris@production", "2"), ("iris@@", "")):
        ready = await serving.stub.ModelReady(
            pb.ModelReadyRequest(name=name, version=version), metadata=serving.as_()
        )
        assert not ready.ready, (name, version)
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await serving.infer(matrix_request(name, ROWS, version=version))
        assert caught.value.code() == grpc.StatusCode.NOT_FOUND, (name, version)


async def test_metadata_names_the_single_matrix_form(serving: Serving) -> None:
    call = serving.stub.ModelMetadata(pb.ModelMetadataRequest(name="iris"), metadata=serving.as_())
    await call
    headers = dict(await call.initial_metadata())
    assert headers["slipway-matrix-input"] == "[-1, 4]"


async def test_a_stream_answers_in_order_and_carries_errors_in_band(
    serving: Serving, iris_models: list[Trained]
) -> None:
    requests = [matrix_request("iris", ROWS[i : i + 1], request_id=f"r{i}") for i in range(8)]
    requests.insert(3, matrix_request("iris", ROWS[:1, :2], request_id="bad"))
    requests.insert(6, matrix_request("no-such-model", ROWS[:1], request_id="missing"))

    async def sent() -> AsyncIterator[pb.ModelInferRequest]:
        for request in requests:
            yield request

    call = serving.stub.ModelStreamInfer(sent(), metadata=serving.as_(), timeout=WAIT_SECONDS)
    replies = [reply async for reply in call]
    assert len(replies) == len(requests)
    model = iris_models[0].model()
    for request, reply in zip(requests, replies, strict=True):
        if request.id in ("bad", "missing"):
            assert reply.error_message, request.id
            assert not reply.HasField("infer_response")
            continue
        assert not reply.error_message
        answer = reply.infer_response
        assert answer.id == request.id
        row = int(request.id[1:])
        assert output(answer, "predict").tolist() == model.predict(ROWS[row : row + 1]).tolist()
    assert "4" in replies[3].error_message  # the expected feature count
    assert "no-such-model" in replies[6].error_message


async def test_a_stream_needs_a_token(serving: Serving) -> None:
    async def one() -> AsyncIterator[pb.ModelInferRequest]:
        yield matrix_request("iris", ROWS[:1])

    with pytest.raises(grpc.aio.AioRpcError) as caught:
        async for _ in serving.stub.ModelStreamInfer(one(), timeout=WAIT_SECONDS):
            pass
    assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED
