"""``TrainingClient`` for asyncio: ``slipway.client.TrainingClient`` with async methods."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable

import grpc

from slipway.client.aio.calls import AsyncCaller
from slipway.client.errors import DeadlineExceeded
from slipway.client.requests import TERMINAL_JOB_STATES, idempotency_key, model_name
from slipway.client.training import (
    REWATCH_SECONDS,
    TrainingJob,
    job_filter,
    same_request,
    unfinished,
)
from slipway.training.v1 import training_job_pb2
from slipway.training.v1 import training_service_pb2 as pb
from slipway.training.v1 import training_service_pb2_grpc as pb_grpc


class TrainingClient:
    """The training service, for asyncio; see ``slipway.client.TrainingClient``."""

    def __init__(self, channel: grpc.aio.Channel, caller: AsyncCaller) -> None:
        self._stub = pb_grpc.TrainingServiceStub(channel)
        self._call = caller

    async def create(
        self,
        job: TrainingJob,
        *,
        validate_only: bool = False,
        request_id: str | None = None,
        timeout: float | None = None,
    ) -> TrainingJob:
        """Validate and queue ``job``."""
        key = idempotency_key(request_id)
        reply = await self._call.unary(
            self._stub.CreateTrainingJob,
            pb.CreateTrainingJobRequest(
                training_job=job, validate_only=validate_only, request_id=key
            ),
            timeout=timeout,
            idempotent=bool(key),
            key=key,
        )
        return reply.training_job

    async def get(self, name: str, *, timeout: float | None = None) -> TrainingJob:
        """One job."""
        reply = await self._call.unary(
            self._stub.GetTrainingJob,
            pb.GetTrainingJobRequest(name=name),
            timeout=timeout,
            idempotent=True,
        )
        return reply.training_job

    def list(
        self,
        *,
        states: Iterable[training_job_pb2.TrainingJobState.ValueType] = (),
        model: str = "",
        created_by: str = "",
        trigger: training_job_pb2.TrainingTrigger.ValueType = (
            training_job_pb2.TRAINING_TRIGGER_UNSPECIFIED
        ),
        filter: str = "",
        oldest_first: bool = False,
        page_size: int = 0,
        timeout: float | None = None,
    ) -> AsyncIterator[TrainingJob]:
        """Every job matching the filters, newest first (or oldest first), page by page."""
        return self._call.pages(
            self._stub.ListTrainingJobs,
            pb.ListTrainingJobsRequest(
                filter=job_filter(
                    states=states,
                    model=model_name(model) if model else "",
                    created_by=created_by,
                    trigger=trigger,
                    extra=filter,
                ),
                order_by="create_time" if oldest_first else "create_time desc",
                page_size=page_size,
            ),
            lambda reply: reply.training_jobs,
            timeout=timeout,
        )

    async def cancel(
        self,
        name: str,
        *,
        reason: str = "",
        request_id: str | None = None,
        timeout: float | None = None,
    ) -> TrainingJob:
        """Cancel a queued or running job."""
        key = idempotency_key(request_id)
        reply = await self._call.unary(
            self._stub.CancelTrainingJob,
            pb.CancelTrainingJobRequest(name=name, reason=reason, request_id=key),
            timeout=timeout,
            idempotent=bool(key),
            key=key,
        )
        return reply.training_job

    async def watch(self, name: str, *, timeout: float | None = None) -> AsyncIterator[TrainingJob]:
        """The job now, then after every change, until it ends (or ``timeout`` passes)."""
        async for reply in self._call.stream(
            self._stub.WatchTrainingJob,
            pb.WatchTrainingJobRequest(name=name),
            timeout=timeout,
            resume=same_request,
        ):
            yield reply.training_job

    async def wait(
        self,
        name: str,
        timeout: float,
        on_progress: Callable[[TrainingJob], Awaitable[None] | None] | None = None,
    ) -> TrainingJob:
        """Wait until the job ends and return it; ``on_progress`` (a function or a coroutine
        function) sees every change. DeadlineExceeded when it has not ended in ``timeout``."""
        deadline = time.monotonic() + timeout
        last: TrainingJob | None = None
        try:
            while (left := deadline - time.monotonic()) > 0:
                async for job in self.watch(name, timeout=left):
                    last = job
                    if on_progress is not None:
                        called = on_progress(job)
                        if called is not None:
                            await called
                    if job.state in TERMINAL_JOB_STATES:
                        return job
                await asyncio.sleep(min(REWATCH_SECONDS, max(0.0, deadline - time.monotonic())))
        except DeadlineExceeded:
            pass
        raise unfinished(name, last)
