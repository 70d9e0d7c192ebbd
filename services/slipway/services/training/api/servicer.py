"""The TrainingService servicer: decode and check requests, call the domain, encode answers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import aclosing

from slipway.core import filters
from slipway.core.blocking import run_blocking
from slipway.core.context import current_principal
from slipway.core.errors import InvalidArgumentError
from slipway.core.fanout import Feed
from slipway.core.handlers import Context
from slipway.core.pagination import (
    cursor_position,
    decode_page_token,
    encode_page_token,
    fit_to_budget,
    page_size,
)
from slipway.core.reasons import Reason
from slipway.services.training.api import converters
from slipway.services.training.domain.jobs import JobSnapshot, TrainingJobs
from slipway.services.training.worker.supervisor import Supervisor
from slipway.training.v1 import training_service_pb2 as pb

WATCH_POLL_SECONDS = 0.2  # how often a watcher looks for changes made by other processes


def job_id_of(name: str, field: str = "name") -> str:
    prefix = "trainingJobs/"
    job_id = name[len(prefix) :] if name.startswith(prefix) else ""
    # ASCII only: str.isalnum() also accepts letters and digits of every other script.
    if not job_id or len(job_id) > 64 or not (job_id.isascii() and job_id.isalnum()):
        raise InvalidArgumentError.for_field(
            field, "must look like trainingJobs/{id}", reason=Reason.INVALID_NAME
        )
    return job_id


class TrainingServicer:
    """``slipway.training.v1.TrainingService``."""

    def __init__(self, jobs: TrainingJobs, supervisor: Supervisor | None = None) -> None:
        self._jobs = jobs
        self._supervisor = supervisor
        # One reader of the job event stream for every WatchTrainingJob stream of this
        # process, each keeping its own job's snapshots: N streams cost one read per poll.
        self._watchers: Feed[JobSnapshot] = Feed(
            jobs.snapshots_after,
            lambda snapshot: snapshot.sequence,
            jobs.last_sequence,
            poll_seconds=WATCH_POLL_SECONDS,
        )

    async def CreateTrainingJob(
        self, request: pb.CreateTrainingJobRequest, context: Context
    ) -> pb.CreateTrainingJobResponse:
        if not request.HasField("training_job"):
            raise InvalidArgumentError.for_field(
                "training_job", "is required", reason=Reason.INVALID_TRAINING_JOB
            )
        job = converters.new_job(request.training_job)
        actor = current_principal()
        if request.validate_only:
            await run_blocking(self._jobs.validate, job)
            echo = pb.CreateTrainingJobResponse(training_job=request.training_job)
            for field in ("name", "state", "progress", "failure", "create_time"):
                echo.training_job.ClearField(field)
            return echo
        created = await run_blocking(self._jobs.create, actor, job, request_id=request.request_id)
        if self._supervisor is not None:
            self._supervisor.job_queued()
        return pb.CreateTrainingJobResponse(training_job=converters.job_to_pb(created))

    async def GetTrainingJob(
        self, request: pb.GetTrainingJobRequest, context: Context
    ) -> pb.GetTrainingJobResponse:
        job = await run_blocking(self._jobs.get, job_id_of(request.name))
        return pb.GetTrainingJobResponse(training_job=converters.job_to_pb(job))

    async def ListTrainingJobs(
        self, request: pb.ListTrainingJobsRequest, context: Context
    ) -> pb.ListTrainingJobsResponse:
        limit = page_size(request.page_size)
        flt = filters.parse(request.filter, converters.JOB_FILTER_FIELDS)
        ((_, descending),) = filters.parse_order_by(
            request.order_by, "create_time desc", ("create_time",)
        )
        parameters = {"filter": request.filter, "descending": descending}
        cursor = decode_page_token(request.page_token, parameters)
        cursor_position(cursor, "seq", minimum=1)  # a forged cursor must not reach the query
        page = await run_blocking(
            self._jobs.list_jobs, flt=flt, descending=descending, cursor=cursor, limit=limit
        )
        jobs = [converters.job_to_pb(job) for job in page.jobs]
        count = fit_to_budget([job.ByteSize() for job in jobs])
        next_cursor = {"seq": page.jobs[count - 1].seq} if count < len(jobs) else page.next_cursor
        token = encode_page_token(next_cursor, parameters) if next_cursor else ""
        return pb.ListTrainingJobsResponse(training_jobs=jobs[:count], next_page_token=token)

    async def CancelTrainingJob(
        self, request: pb.CancelTrainingJobRequest, context: Context
    ) -> pb.CancelTrainingJobResponse:
        job_id = job_id_of(request.name)
        job = await run_blocking(
            self._jobs.cancel,
            current_principal(),
            job_id,
            reason=request.reason,
            request_id=request.request_id,
        )
        if self._supervisor is not None:
            self._supervisor.job_cancelled(job_id)
        return pb.CancelTrainingJobResponse(training_job=converters.job_to_pb(job))

    async def WatchTrainingJob(
        self, request: pb.WatchTrainingJobRequest, context: Context
    ) -> AsyncIterator[pb.WatchTrainingJobResponse]:
        job_id = job_id_of(request.name)
        job, after = await run_blocking(self._jobs.watch_start, job_id)
        yield pb.WatchTrainingJobResponse(training_job=converters.job_to_pb(job))
        sent = job.revision
        if job.state.terminal:
            return
        name = f"trainingJobs/{job_id}"
        async with aclosing(
            self._watchers.watch(after, lambda snapshot: snapshot.name == name)
        ) as batches:
            async for snapshots in batches:
                for changed in (snapshot.job for snapshot in snapshots):
                    if changed.revision <= sent:
                        continue  # already in what was sent (read after the event was written)
                    job, sent = changed, changed.revision
                    yield pb.WatchTrainingJobResponse(training_job=converters.job_to_pb(job))
                    if job.state.terminal:
                        return
        # Shutting down: the stream ends; the watcher reconnects (elsewhere) and reads the job.

    def notify(self) -> None:
        """A job changed in this process: wake the watchers (others find out by polling)."""
        self._watchers.notify()

    def stop_watchers(self) -> None:
        self._watchers.stop()
