"""The asyncio clients against the real suite (registry, training, serving, monitoring), and a
read retried until a registry that was down when it started comes up."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest
from sklearn.datasets import load_iris

from slipway import client
from slipway.core.db import Database
from slipway.monitoring.v1 import monitoring_policy_pb2
from slipway.training.v1 import training_job_pb2
from support.monitoring import running_monitoring
from support.registry import SQLITE_ONLY, Registry
from support.serving import Serving, Trained
from support.training import SUCCEEDED, StartTraining, job, running_registry
from support.waiting import wait_until

pytestmark = SQLITE_ONLY


@pytest.mark.slow  # the whole suite over the asyncio clients
async def test_asyncio_clients_against_the_suite(
    migrated_db: Database,
    tmp_path: Path,
    tokens_file: Path,
    tokens: dict[str, str],
    registry: Registry,
    service_token_file: Path,
    start_training: StartTraining,
    serving: Serving,
    iris_model: Trained,
    aio_connect_as,
):
    async with (
        start_training(registry.address) as training,
        running_monitoring(
            migrated_db,
            tmp_path / "monitoring",
            tokens_file,
            tokens,
            registry.address,
            service_token_file,
            evaluate=False,
        ) as monitoring,
    ):
        suite = aio_connect_as(
            {
                "registry": registry.address,
                "training": training.address,
                "serving": serving.address,
                "monitoring": monitoring.address,
            }
        )

        for model_id in ("a", "b", "c"):
            await suite.registry.create_model(model_id)
        names = [m.name async for m in suite.registry.list_models(page_size=2)]
        assert names == ["models/a", "models/b", "models/c", "models/iris"]
        with pytest.raises(client.NotFound) as missing:
            await suite.registry.get_model("nope")
        assert missing.value.reason == "MODEL_NOT_FOUND"

        rows = load_iris().data[::5]
        model = iris_model.model()
        outputs = await suite.inference.predict("iris", rows)
        np.testing.assert_array_equal(outputs["predict"], model.predict(rows))
        np.testing.assert_allclose(outputs["predict_proba"], model.predict_proba(rows), rtol=1e-12)

        seen: list[training_job_pb2.TrainingJob] = []

        async def progress(update: training_job_pb2.TrainingJob) -> None:
            seen.append(update)

        created = await suite.training.create(job("models/wine"))
        listed = [j.name async for j in suite.training.list(page_size=1)]
        assert listed == [created.name]
        done = await suite.training.wait(created.name, timeout=90, on_progress=progress)
        assert done.state == SUCCEEDED, done.failure
        assert seen[-1] == done
        assert [j.state async for j in suite.training.watch(created.name)] == [SUCCEEDED]

        await suite.monitoring.create_policy(
            monitoring_policy_pb2.MonitoringPolicy(model="models/wine"), policy_id="wine"
        )
        assert [p.name async for p in suite.monitoring.list_policies()] == [
            "monitoringPolicies/wine"
        ]
        alerts = [a async for a in suite.monitoring.list_alerts()]
        assert alerts == []


@dataclass(frozen=True)
class CountingRetries(client.RetryPolicy):
    """The default policy, counting the retries it grants."""

    granted: list[float] = field(default_factory=list, compare=False)

    def backoff(self, retry: int) -> float:
        delay = super().backoff(retry)
        self.granted.append(delay)
        return delay


async def test_a_read_waits_out_a_registry_that_starts_after_its_first_attempt(
    migrated_db: Database, tmp_path: Path, tokens_file: Path, tokens: dict[str, str], aio_connect_as
):
    async with running_registry(
        migrated_db, tmp_path / "first", tokens_file, tokens, tmp_path / "artifacts"
    ) as first:
        address = first.address  # a port that was free a moment ago, so free again soon
    policy = CountingRetries(max_attempts=50, initial_backoff=0.05, max_backoff=0.2)
    suite = aio_connect_as(address, retry=policy, timeout=30.0)
    reading = asyncio.create_task(suite.registry.get_model("churn"))
    await wait_until(lambda: policy.granted or reading.done(), "the first attempt to end")
    assert policy.granted, "the first attempt should have failed: nothing listened yet"
    assert not reading.done()
    async with running_registry(
        migrated_db,
        tmp_path / "second",
        tokens_file,
        tokens,
        tmp_path / "artifacts",
        grpc_address=address,
    ):
        with pytest.raises(client.NotFound) as missing:  # an answer: the registry was reached
            await asyncio.wait_for(reading, 30)
    assert missing.value.reason == "MODEL_NOT_FOUND"
    assert len(policy.granted) >= 1
