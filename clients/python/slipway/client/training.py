"""``TrainingClient``: training jobs, their progress, and waiting for one to finish."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator

import grpc

from slipway.client.calls import Caller
from slipway.client.errors import DeadlineExceeded
from slipway.client.requests import TERMINAL_JOB_STATES, idempotency_key, model_name, quote
from slipway.training.v1 import training_job_pb2
from slipway.training.v1 import training_service_pb2 as pb
from slipway.training.v1 import training_service_pb2_grpc as pb_grpc

TrainingJob = training_job_pb2.TrainingJob
REWATCH_SECONDS = 0.2


def same_request(
    request: pb.WatchTrainingJobRequest, _last: pb.WatchTrainingJobResponse
) -> pb.WatchTrainingJobRequest:
    """A job watch resumes with the same request: the service sends the job as it is now."""
    return request


def unfinished(name: str, last: TrainingJob | None) -> DeadlineExceeded:
    state = training_job_pb2.TrainingJobState.Name(last.state) if last is not None else "unknown"
    return DeadlineExceeded(
        f"{name} did not finish in time (last state {state})",
        reason="WAIT_TIMEOUT",
        metadata={"resource": name},
    )


def job_filter(
    *,
    states: Iterable[training_job_pb2.TrainingJobState.ValueType] = (),
    model: str = "",
    created_by: str = "",
    trigger: training_job_pb2.TrainingTrigger.ValueType = (
        training_job_pb2.TRAINING_TRIGGER_UNSPECIFIED
    ),
    extra: str = "",
) -> str:
    """The AIP-160 filter of ListTrainingJobs for these conditions (all must hold)."""
    terms = []
    names = [training_job_pb2.TrainingJobState.Name(s) for s in states]
    if names:
        terms.append(" OR ".join(f"state = {n.removeprefix('TRAINING_JOB_STATE_')}" for n in names))
    if model:
        terms.append(f"model = {quote(model)}")
    if created_by:
        terms.append(f"created_by = {quote(created_by)}")
    if trigger != training_job_pb2.TRAINING_TRIGGER_UNSPECIFIED:
        name = training_job_pb2.TrainingTrigger.Name(trigger)
        terms.append(f"trigger = {name.removeprefix('TRAINING_TRIGGER_')}")
    if extra:
        terms.append(extra)
    return " AND ".join(terms)


class TrainingClient:
    """The training service (``slipway.training.v1.TrainingService``), blocking.

    Jobs are named ``trainingJobs/{id}``. ``timeout`` and ``request_id`` work as in
    ``RegistryClient``.
    """

    def __init__(self, channel: grpc.Channel, caller: Caller) -> None:
        self._stub = pb_grpc.TrainingServiceStub(channel)
        self._call = caller

    def create(
        self,
        job: TrainingJob,
        *,
        validate_only: bool = False,
        request_id: str | None = None,
        timeout: float | None = None,
    ) -> TrainingJob:
        """Validate and queue ``job``. An invalid spec raises InvalidArgument naming every
        wrong field in ``field_violations``; ``validate_only`` checks without queueing."""
        key = idempotency_key(request_id)
        return self._call.unary(
            self._stub.CreateTrainingJob,
            pb.CreateTrainingJobRequest(
                training_job=job, validate_only=validate_only, request_id=key
            ),
            timeout=timeout,
            idempotent=bool(key),
            key=key,
        ).training_job

    def get(self, name: str, *, timeout: float | None = None) -> TrainingJob:
        """One job."""
        return self._call.unary(
            self._stub.GetTrainingJob,
            pb.GetTrainingJobRequest(name=name),
            timeout=timeout,
            idempotent=True,
        ).training_job

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
    ) -> Iterator[TrainingJob]:
        """Every job matching the filters, newest first (or oldest first), page by page
        (``timeout`` per page). ``filter`` is an AIP-160 filter string (see
        ``ListTrainingJobsRequest.filter``), ANDed with the keyword filters."""
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

    def cancel(
        self,
        name: str,
        *,
        reason: str = "",
        request_id: str | None = None,
        timeout: float | None = None,
    ) -> TrainingJob:
        """Cancel a queued or running job (FailedPrecondition once it ended); returns it
        CANCELLING or CANCELLED."""
        key = idempotency_key(request_id)
        return self._call.unary(
            self._stub.CancelTrainingJob,
            pb.CancelTrainingJobRequest(name=name, reason=reason, request_id=key),
            timeout=timeout,
            idempotent=bool(key),
            key=key,
        ).training_job

    def watch(self, name: str, *, timeout: float | None = None) -> Iterator[TrainingJob]:
        """The job now, then after every state or progress change, until it ends (or
        ``timeout``, default none, passes). A stream broken by UNAVAILABLE is reopened."""
        replies = self._call.stream(
            self._stub.WatchTrainingJob,
            pb.WatchTrainingJobRequest(name=name),
            timeout=timeout,
            resume=same_request,
        )
        return (reply.training_job for reply in replies)

    def wait(
        self, name: str, timeout: float, on_progress: Callable[[TrainingJob], None] | None = None
    ) -> TrainingJob:
        """Wait until the job ends and return it (SUCCEEDED, FAILED or CANCELLED: check
        ``state``). ``on_progress`` is called with the job at every change. DeadlineExceeded
        when it has not ended within ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        last: TrainingJob | None = None
        try:
            # The stream ends when the job does; should it end earlier (a service shutting
            # down), it is opened again for the time left.
            while (left := deadline - time.monotonic()) > 0:
                for job in self.watch(name, timeout=left):
                    last = job
                    if on_progress is not None:
                        on_progress(job)
                    if job.state in TERMINAL_JOB_STATES:
                        return job
                time.sleep(min(REWATCH_SECONDS, max(0.0, deadline - time.monotonic())))
        except DeadlineExceeded:
            pass
        raise unfinished(name, last)
