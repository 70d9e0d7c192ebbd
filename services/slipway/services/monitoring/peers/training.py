"""Retraining through the training service: a new job from the spec of the job that trained
the monitored version, with trigger DRIFT or PERFORMANCE and a reason citing the report; never
while a job for the model is still queued or running, and not before the policy's cooldown."""

from __future__ import annotations

import uuid

import grpc

from slipway.core.peers import PeerTarget
from slipway.services.monitoring.domain.entities import (
    DEFAULT_RETRAINING_ALIAS,
    RetrainingDecision,
    RetrainingOutcome,
    RetrainingRequest,
    RetrainingTrigger,
)
from slipway.training.v1 import training_job_pb2
from slipway.training.v1 import training_service_pb2 as pb
from slipway.training.v1 import training_service_pb2_grpc as pb_grpc

CALL_TIMEOUT = 30.0
BUNDLED_TARGET = "target"  # the target column of training's bundled datasets
ACTIVE = (
    training_job_pb2.TRAINING_JOB_STATE_QUEUED,
    training_job_pb2.TRAINING_JOB_STATE_RUNNING,
    training_job_pb2.TRAINING_JOB_STATE_CANCELLING,
)
# The parts of a job's spec a retraining job copies (never its outcome or its history).
SPEC_FIELDS = ("model", "task", "estimator", "dataset", "split", "search", "limits", "labels")
TRIGGERS = {
    RetrainingTrigger.DRIFT: training_job_pb2.TRAINING_TRIGGER_DRIFT,
    RetrainingTrigger.PERFORMANCE: training_job_pb2.TRAINING_TRIGGER_PERFORMANCE,
}


def _active_jobs_of(model: str) -> str:
    """The ListTrainingJobs filter (AIP-160) of ``model``'s jobs in an ACTIVE state."""
    states = " OR ".join(
        "state = " + training_job_pb2.TrainingJobState.Name(s).removeprefix("TRAINING_JOB_STATE_")
        for s in ACTIVE
    )
    return f'model = "{model}" AND {states}'


class TrainingRetrainer:
    """The domain's ``Retrainer`` over the training service."""

    def __init__(self, training: PeerTarget) -> None:
        self._training = training
        self._channel: grpc.aio.Channel | None = None

    def _stub(self) -> pb_grpc.TrainingServiceAsyncStub:
        if self._channel is None:
            self._channel = self._training.channel()
        return pb_grpc.TrainingServiceStub(self._channel)

    async def close(self) -> None:
        if self._channel is not None:
            await self._channel.close()
            self._channel = None

    async def decide(self, request: RetrainingRequest) -> RetrainingOutcome:
        """Start a retraining job for the request's alert unless one is running or the
        cooldown holds."""
        model, last_trigger = request.model, request.last_trigger
        metadata = self._training.metadata(uuid.uuid4().hex)
        try:
            active = await self._stub().ListTrainingJobs(
                pb.ListTrainingJobsRequest(filter=_active_jobs_of(model), page_size=1),
                metadata=metadata,
                timeout=CALL_TIMEOUT,
            )
            if active.training_jobs:
                job = active.training_jobs[0]
                return RetrainingOutcome(
                    RetrainingDecision.SKIPPED_JOB_RUNNING,
                    job.name,
                    f"{job.name} for {model} is still "
                    f"{training_job_pb2.TrainingJobState.Name(job.state)}",
                )
            cooldown = request.cooldown
            if last_trigger is not None and request.now < last_trigger + cooldown:
                return RetrainingOutcome(
                    RetrainingDecision.SKIPPED_COOLDOWN,
                    "",
                    f"the last retraining started at {last_trigger.isoformat()}; "
                    f"the cooldown is {cooldown}",
                )
            source = request.source_job
            if not source:
                return RetrainingOutcome(
                    RetrainingDecision.FAILED,
                    "",
                    f"{request.model_version} has no training job in its lineage; "
                    "set retraining.source_training_job on the policy",
                )
            spec = (
                await self._stub().GetTrainingJob(
                    pb.GetTrainingJobRequest(name=source), metadata=metadata, timeout=CALL_TIMEOUT
                )
            ).training_job
            job = training_job_pb2.TrainingJob()
            for field in SPEC_FIELDS:
                if field == "labels":
                    job.labels.update(spec.labels)
                elif field in ("model",):
                    job.model = spec.model
                elif field == "task":
                    job.task = spec.task
                elif spec.HasField(field):  # type: ignore[arg-type]
                    getattr(job, field).CopyFrom(getattr(spec, field))
            if request.dataset_path:
                bundled = job.dataset.WhichOneof("source") == "bundled"
                job.dataset.path = request.dataset_path
                if bundled and not job.dataset.target_column:
                    # A fresh export of a bundled dataset keeps its target column's name.
                    job.dataset.target_column = BUNDLED_TARGET
            job.alias_on_success = request.alias_on_success or DEFAULT_RETRAINING_ALIAS
            job.trigger = TRIGGERS[request.trigger]
            job.trigger_source = request.alert
            job.reason = f"{request.summary} (report {request.report}, policy {request.policy})"
            job.parent_version = request.model_version
            created = await self._stub().CreateTrainingJob(
                pb.CreateTrainingJobRequest(
                    training_job=job, request_id=f"retrain-{request.report[-32:]}"
                ),
                metadata=metadata,
                timeout=CALL_TIMEOUT,
            )
        except grpc.aio.AioRpcError as error:
            return RetrainingOutcome(
                RetrainingDecision.FAILED,
                "",
                f"the training service answered {error.code().name}: {error.details()}",
            )
        return RetrainingOutcome(
            RetrainingDecision.TRIGGERED,
            created.training_job.name,
            f"{created.training_job.name} started from {source}",
        )
