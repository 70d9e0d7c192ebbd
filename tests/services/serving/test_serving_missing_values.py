"""Missing values: which models take NaN is asked of the fitted model, recorded in the version's
signature at training, and what serving does agrees with it: a random forest (scikit-learn
1.4+) answers rows with NaN; a scaled logistic regression without an imputer refuses them with
INVALID_ARGUMENT NON_FINITE_INPUT. Missing text travels as an element the input's
``missing_elements`` parameter names: a model that imputes it predicts, one whose encoder
cannot take it refuses it with MISSING_VALUE_REFUSED."""

from __future__ import annotations

import json
from pathlib import Path

import grpc
import numpy as np
import pytest

from slipway.client.tensors import infer_request
from slipway.inference.v2 import grpc_service_pb2 as infer_pb
from slipway.services.training.engine import spec as s
from support.registry import Registry, error_reason
from support.serving import (
    StartServing,
    Trained,
    iris_spec,
    matrix_request,
    output,
    register,
    set_alias,
    train_locally,
)

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

WITH_NAN = np.array([[np.nan, 3.5, 1.4, 0.2], [6.2, np.nan, 4.3, 1.3]])


def forest_spec() -> s.JobSpec:
    return s.JobSpec(
        task="classification",
        estimator=s.Estimator("RandomForestClassifier", {"n_estimators": 10}),
        dataset=s.DatasetSpec(bundled="iris"),
        split=s.SplitSpec(seed=0, stratify=True),
    )


@pytest.fixture
def forest(tmp_path: Path, data_root: Path) -> Trained:
    return train_locally(forest_spec(), tmp_path / "forest", data_root)


@pytest.fixture
def linear(tmp_path: Path, data_root: Path) -> Trained:
    return train_locally(iris_spec(), tmp_path / "linear", data_root)


async def test_the_signature_says_which_model_takes_nan_and_serving_agrees(
    registry: Registry,
    service_token_file: Path,
    start_serving: StartServing,
    forest: Trained,
    linear: Trained,
) -> None:
    forest_number = await register(registry, service_token_file, "forest", forest)
    linear_number = await register(registry, service_token_file, "linear", linear)
    forest_version = await registry.get_version(f"models/forest/versions/{forest_number}")
    linear_version = await registry.get_version(f"models/linear/versions/{linear_number}")
    assert forest_version.signature.accepts_missing_values is True
    assert linear_version.signature.accepts_missing_values is False

    await set_alias(registry, "forest", "production", forest_number)
    await set_alias(registry, "linear", "production", linear_number)
    async with start_serving(
        registry.address, deployments=["forest@production", "linear@production"]
    ) as serving:
        for model_id, numbers in (("forest", "accepted"), ("linear", "refused")):
            call = serving.stub.ModelMetadata(
                infer_pb.ModelMetadataRequest(name=model_id), metadata=serving.as_()
            )
            headers = dict(await call.initial_metadata())
            await call
            assert headers["slipway-missing-numbers"] == numbers
            assert "slipway-missing-text" not in headers  # no text input
        answered = await serving.infer(matrix_request("forest", WITH_NAN))
        assert len(output(answered, "predict")) == 2
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await serving.infer(matrix_request("linear", WITH_NAN))
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert error_reason(refused.value) == "NON_FINITE_INPUT"
    assert "cannot take" in (refused.value.details() or "")


# --- missing text: the input's ``missing_elements`` parameter ---------------------------------


def _colour_spec(colour: s.EstimatorSpec) -> s.JobSpec:
    """The fruit pipeline (numbers imputed and scaled) with ``colour`` encoded by ``colour``."""
    numbers = s.Pipeline(
        (
            s.PipelineStep("impute", s.Estimator("SimpleImputer")),
            s.PipelineStep("scale", s.Estimator("StandardScaler")),
        )
    )
    columns = s.ColumnTransformer(
        (
            s.ColumnEntry("numbers", numbers, ("size", "weight")),
            s.ColumnEntry("colour", colour, ("colour",)),
        )
    )
    return s.JobSpec(
        task="classification",
        estimator=s.Pipeline(
            (
                s.PipelineStep("prepare", columns),
                s.PipelineStep("model", s.Estimator("LogisticRegression")),
            )
        ),
        dataset=s.DatasetSpec(path="fruit.csv", target_column="label"),
    )


IMPUTED_COLOUR = s.Pipeline(
    (
        s.PipelineStep("impute", s.Estimator("SimpleImputer", {"strategy": "most_frequent"})),
        s.PipelineStep("encode", s.Estimator("OneHotEncoder")),
    )
)
STRICT_COLOUR = s.Estimator("OneHotEncoder")  # refuses a category it has not seen, missing too


def _fruit_request(
    model: str, colours: list[str], missing_colours: list[int], sizes: list[float]
) -> infer_pb.ModelInferRequest:
    """Three per-feature tensors; ``missing_colours`` names the missing colour elements."""
    request = infer_pb.ModelInferRequest(model_name=model)
    shape = [len(colours)]
    size = request.inputs.add(name="size", datatype="FP64", shape=shape)
    size.contents.fp64_contents.extend(sizes)
    weight = request.inputs.add(name="weight", datatype="FP64", shape=shape)
    weight.contents.fp64_contents.extend([50.0] * len(colours))
    colour = request.inputs.add(name="colour", datatype="BYTES", shape=shape)
    colour.contents.bytes_contents.extend(c.encode() for c in colours)
    if missing_colours:
        colour.parameters["missing_elements"].string_param = json.dumps(missing_colours)
    return request


async def test_missing_text_is_predicted_with_by_an_imputer_and_refused_without_one(
    registry: Registry,
    service_token_file: Path,
    start_serving: StartServing,
    tmp_path: Path,
    data_root: Path,
) -> None:
    imputed = train_locally(_colour_spec(IMPUTED_COLOUR), tmp_path / "imputed", data_root)
    strict = train_locally(_colour_spec(STRICT_COLOUR), tmp_path / "strict", data_root)
    imputed_number = await register(registry, service_token_file, "imputed", imputed)
    strict_number = await register(registry, service_token_file, "strict", strict)
    imputed_version = await registry.get_version(f"models/imputed/versions/{imputed_number}")
    strict_version = await registry.get_version(f"models/strict/versions/{strict_number}")
    # Both impute numbers; only one takes a missing colour: the signature says "every kind".
    assert imputed_version.signature.accepts_missing_values is True
    assert strict_version.signature.accepts_missing_values is False

    await set_alias(registry, "imputed", "production", imputed_number)
    await set_alias(registry, "strict", "production", strict_number)
    colours = ["red", "", "blue", ""]
    async with start_serving(
        registry.address, deployments=["imputed@production", "strict@production"]
    ) as serving:
        # ModelMetadata says which model takes a missing number, which a missing text (the
        # protocol's response has no parameters: its headers); ServerMetadata names the
        # missing_elements extension.
        server = await serving.stub.ServerMetadata(
            infer_pb.ServerMetadataRequest(), metadata=serving.as_()
        )
        assert "missing_elements" in server.extensions
        for model_id, text in (("imputed", "accepted"), ("strict", "refused")):
            call = serving.stub.ModelMetadata(
                infer_pb.ModelMetadataRequest(name=model_id), metadata=serving.as_()
            )
            headers = dict(await call.initial_metadata())
            await call
            assert headers["slipway-missing-numbers"] == "accepted"
            assert headers["slipway-missing-text"] == text
        answered = await serving.infer(
            _fruit_request("imputed", colours, [1, 3], [10.0, np.nan, 9.0, 12.0])
        )
        # A missing colour is imputed as the most frequent one, not read as the category "".
        proba = output(answered, "predict_proba")
        assert proba.shape == (4, 2)
        model = imputed.model()
        expected = model.predict_proba(
            np.array(
                [
                    [10.0, 50.0, "red"],
                    [np.nan, 50.0, np.nan],
                    [9.0, 50.0, "blue"],
                    [12.0, 50.0, np.nan],
                ],
                dtype=object,
            )
        )
        np.testing.assert_allclose(proba, expected)
        # The same rows as one [N, F] BYTES matrix from the Python client's request helper,
        # None and NaN for the missing values: the same answer.
        matrix = np.array(
            [[10.0, 50.0, "red"], [np.nan, 50.0, None], [9.0, 50.0, "blue"], [12.0, 50.0, None]],
            dtype=object,
        )
        request = infer_request("imputed", matrix, outputs=["predict_proba"])
        assert request.inputs[0].parameters["missing_elements"].string_param == "[3, 5, 11]"
        np.testing.assert_allclose(output(await serving.infer(request), "predict_proba"), expected)

        # The strict model still takes NaN numbers (its numbers are imputed) ...
        numbers_only = await serving.infer(
            _fruit_request("strict", ["red", "green"], [], [np.nan, 9.0])
        )
        assert len(output(numbers_only, "predict")) == 2
        # ... but refuses a missing colour, naming the input.
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await serving.infer(_fruit_request("strict", colours, [1, 3], [10.0] * 4))
        # A position outside the tensor is a malformed request, whatever the model.
        with pytest.raises(grpc.aio.AioRpcError) as outside:
            await serving.infer(_fruit_request("imputed", colours, [4], [10.0] * 4))
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert error_reason(refused.value) == "MISSING_VALUE_REFUSED"
    assert "colour" in (refused.value.details() or "")
    assert outside.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert error_reason(outside.value) == "INVALID_CONTENTS"
