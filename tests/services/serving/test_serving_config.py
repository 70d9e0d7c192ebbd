"""Configuration mistakes and refusals: bad deployments stop the process at start, a registry
that refuses the token is not mistaken for an outage, and the one-pass forest answers equal
scikit-learn's."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from sklearn.datasets import load_iris
from sklearn.ensemble import RandomForestClassifier

from slipway.inference.v2 import grpc_service_pb2 as pb
from slipway.services.serving.domain.served import (
    PREDICT,
    PREDICT_PROBA,
    InputSpec,
    OutputSpec,
    ServedModel,
    VersionInfo,
)
from support.registry import Registry
from support.serving import StartServing
from support.waiting import wait_until

SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.mark.slow  # starts a serving process per case
@pytest.mark.parametrize("deployment", ["lr@production,rf@Bad Alias", "a/b@production", "iris@07"])
def test_a_bad_deployment_is_a_configuration_error(tmp_path: Path, deployment: str) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "slipway.cli.main",
            "serving",
            "--home",
            str(tmp_path),
            "--grpc-address",
            "127.0.0.1:0",
            "--metrics-address",
            "off",
            "--insecure-no-auth",
            "--deployments",
            deployment,
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert "deployments" in done.stderr


@SQLITE_ONLY
async def test_a_registry_that_refuses_the_token_is_not_an_outage(
    start_serving: StartServing, registry: Registry, iris_registered: list[int], tmp_path: Path
) -> None:
    bad = tmp_path / "bad.token"
    bad.write_text("not-a-token\n")
    async with start_serving(
        registry.address,
        deployments=["iris@production"],
        registry_token_file=bad,
        wait_ready=False,
        cache_dir=tmp_path / "fresh-cache",
    ) as serving:

        async def refused() -> pb.RepositoryIndexResponse | None:
            index = await serving.stub.RepositoryIndex(
                pb.RepositoryIndexRequest(), metadata=serving.as_("admin")
            )
            return index if index.models[0].reason else None

        index = await wait_until(refused, "the registry to refuse serving's token")
        assert index.models[0].state == "UNAVAILABLE"
        assert "refused" in index.models[0].reason
        assert "UNAUTHENTICATED" in index.models[0].reason


def test_one_pass_forest_answers_equal_scikit_learns() -> None:
    x, y = load_iris(return_X_y=True)
    forest = RandomForestClassifier(n_estimators=20, random_state=0).fit(x, y)
    info = VersionInfo(
        "iris",
        1,
        tuple(InputSpec(f"f{j}", "FP64") for j in range(4)),
        (OutputSpec(PREDICT, "INT64", (-1,)), OutputSpec(PREDICT_PROBA, "FP64", (-1, 3))),
        "0" * 64,
        "skops",
        {},
    )
    served = ServedModel(info, forest)
    assert served.labels_from_proba
    both = served.predict(x, [PREDICT_PROBA, PREDICT])
    assert list(both) == [PREDICT_PROBA, PREDICT]
    assert np.array_equal(both[PREDICT], forest.predict(x))
    assert np.array_equal(both[PREDICT_PROBA], forest.predict_proba(x))
