"""The shared queue: two training-service processes on one PostgreSQL database run 20 jobs,
each exactly once, and both take part."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from support.registry import Registry
from support.training import SUCCEEDED, StartTraining, estimator, job


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_two_processes_share_a_queue_of_twenty_jobs(
    spawn: object,
    registry: Registry,
    start_training: StartTraining,
    service_token_file: Path,
    data_root: Path,
) -> None:
    flags = (
        "--registry-target",
        registry.address,
        "--registry-token-file",
        str(service_token_file),
        "--data-root",
        str(data_root),
        "--workers",
        "2",
        "--poll-seconds",
        "0.05",
        "--heartbeat-seconds",
        "0.5",
        "--heartbeat-timeout-seconds",
        "10",
    )
    first = await spawn("training", *flags)  # type: ignore[operator]
    second = await spawn("training", *flags)  # type: ignore[operator]
    async with start_training(registry.address, workers=0) as client:
        spec = estimator("LogisticRegression", max_iter=300)
        names = [
            (await client.create(job(f"models/queue-{i % 4}", spec=spec, dataset=None))).name
            for i in range(20)
        ]
        done = await asyncio.gather(*(client.finished(n, within=240) for n in names))
        failed = [(d.name, d.state, d.failure.message) for d in done if d.state != SUCCEEDED]
        assert not failed
        assert all(d.attempt_count == 1 for d in done)
        versions = [d.model_version for d in done]
        assert len(set(versions)) == 20  # one version per job, none twice

        # Each job was started exactly once, and both processes started some.
        starters: dict[str, list[str]] = {}
        for name in names:
            events = await registry.audit_events(resource=name, action="training.StartTrainingJob")
            starters[name] = [json.loads(e.payload_json)["worker"] for e in events]
        assert all(len(workers) == 1 for workers in starters.values()), starters
        pids = {w.split(":")[1] for workers in starters.values() for w in workers}
        assert pids == {str(first.process.pid), str(second.process.pid)}, pids
