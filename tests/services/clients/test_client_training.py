"""The blocking TrainingClient against a real training service and registry: invalid specs as
InvalidArgument with every field violation, jobs listed across pages, watched, waited for with
progress, cancelled, and a wait that runs out of time."""

from __future__ import annotations

import asyncio

import grpc
import pytest

from slipway import client
from slipway.training.v1 import training_job_pb2
from support.registry import SQLITE_ONLY, Registry
from support.training import CANCELLED, SUCCEEDED, StartTraining, estimator, job, slow_job

pytestmark = SQLITE_ONLY

WAIT_SECONDS = 90.0  # a whole job: fork, fit, register


async def test_jobs_are_created_listed_watched_and_waited_for(
    registry: Registry, start_training: StartTraining, connect_as
):
    async with start_training(registry.address) as training:
        suite = connect_as({"training": training.address, "registry": registry.address})

        def scenario() -> None:
            with pytest.raises(client.InvalidArgument) as invalid:
                suite.training.create(job(spec=estimator("NoSuchClassifier")))
            assert invalid.value.code == grpc.StatusCode.INVALID_ARGUMENT
            assert invalid.value.field_violations
            assert any("estimator" in v.field for v in invalid.value.field_violations)
            checked = suite.training.create(job("models/wine"), validate_only=True)
            assert not checked.name

            names = [suite.training.create(job("models/wine", seed=seed)).name for seed in range(3)]
            listed = [j.name for j in suite.training.list(model="wine", page_size=2)]
            assert listed == names[::-1]  # newest first, across two pages

            seen: list[training_job_pb2.TrainingJob] = []
            done = suite.training.wait(names[0], timeout=WAIT_SECONDS, on_progress=seen.append)
            assert done.state == SUCCEEDED, done.failure
            assert seen[-1] == done
            assert done.model_version.startswith("models/wine/versions/")
            watched = list(suite.training.watch(names[0], timeout=WAIT_SECONDS))
            assert watched[-1].state == SUCCEEDED
            version = suite.registry.get_version(done.model_version)
            assert version.lineage.training_job == names[0]
            for name in names[1:]:
                assert suite.training.wait(name, timeout=WAIT_SECONDS).state == SUCCEEDED
            assert [j.name for j in suite.training.list(states=[SUCCEEDED], page_size=1)] == names[
                ::-1
            ]

        await asyncio.to_thread(scenario)


async def test_a_job_is_cancelled_and_a_wait_runs_out_of_time(
    registry: Registry, start_training: StartTraining, connect_as
):
    async with start_training(registry.address) as training:
        suite = connect_as(training.address)

        def scenario() -> None:
            slow = suite.training.create(slow_job())
            with pytest.raises(client.DeadlineExceeded) as late:
                suite.training.wait(slow.name, timeout=0.5)
            assert late.value.reason == "WAIT_TIMEOUT"
            assert slow.name in str(late.value)
            suite.training.cancel(slow.name, reason="no longer needed")
            assert suite.training.wait(slow.name, timeout=WAIT_SECONDS).state == CANCELLED
            with pytest.raises(client.FailedPrecondition):
                suite.training.cancel(slow.name, reason="again")
            with pytest.raises(client.NotFound):
                suite.training.get("trainingJobs/nope")

        await asyncio.to_thread(scenario)
