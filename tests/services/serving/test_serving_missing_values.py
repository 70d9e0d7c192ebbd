"""Missing values: which models take NaN is asked of the fitted model, recorded in the version's
signature at training, and what serving does agrees with it: a random forest (scikit-learn
1.4+) answers rows with NaN; a scaled logistic regression without an imputer refuses them with
INVALID_ARGUMENT NON_FINITE_INPUT."""

from __future__ import annotations

from pathlib import Path

import grpc
import numpy as np
import pytest

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
        answered = await serving.infer(matrix_request("forest", WITH_NAN))
        assert len(output(answered, "predict")) == 2
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await serving.infer(matrix_request("linear", WITH_NAN))
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert error_reason(refused.value) == "NON_FINITE_INPUT"
    assert "cannot take" in (refused.value.details() or "")
