"""Traffic policies (canary, shadow), a categorical model, and the repository extension."""

from __future__ import annotations

from pathlib import Path

import grpc
import numpy as np
import pytest
from sklearn.datasets import load_iris

from slipway.inference.v2 import grpc_service_pb2 as pb
from support.registry import Registry
from support.serving import (
    Serving,
    StartServing,
    fruit_spec,
    matrix_request,
    output,
    register,
    set_alias,
    train_locally,
)
from support.waiting import wait_until

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

ROWS = load_iris().data[::9]


async def test_canary_sends_its_share_sticky_per_request_id(
    start_serving: StartServing, registry: Registry, iris_registered: list[int]
) -> None:
    await set_alias(registry, "iris", "challenger", iris_registered[1])
    async with start_serving(
        registry.address, deployments=["iris@production"], canary=["iris=challenger:25"]
    ) as serving:
        await serving.wait_loaded("iris", iris_registered[1])  # it loads in the background
        versions = []
        for i in range(200):
            reply = await serving.infer(matrix_request("iris", ROWS, request_id=f"r{i}"))
            versions.append(reply.model_version)
            again = await serving.infer(matrix_request("iris", ROWS, request_id=f"r{i}"))
            assert again.model_version == reply.model_version  # sticky
        # The bucket is a hash of the request id, so the share is the same on every run; the
        # bounds are still those of a fair 25 % coin over 200 requests (about 4 standard
        # deviations of 3 %), so a change of the hash cannot make this flaky either.
        share = versions.count(str(iris_registered[1])) / len(versions)
        assert 0.12 < share < 0.40, share
        assert set(versions) == {"1", str(iris_registered[1])}


async def test_shadow_scores_every_request_off_the_response_path(
    start_serving: StartServing, registry: Registry, iris_registered: list[int]
) -> None:
    await set_alias(registry, "iris", "challenger", iris_registered[2])
    async with start_serving(
        registry.address, deployments=["iris@production"], shadow=["iris=challenger"]
    ) as serving:
        await serving.wait_loaded("iris", iris_registered[2])
        for _ in range(20):
            reply = await serving.infer(matrix_request("iris", ROWS))
            assert reply.model_version == "1"  # callers get the deployed version's answer
        metrics = serving.collector("slipway_serving_shadow_predictions")

        def scored() -> float:
            return sum(
                sample.value
                for family in metrics.collect()
                for sample in family.samples
                if sample.name.endswith("_total")
            )

        # Shadow scoring runs after each answer is sent: wait until all of it is counted.
        await wait_until(lambda: scored() >= 20 * len(ROWS), "the shadow to score every row")
        assert scored() == 20 * len(ROWS)  # every row of every request, agreed or not
        meta = await serving.stub.ModelMetadata(
            pb.ModelMetadataRequest(name="iris"), metadata=serving.as_()
        )
        assert list(meta.versions) == ["1", str(iris_registered[2])]
        pinned = await serving.infer(matrix_request("iris", ROWS, version=str(iris_registered[2])))
        assert pinned.model_version == str(iris_registered[2])


async def test_a_model_with_a_categorical_input(
    start_serving: StartServing,
    registry: Registry,
    service_token_file: Path,
    tmp_path: Path,
    data_root: Path,
) -> None:
    trained = train_locally(fruit_spec(), tmp_path / "fruit", data_root)
    await register(registry, service_token_file, "fruit", trained, alias="production")
    async with start_serving(registry.address, deployments=["fruit"]) as serving:
        meta = await serving.stub.ModelMetadata(
            pb.ModelMetadataRequest(name="fruit"), metadata=serving.as_()
        )
        assert {i.name: i.datatype for i in meta.inputs} == {
            "size": "FP64",
            "weight": "FP64",
            "colour": "BYTES",
        }
        request = pb.ModelInferRequest(model_name="fruit")
        request.inputs.add(name="size", datatype="FP32", shape=[3]).contents.fp32_contents.extend(
            [9.0, 12.0, float("nan")]
        )  # the imputer fills NaN
        request.inputs.add(name="weight", datatype="FP64", shape=[3]).contents.fp64_contents.extend(
            [50.0, 40.0, 55.0]
        )
        request.inputs.add(
            name="colour", datatype="BYTES", shape=[3]
        ).contents.bytes_contents.extend([b"red", b"blue", b"purple"])  # unseen: ignored
        reply = await serving.infer(request)
        rows = np.array(
            [[9.0, 50.0, "red"], [12.0, 40.0, "blue"], [np.nan, 55.0, "purple"]], dtype=object
        )
        rows[:, :2] = rows[:, :2].astype(float)
        assert list(output(reply, "predict")) == list(trained.model().predict(rows))
        assert output(reply, "predict").dtype == object  # string labels come back as BYTES


async def test_repository_extension_is_for_admins(
    serving: Serving, registry: Registry, iris_registered: list[int]
) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await serving.stub.RepositoryIndex(
            pb.RepositoryIndexRequest(), metadata=serving.as_("developer")
        )
    assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED
    await set_alias(registry, "iris", "staging", iris_registered[2])
    await serving.stub.RepositoryModelUnload(
        pb.RepositoryModelUnloadRequest(model_name="iris"), metadata=serving.as_("admin")
    )
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await serving.infer(matrix_request("iris", ROWS))
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND
    await serving.stub.RepositoryModelLoad(
        pb.RepositoryModelLoadRequest(model_name="iris@staging"), metadata=serving.as_("admin")
    )
    reply = await serving.infer(matrix_request("iris", ROWS))
    assert reply.model_version == str(iris_registered[2])
    index = await serving.stub.RepositoryIndex(
        pb.RepositoryIndexRequest(ready=True), metadata=serving.as_("admin")
    )
    assert [(m.name, m.version, m.state) for m in index.models] == [
        ("iris@staging", str(iris_registered[2]), "READY")
    ]
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await serving.stub.RepositoryModelLoad(
            pb.RepositoryModelLoadRequest(model_name="ghost@nope"), metadata=serving.as_("admin")
        )
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND
    for hostile in ("iris@²", "iris@٣", "iris@0", "../iris", "iris@" + "9" * 19):
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await serving.stub.RepositoryModelLoad(
                pb.RepositoryModelLoadRequest(model_name=hostile), metadata=serving.as_("admin")
            )
        assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT, hostile
    events = await registry.audit_events(service="serving")
    assert [(e.action, e.principal.name) for e in events][-2:] == [
        ("serving.RepositoryModelUnload", "admin-user"),
        ("serving.RepositoryModelLoad", "admin-user"),
    ]
