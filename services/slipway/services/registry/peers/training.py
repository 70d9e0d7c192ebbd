"""The training service's record of a job, to verify a new version's producer, over its gRPC API;
and :class:`PeerLocator`, how the registry process finds and reaches a peer service.

Where a peer listens is looked up at each call: its flag when given, else the suite file
`slipway up` writes once every service is SERVING (training and monitoring start after the
registry, possibly on free ports). Every failure becomes a :class:`PeerError` naming the
service and why.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import grpc

from slipway.core.context import current_request_id
from slipway.core.peers import PeerTarget
from slipway.services.registry.domain.provenance import JobRecord, PeerError, PeerUnreachableError
from slipway.training.v1 import training_job_pb2
from slipway.training.v1 import training_service_pb2 as training_pb
from slipway.training.v1 import training_service_pb2_grpc as training_grpc

CALL_TIMEOUT = 10.0
UNREACHABLE = frozenset({grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED})
# A job holding its version's registration: a cancel may arrive during the upload.
REGISTERING_STATES = frozenset(
    {training_job_pb2.TRAINING_JOB_STATE_RUNNING, training_job_pb2.TRAINING_JOB_STATE_CANCELLING}
)


class PeerLocator:
    """One peer service: its address (the flag, else the suite file), token and CA, and one
    open channel to its current address."""

    def __init__(
        self,
        service: str,
        target: str = "",
        *,
        suite_file: Path | None = None,
        token_file: Path | None = None,
        tls_ca_file: Path | None = None,
    ) -> None:
        self.service = service
        self._target = target
        self._suite_file = suite_file
        self._token_file = token_file
        self._tls_ca_file = tls_ca_file
        self._peer: PeerTarget | None = None
        self._channel: grpc.aio.Channel | None = None
        self._retired: list[grpc.aio.Channel] = []  # to earlier addresses; closed at the end

    def _address(self) -> str:
        if self._target:
            return self._target
        if self._suite_file is not None:
            try:
                suite = json.loads(self._suite_file.read_text())
                return str(suite["services"][self.service]["grpc_address"])
            except (OSError, ValueError, KeyError, TypeError):
                pass  # no suite running (yet): the same as not configured
        raise PeerError(f"the {self.service} service is not configured (--{self.service}-target)")

    def channel(self) -> tuple[PeerTarget, grpc.aio.Channel]:
        """The peer's current address and a channel to it (kept open across calls)."""
        address = self._address()
        if self._peer is None or self._channel is None or self._peer.target != address:
            if self._channel is not None:
                self._retired.append(self._channel)  # calls in flight may still use it
                self._channel = None
            peer = PeerTarget(address, self._token_file, self._tls_ca_file)
            try:
                self._channel = peer.channel()
            except OSError as error:  # the CA file
                raise PeerError(
                    f"cannot open a channel to the {self.service} service: "
                    f"{error.strerror or error}"
                ) from error
            self._peer = peer
        return self._peer, self._channel

    async def close(self) -> None:
        channels = [*self._retired, *([self._channel] if self._channel is not None else [])]
        self._retired, self._channel, self._peer = [], None, None
        for channel in channels:
            await channel.close()


def call_metadata(peer: PeerTarget) -> tuple[tuple[str, str], ...]:
    return peer.metadata(current_request_id() or uuid.uuid4().hex)


def peer_problem(
    peer: PeerTarget, service: str, error: grpc.aio.AioRpcError, what: str
) -> PeerError:
    code = error.code()
    if code in UNREACHABLE:
        return PeerError(f"the {service} service at {peer.target} is unreachable ({code.name})")
    if code == grpc.StatusCode.NOT_FOUND:
        return PeerError(f"the {service} service does not know {what}")
    return PeerError(
        f"the {service} service refused to give {what}: {code.name} "
        f"{error.details() or ''}".rstrip()
    )


class TrainingJobRecords:
    """:class:`~slipway.services.registry.domain.provenance.JobRecords` over training's gRPC
    API."""

    def __init__(self, training: PeerLocator) -> None:
        self._training = training

    async def job_record(self, name: str) -> JobRecord:
        """The training service's record of ``name``, to verify a version's producer: a
        missing job (or no training service configured) is a :class:`PeerError`; any other
        failure a :class:`PeerUnreachableError`, since the upload can be retried."""
        peer, channel = self._training.channel()
        try:
            reply = await training_grpc.TrainingServiceStub(channel).GetTrainingJob(
                training_pb.GetTrainingJobRequest(name=name),
                metadata=call_metadata(peer),
                timeout=CALL_TIMEOUT,
            )
        except grpc.aio.AioRpcError as error:
            problem = peer_problem(peer, "training", error, name)
            if error.code() in (grpc.StatusCode.NOT_FOUND, grpc.StatusCode.INVALID_ARGUMENT):
                raise problem from error
            raise PeerUnreachableError(str(problem)) from error
        job = reply.training_job
        return JobRecord(
            name=job.name,
            model=job.model,
            registering=job.state in REGISTERING_STATES
            and job.progress.stage == training_job_pb2.TRAINING_STAGE_REGISTERING,
            created_by=job.created_by,
            parent_version=job.parent_version,
            alias_on_success=job.alias_on_success,
        )
