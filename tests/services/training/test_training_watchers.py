"""Many WatchTrainingJob streams share one reader of the job events: each stream gets its own
job's changes exactly once, and none of another job's."""

from __future__ import annotations

import asyncio

from slipway.training.v1 import training_service_pb2 as pb
from support.registry import Registry
from support.training import CANCELLED, QUEUED, StartTraining, job

STREAMS_PER_JOB = 20


async def test_every_stream_of_every_job_sees_its_own_changes_once(
    start_training: StartTraining, registry: Registry
) -> None:
    async with start_training(registry.address, workers=0) as training:  # jobs stay QUEUED
        jobs = [await training.create(job(f"models/watched{i}")) for i in range(3)]
        opened = asyncio.Event()
        first_answers = 0

        async def watch(name: str) -> list[tuple[str, int]]:
            nonlocal first_answers
            seen = []
            async for reply in training.stub.WatchTrainingJob(
                pb.WatchTrainingJobRequest(name=name), metadata=training.as_("viewer"), timeout=60
            ):
                seen.append((reply.training_job.name, reply.training_job.state))
                if len(seen) == 1:
                    first_answers += 1
                    if first_answers == STREAMS_PER_JOB * len(jobs):
                        opened.set()
            return seen

        watchers = [
            asyncio.create_task(watch(created.name))
            for created in jobs
            for _ in range(STREAMS_PER_JOB)
        ]
        await asyncio.wait_for(opened.wait(), 60)
        for created in jobs:
            await training.stub.CancelTrainingJob(
                pb.CancelTrainingJobRequest(name=created.name, reason="test"),
                metadata=training.as_("developer"),
            )
        results = await asyncio.wait_for(asyncio.gather(*watchers), 60)
    for k, seen in enumerate(results):
        name = jobs[k // STREAMS_PER_JOB].name
        assert seen == [(name, QUEUED), (name, CANCELLED)], seen
