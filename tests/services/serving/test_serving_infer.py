"""Inference through the Open Inference Protocol: metadata from the signature, typed and raw
tensors, matrix and per-feature inputs, requested outputs, and answers equal to scikit-learn's."""

from __future__ import annotations

import json

import grpc
import numpy as np
import pytest
from sklearn.datasets import load_iris

from slipway.inference.v2 import grpc_service_pb2 as pb
from support.serving import Serving, Trained, matrix_request, output

# Serving does not depend on the database beyond its audit log: SQLite keeps the folder fast.
pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

ROWS = load_iris().data[::7]  # 22 rows of all three classes


async def test_server_and_model_metadata_come_from_the_signature(serving: Serving) -> None:
    assert (await serving.stub.ServerLive(pb.ServerLiveRequest(), metadata=serving.as_())).live
    assert (await serving.stub.ServerReady(pb.ServerReadyRequest(), metadata=serving.as_())).ready
    meta = await serving.stub.ModelMetadata(
        pb.ModelMetadataRequest(name="iris"), metadata=serving.as_()
    )
    assert meta.name == "iris"
    assert list(meta.versions) == ["1"]
    assert [i.name for i in meta.inputs] == load_iris().feature_names
    assert {i.datatype for i in meta.inputs} == {"FP64"}
    assert [(o.name, o.datatype, list(o.shape)) for o in meta.outputs] == [
        ("predict", "INT64", [-1]),
        ("predict_proba", "FP64", [-1, 3]),
    ]
    ready = await serving.stub.ModelReady(pb.ModelReadyRequest(name="iris"), metadata=serving.as_())
    assert ready.ready
    unknown = await serving.stub.ModelReady(
        pb.ModelReadyRequest(name="nope"), metadata=serving.as_()
    )
    assert not unknown.ready


@pytest.mark.parametrize(
    ("datatype", "raw"),
    [("FP64", False), ("FP64", True), ("FP32", True), ("FP32", False), ("INT64", False)],
)
async def test_matrix_inputs_match_scikit_learn(
    serving: Serving, iris_models: list[Trained], datatype: str, raw: bool
) -> None:
    rows = ROWS if datatype != "INT64" else np.round(ROWS)
    reply = await serving.infer(
        matrix_request("iris", rows, datatype=datatype, raw=raw, request_id="abc")
    )
    assert reply.model_version == "1"
    assert reply.id == "abc"
    assert reply.parameters["served_version"].string_param == "models/iris/versions/1"
    assert bool(reply.raw_output_contents) == raw  # raw in, raw out
    model = iris_models[0].model()
    cast = rows.astype(np.float32).astype(np.float64) if datatype == "FP32" else rows
    assert np.array_equal(output(reply, "predict"), model.predict(cast))
    assert np.allclose(output(reply, "predict_proba"), model.predict_proba(cast))
    proba = next(o for o in reply.outputs if o.name == "predict_proba")
    assert json.loads(proba.parameters["class_labels"].string_param) == [0, 1, 2]


async def test_one_tensor_per_feature(serving: Serving, iris_models: list[Trained]) -> None:
    request = pb.ModelInferRequest(model_name="iris")
    for j, name in reversed(list(enumerate(load_iris().feature_names))):  # any order
        column = np.ascontiguousarray(ROWS[:, j])
        request.inputs.add(name=name, datatype="FP64", shape=[len(column)])
        request.raw_input_contents.append(column.tobytes())
    request.outputs.add(name="predict")
    reply = await serving.infer(request)
    assert [o.name for o in reply.outputs] == ["predict"]  # only what was asked for
    assert np.array_equal(output(reply, "predict"), iris_models[0].model().predict(ROWS))
    assert reply.id  # always set, generated when the request had none


async def test_pinned_and_unknown_versions(serving: Serving) -> None:
    pinned = await serving.infer(matrix_request("iris", ROWS, version="1"))
    assert pinned.model_version == "1"
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await serving.infer(matrix_request("iris", ROWS, version="2"))  # not loaded here
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await serving.infer(matrix_request("nope", ROWS))
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await serving.stub.ModelMetadata(
            pb.ModelMetadataRequest(name="nope"), metadata=serving.as_()
        )
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND
