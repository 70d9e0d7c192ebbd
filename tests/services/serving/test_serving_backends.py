"""The backend that answers: a version's verified ONNX form in ONNX Runtime, or scikit-learn.

With ``--backend auto`` the ONNX form serves once it gives scikit-learn's labels (and
probabilities within tolerance) on the version's reference rows; a model without a form, or
whose form disagrees, is served by scikit-learn and the index says why. ``sklearn`` and
``onnx`` force one; a forced onnx refuses a version without a verified form. Answers through
gRPC equal scikit-learn's labels whichever backend gives them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import grpc
import numpy as np
import pytest
from sklearn.datasets import load_iris

from slipway.inference.v2 import grpc_service_pb2 as pb
from slipway.ml import compiled
from slipway.services.training.engine import spec as s
from support.registry import Registry
from support.serving import (
    Serving,
    StartServing,
    Trained,
    fruit_spec,
    iris_spec,
    matrix_request,
    output,
    register,
    train_locally,
)
from support.waiting import wait_until

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

ROWS = load_iris().data


def model_spec(name: str, params: dict[str, Any] | None = None) -> s.JobSpec:
    return s.JobSpec(
        task="classification",
        estimator=s.Estimator(name, params or {}),
        dataset=s.DatasetSpec(bundled="iris"),
        split=s.SplitSpec(seed=0, stratify=True),
    )


async def index_of(serving: Serving) -> dict[str, tuple[str, str, str]]:
    index = await serving.stub.RepositoryIndex(
        pb.RepositoryIndexRequest(), metadata=serving.as_("admin")
    )
    return {m.name: (m.version, m.state, m.reason) for m in index.models}


async def platform_of(serving: Serving, model: str) -> str:
    meta = await serving.stub.ModelMetadata(
        pb.ModelMetadataRequest(name=model), metadata=serving.as_()
    )
    return str(meta.platform)


def backend_gauge(serving: Serving, target: str) -> dict[str, float]:
    values: dict[str, float] = {}
    for collector in serving.app.collectors:
        for metric in collector.collect():
            if metric.name != "slipway_serving_backend_info":
                continue
            for sample in metric.samples:
                if sample.labels["target"] == target:
                    values[sample.labels["backend"]] = sample.value
    return values


async def serve_one(
    start_serving: StartServing,
    registry: Registry,
    token_file: Path,
    model: str,
    trained: Trained,
    **settings: Any,
) -> Any:
    await register(registry, token_file, model, trained, alias="production")
    return start_serving(registry.address, deployments=[model], **settings)


@pytest.mark.parametrize(
    ("estimator", "params"),
    [
        ("pipeline", None),  # scaler + logistic regression: float64 inputs
        ("RandomForestClassifier", {"n_estimators": 30, "max_depth": 6}),
    ],
)
async def test_auto_serves_a_verified_onnx_form_with_scikit_learns_labels(
    start_serving: StartServing,
    registry: Registry,
    service_token_file: Path,
    tmp_path: Path,
    data_root: Path,
    estimator: str,
    params: dict[str, Any] | None,
) -> None:
    spec = iris_spec() if estimator == "pipeline" else model_spec(estimator, params)
    trained = train_locally(spec, tmp_path / "model", data_root)
    async with await serve_one(
        start_serving, registry, service_token_file, "m", trained
    ) as serving:
        _, state, reason = (await index_of(serving))["m@production"]
        assert state == "READY"
        assert reason.startswith("onnx ("), reason
        assert "verified on" in reason
        assert await platform_of(serving, "m") == "onnxruntime_onnx"
        assert backend_gauge(serving, "m@production") == {"onnx": 1.0, "sklearn": 0.0}
        model = trained.model()
        for raw in (False, True):
            reply = await serving.infer(matrix_request("m", ROWS, raw=raw))
            assert np.array_equal(output(reply, "predict"), model.predict(ROWS))
            assert np.abs(output(reply, "predict_proba") - model.predict_proba(ROWS)).max() <= (
                compiled.PROBABILITY_TOLERANCE
            )


async def test_a_column_transformer_pipeline_is_served_by_onnx(
    start_serving: StartServing,
    registry: Registry,
    service_token_file: Path,
    tmp_path: Path,
    data_root: Path,
) -> None:
    """One-hot + imputed and scaled numbers: mixed inputs, one ONNX input per column. A row
    with a missing text value is scikit-learn's to answer (an ONNX string has no missing)."""
    trained = train_locally(fruit_spec(), tmp_path / "fruit", data_root)
    async with await serve_one(
        start_serving, registry, service_token_file, "fruit", trained
    ) as serving:
        _, state, reason = (await index_of(serving))["fruit@production"]
        assert state == "READY"
        assert reason.startswith("onnx ("), reason
        rng = np.random.default_rng(3)
        count = 200
        sizes = rng.normal(10, 2, count)
        sizes[::17] = np.nan  # the imputer fills them, in both backends
        weights = rng.normal(50, 10, count)
        colours = rng.choice(["red", "green", "blue", "purple"], count)  # purple: unseen
        request = pb.ModelInferRequest(model_name="fruit")
        request.inputs.add(name="size", datatype="FP64", shape=[count]).contents.fp64_contents[
            :
        ] = sizes.tolist()
        request.inputs.add(
            name="weight", datatype="FP64", shape=[count]
        ).contents.fp64_contents.extend(weights.tolist())
        colour = request.inputs.add(name="colour", datatype="BYTES", shape=[count])
        colour.contents.bytes_contents.extend(c.encode() for c in colours)
        reply = await serving.infer(request)
        rows = np.empty((count, 3), dtype=object)
        rows[:, 0], rows[:, 1], rows[:, 2] = sizes, weights, colours
        model = trained.model()
        assert list(output(reply, "predict")) == list(model.predict(rows))
        assert np.abs(output(reply, "predict_proba") - model.predict_proba(rows)).max() <= 1e-5
        # A missing colour goes to scikit-learn, which the encoder's handle_unknown allows.
        colour.parameters["missing_elements"].string_param = "[0, 5]"
        reply = await serving.infer(request)
        rows[[0, 5], 2] = np.nan
        assert list(output(reply, "predict")) == list(model.predict(rows))


async def test_a_model_without_an_onnx_form_falls_back_with_the_reason(
    start_serving: StartServing,
    registry: Registry,
    service_token_file: Path,
    tmp_path: Path,
    data_root: Path,
) -> None:
    trained = train_locally(
        model_spec("DummyClassifier", {"strategy": "prior"}), tmp_path / "dummy", data_root
    )
    async with await serve_one(
        start_serving, registry, service_token_file, "dummy", trained
    ) as serving:
        _, state, reason = (await index_of(serving))["dummy@production"]
        assert state == "READY"
        assert reason.startswith("scikit-learn: float64 inputs: no ONNX form"), reason
        assert "DummyClassifier" in reason
        assert await platform_of(serving, "dummy") == "sklearn"
        assert backend_gauge(serving, "dummy@production") == {"onnx": 0.0, "sklearn": 1.0}
        reply = await serving.infer(matrix_request("dummy", ROWS[:10]))
        assert np.array_equal(output(reply, "predict"), trained.model().predict(ROWS[:10]))


async def test_hist_gradient_boosting_is_verified_like_any_model(
    start_serving: StartServing,
    registry: Registry,
    service_token_file: Path,
    tmp_path: Path,
    data_root: Path,
) -> None:
    """skl2onnx converts it with float32 inputs (ONNX Runtime has no float64 tree kernels);
    it serves only if that form gives scikit-learn's labels, and answers them either way."""
    trained = train_locally(
        model_spec("HistGradientBoostingClassifier", {"max_iter": 20}), tmp_path / "hgb", data_root
    )
    async with await serve_one(
        start_serving, registry, service_token_file, "hgb", trained
    ) as serving:
        _, state, reason = (await index_of(serving))["hgb@production"]
        assert state == "READY"
        assert reason.startswith(("onnx (float32 inputs)", "scikit-learn: ")), reason
        reply = await serving.infer(matrix_request("hgb", ROWS))
        assert np.array_equal(output(reply, "predict"), trained.model().predict(ROWS))


async def test_forced_sklearn(
    start_serving: StartServing,
    registry: Registry,
    service_token_file: Path,
    tmp_path: Path,
    data_root: Path,
) -> None:
    trained = train_locally(iris_spec(), tmp_path / "iris", data_root)
    async with await serve_one(
        start_serving, registry, service_token_file, "iris", trained, backend="sklearn"
    ) as serving:
        _, _, reason = (await index_of(serving))["iris@production"]
        assert reason == "scikit-learn, as --backend sklearn asks"
        assert await platform_of(serving, "iris") == "sklearn"
        reply = await serving.infer(matrix_request("iris", ROWS))
        model = trained.model()
        assert np.array_equal(output(reply, "predict"), model.predict(ROWS))
        assert np.allclose(output(reply, "predict_proba"), model.predict_proba(ROWS), 0, 1e-15)


@pytest.fixture
def disagreeing_converter(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, data_root: Path) -> None:
    """Every ONNX form built is that of another iris model (C=0.01): a tampered conversion."""
    other = train_locally(iris_spec(seed=4, c=0.01), tmp_path / "other", data_root).model()
    convert = compiled.convert

    def tampered(model: Any, columns: Any, precision: str) -> bytes:
        return convert(other, columns, precision)

    monkeypatch.setattr(compiled, "convert", tampered)


async def test_an_onnx_form_that_disagrees_is_refused(
    start_serving: StartServing,
    registry: Registry,
    service_token_file: Path,
    tmp_path: Path,
    data_root: Path,
    disagreeing_converter: None,
) -> None:
    trained = train_locally(iris_spec(), tmp_path / "iris", data_root)
    async with await serve_one(
        start_serving, registry, service_token_file, "iris", trained
    ) as serving:
        _, state, reason = (await index_of(serving))["iris@production"]
        assert state == "READY"
        assert reason.startswith("scikit-learn: float64 inputs: the ONNX form's"), reason
        assert "reference rows" in reason
        reply = await serving.infer(matrix_request("iris", ROWS))
        assert np.array_equal(output(reply, "predict"), trained.model().predict(ROWS))
    # Forced onnx: the version is not served at all.
    async with start_serving(
        registry.address,
        deployments=["iris"],
        backend="onnx",
        wait_ready=False,
        cache_dir=tmp_path / "another-cache",
    ) as serving:

        async def refused() -> str:
            return (await index_of(serving))["iris@production"][2]

        await wait_until(refused, "serving to refuse the version")
        version, state, reason = (await index_of(serving))["iris@production"]
        assert (version, state) == ("", "UNAVAILABLE")
        assert "--backend onnx, but float64 inputs: the ONNX form's" in reason
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await serving.infer(matrix_request("iris", ROWS[:2]))
        assert caught.value.code() == grpc.StatusCode.UNAVAILABLE


async def test_the_cached_form_is_checked_like_every_artifact(
    start_serving: StartServing,
    registry: Registry,
    service_token_file: Path,
    tmp_path: Path,
    data_root: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A form is built once per cache; a stored form whose bytes changed is built again."""
    trained = train_locally(iris_spec(), tmp_path / "iris", data_root)
    cache = tmp_path / "cache"
    async with await serve_one(
        start_serving, registry, service_token_file, "iris", trained, cache_dir=cache
    ):
        pass
    stored = list((cache / "sha256").glob("*/*"))
    onnx_files = [
        p for p in stored if p.read_bytes()[:2] != b"PK" and b"skl2onnx" in p.read_bytes()
    ]
    assert len(onnx_files) == 1
    onnx_files[0].write_bytes(onnx_files[0].read_bytes()[:-1] + b"\x00")  # corrupted
    built: list[int] = []
    convert = compiled.convert

    def counting(model: Any, columns: Any, precision: str) -> bytes:
        built.append(1)
        return convert(model, columns, precision)

    monkeypatch.setattr(compiled, "convert", counting)
    for _ in range(2):
        async with start_serving(
            registry.address, deployments=["iris"], cache_dir=cache
        ) as serving:
            assert (await index_of(serving))["iris@production"][2].startswith("onnx (")
    assert built == [1]  # rebuilt once after the corruption, then reused
