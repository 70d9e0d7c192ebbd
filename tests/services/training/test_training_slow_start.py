"""A fit process that is slow to start does not cost its job: on a loaded machine the fork
server can take longer than the heartbeat timeout to hand over a child, and a job that was not
heartbeaten meanwhile was requeued by its own worker as lost (attempt 2)."""

from __future__ import annotations

import time
from typing import Any

import pytest

from slipway.services.training.worker import supervisor
from support.registry import Registry
from support.training import SUCCEEDED, StartTraining, job

HEARTBEAT_TIMEOUT = 2.0


@pytest.mark.slow
async def test_a_job_whose_fit_process_is_slow_to_start_keeps_its_first_attempt(
    start_training: StartTraining, registry: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = supervisor.TrainingProcess

    def slow_start(*args: Any, **kwargs: Any) -> Any:
        time.sleep(HEARTBEAT_TIMEOUT * 2)  # runs on a worker thread, as the real start does
        return real(*args, **kwargs)

    monkeypatch.setattr(supervisor, "TrainingProcess", slow_start)
    async with start_training(
        registry.address, heartbeat_seconds=0.2, heartbeat_timeout_seconds=HEARTBEAT_TIMEOUT
    ) as training:
        created = await training.create(job("models/patient"))
        done = await training.finished(created.name, within=120)
    assert done.state == SUCCEEDED, done.failure
    assert done.attempt_count == 1
