"""Registering a trained model in the registry, through the registry's public gRPC API.

The upload is idempotent: its request id is the job's registration key (the job id at first),
so an upload retried after a crash or a lost connection returns the version the first one
created instead of a second version. The registry refuses to replay a request whose upload
failed; only then does the job take a new key (``{job_id}.r{n}``).

A connection that broke (the registry restarted, a reset) is an outage, retried within the
retry budget; only an answer of the registry's, which always carries an ErrorInfo, can refuse
the version. If the registry died mid-upload, the version stays PENDING: the retry is told
UPLOAD_IN_PROGRESS until that upload missed two heartbeats, then takes it over (same request
id, same principal), so the job still ends with one version.
"""

from __future__ import annotations

import asyncio
import enum
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import grpc
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from slipway.core import values
from slipway.core.peers import PeerTarget
from slipway.core.reasons import Reason
from slipway.ml.profile_messages import KINDS as _KINDS
from slipway.ml.profile_messages import feature_stats_to_pb
from slipway.ml.tensors import DATA_TYPES
from slipway.registry.v1 import (
    artifact_pb2,
    lineage_pb2,
    model_version_pb2,
    reference_profile_pb2,
    signature_pb2,
)
from slipway.registry.v1 import registry_service_pb2 as pb
from slipway.registry.v1 import registry_service_pb2_grpc as pb_grpc
from slipway.services.training.domain.entities import TrainingJob
from slipway.services.training.engine.outcome import ArtifactFile, TrainingFailed, TrainingOutcome

CHUNK_BYTES = 1024 * 1024
CALL_TIMEOUT_SECONDS = 120.0
RETRY_DELAYS = (0.5, 1.0, 2.0, 4.0, 8.0)  # then every 8 s until the retry budget is spent

_FORMATS = {
    "skops": artifact_pb2.ARTIFACT_FORMAT_SKOPS,
    "npz": artifact_pb2.ARTIFACT_FORMAT_NPZ,
    "parquet": artifact_pb2.ARTIFACT_FORMAT_PARQUET,
}
# The codes after which trying again may work; everything else is a refusal.
_TRANSIENT = frozenset(
    {
        grpc.StatusCode.UNAVAILABLE,
        grpc.StatusCode.DEADLINE_EXCEEDED,
        grpc.StatusCode.ABORTED,
        grpc.StatusCode.RESOURCE_EXHAUSTED,
        grpc.StatusCode.CANCELLED,
    }
)
# A connection that breaks mid-stream (the registry killed or restarted, a reset) surfaces
# in grpc as one of these with grpc's own text ("Internal error from Core", "Socket closed"):
# without the registry's ErrorInfo it is an outage, not the registry's answer.
_TRANSPORT = _TRANSIENT | {grpc.StatusCode.INTERNAL}


class Verdict(enum.Enum):
    """What registration does after a failed call."""

    RETRY = "retry"  # an outage, or an upload still running: the same request again later
    NEW_KEY = "new_key"  # the first upload of this request id failed: upload under a new id
    REJECTED = "rejected"  # the registry refused the version: trying again cannot help


def error_reason(error: grpc.aio.AioRpcError) -> str | None:
    """The ErrorInfo reason the registry sent, or None when no server answered with one."""
    try:
        status = rpc_status.from_call(error)
    except ValueError:  # details that do not match the call's status: not the registry's
        return None
    for detail in status.details if status is not None else ():
        info = error_details_pb2.ErrorInfo()
        if detail.Unpack(info):
            return str(info.reason)
    return None


def verdict(code: grpc.StatusCode, reason: str | None) -> Verdict:
    """Classifies a failed registry call by its status code and ErrorInfo ``reason``.

    ``reason`` is None for a transport-level failure (no ErrorInfo: the stream broke, nothing
    of ours answered); every error the registry itself sends carries one.
    """
    if reason is None:
        return Verdict.RETRY if code in _TRANSPORT else Verdict.REJECTED
    if code is grpc.StatusCode.FAILED_PRECONDITION and reason == Reason.REQUEST_FAILED:
        return Verdict.NEW_KEY
    if reason == Reason.UPLOAD_IN_PROGRESS:  # sent as ABORTED; waits for, or takes over, it
        return Verdict.RETRY
    if reason == Reason.UPLOAD_EXPIRED:  # swept or taken over meanwhile: the replay says which
        return Verdict.RETRY
    return Verdict.RETRY if code in _TRANSIENT else Verdict.REJECTED


def _artifact(file: ArtifactFile) -> artifact_pb2.Artifact:
    return artifact_pb2.Artifact(
        sha256=file.sha256, size_bytes=file.size_bytes, format=_FORMATS[file.format]
    )


def version_message(
    job: TrainingJob, outcome: TrainingOutcome, code_version: str
) -> model_version_pb2.ModelVersion:
    """The registry's ModelVersion for what ``job`` trained."""
    signature = signature_pb2.Signature(
        inputs=[
            signature_pb2.FeatureSpec(
                name=f.name,
                data_type=DATA_TYPES[f.data_type],
                kind=_KINDS[f.kind],
                categories=list(f.categories),
            )
            for f in outcome.inputs
        ],
        outputs=[
            signature_pb2.OutputSpec(
                name=o.name,
                data_type=DATA_TYPES[o.data_type],
                shape=list(o.shape),
                class_labels=[values.to_pb(label) for label in o.class_labels],
            )
            for o in outcome.outputs
        ],
        accepts_missing_values=outcome.accepts_missing_values,
    )
    versions = dict(outcome.framework_versions)
    framework = model_version_pb2.FrameworkVersions(
        python=versions.pop("python", ""),
        scikit_learn=versions.pop("scikit_learn", ""),
        numpy=versions.pop("numpy", ""),
        scipy=versions.pop("scipy", ""),
        skops=versions.pop("skops", ""),
        others=versions,
    )
    profile = reference_profile_pb2.ReferenceProfile(
        row_count=outcome.profile_row_count,
        features=[feature_stats_to_pb(s) for s in outcome.profile_features],
        outputs=[feature_stats_to_pb(s) for s in outcome.profile_outputs],
        target=feature_stats_to_pb(outcome.profile_target),
        sample_row_count=outcome.sample_row_count,
        sample=_artifact(outcome.sample),
    )
    params = dict(outcome.params)
    params.update(outcome.best_params)
    return model_version_pb2.ModelVersion(
        description=f"Trained by {job.name}" + (f": {job.reason}" if job.reason else ""),
        labels=job.labels,
        artifact=_artifact(outcome.model),
        signature=signature,
        framework_versions=framework,
        metrics=outcome.metrics,
        params=values.map_to_pb(params),
        lineage=lineage_pb2.Lineage(
            training_job=job.name,
            dataset=lineage_pb2.DatasetReference(
                uri=outcome.dataset.uri,
                sha256=outcome.dataset.sha256,
                row_count=outcome.dataset.row_count,
            ),
            code_version=code_version,
            random_seed=outcome.seed,
            parent_version=job.parent_version,
            created_by=job.created_by,
        ),
        reference_profile=profile,
    )


async def _upload_requests(
    job: TrainingJob,
    message: model_version_pb2.ModelVersion,
    out_dir: Path,
    outcome: TrainingOutcome,
    key: str,
) -> AsyncIterator[pb.CreateModelVersionRequest]:
    yield pb.CreateModelVersionRequest(
        metadata=pb.CreateModelVersionMetadata(
            parent=job.model, model_version=message, create_model=True, request_id=key
        )
    )
    for kind, file in (
        (artifact_pb2.ARTIFACT_KIND_MODEL, outcome.model),
        (artifact_pb2.ARTIFACT_KIND_REFERENCE_SAMPLE, outcome.sample),
    ):
        with (out_dir / file.filename).open("rb") as handle:
            while chunk := handle.read(CHUNK_BYTES):
                yield pb.CreateModelVersionRequest(
                    chunk=pb.ArtifactChunk(artifact_kind=kind, data=chunk)
                )


class Registrar:
    """Uploads trained versions and sets aliases, retrying what may succeed later."""

    def __init__(self, target: PeerTarget, *, retry_seconds: float, code_version: str) -> None:
        self._target = target
        self._retry_seconds = retry_seconds
        self._code_version = code_version

    async def register(
        self,
        job: TrainingJob,
        outcome: TrainingOutcome,
        out_dir: Path,
        *,
        new_key: Callable[[int], Awaitable[str]],
        between_tries: Callable[[], Awaitable[None]],
    ) -> str:
        """Registers the version (and its alias); returns the version name.

        ``new_key(n)`` stores and returns a fresh request id after a failed upload;
        ``between_tries`` runs while waiting (the heartbeat, which also notices cancels).
        """
        message = version_message(job, outcome, self._code_version)
        key = job.registration_key
        deadline = time.monotonic() + self._retry_seconds
        tries = 0
        last_error = ""
        async with self._target.channel() as channel:
            stub = pb_grpc.RegistryServiceStub(channel)
            while True:
                try:
                    response = await stub.CreateModelVersion(
                        _upload_requests(job, message, out_dir, outcome, key),
                        metadata=self._target.metadata(f"{job.job_id}.register"),
                        timeout=CALL_TIMEOUT_SECONDS,
                    )
                    version = response.model_version
                    break
                except grpc.aio.AioRpcError as error:
                    last_error = f"{error.code().name}: {error.details()}"
                    judged = verdict(error.code(), error_reason(error))
                    if judged is Verdict.NEW_KEY:
                        key = await new_key(tries + 1)  # the earlier upload can never finish
                    elif judged is Verdict.REJECTED:
                        raise TrainingFailed(
                            "registry_rejected", f"the registry refused the version: {last_error}"
                        ) from error
                if time.monotonic() >= deadline:
                    raise TrainingFailed(
                        "registry_unavailable",
                        f"could not register within {self._retry_seconds:g} s: {last_error}",
                        retryable=True,
                    )
                await between_tries()
                await asyncio.sleep(RETRY_DELAYS[min(tries, len(RETRY_DELAYS) - 1)])
                tries += 1
            if job.alias_on_success:
                await self._set_alias(stub, job, version.version_number, deadline)
        return str(version.name)

    async def _set_alias(
        self, stub: pb_grpc.RegistryServiceAsyncStub, job: TrainingJob, number: int, deadline: float
    ) -> None:
        reason = job.reason or f"trained by {job.name}"
        tries = 0
        while True:
            try:
                await stub.SetModelAlias(
                    pb.SetModelAliasRequest(
                        name=job.model,
                        alias=job.alias_on_success,
                        version_number=number,
                        reason=reason,
                        request_id=f"{job.job_id}.alias",
                    ),
                    metadata=self._target.metadata(f"{job.job_id}.alias"),
                    timeout=CALL_TIMEOUT_SECONDS,
                )
                return
            except grpc.aio.AioRpcError as error:
                detail = f"{error.code().name}: {error.details()}"
                name = f"{job.model}/versions/{number}"
                if verdict(error.code(), error_reason(error)) is not Verdict.RETRY:
                    raise TrainingFailed(
                        "registry_rejected",
                        f"registered {name}, but the registry refused "
                        f"alias {job.alias_on_success!r}: {detail}",
                    ) from error
                if time.monotonic() >= deadline:
                    raise TrainingFailed(
                        "registry_unavailable",
                        f"registered {name}, but could not set alias "
                        f"{job.alias_on_success!r}: {detail}",
                        retryable=True,
                    ) from error
            await asyncio.sleep(RETRY_DELAYS[min(tries, len(RETRY_DELAYS) - 1)])
            tries += 1
