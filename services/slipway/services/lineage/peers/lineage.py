"""Training jobs and monitoring alerts for lineage reports, over the peers' gRPC APIs.

The peers are found and reached the way the registry process reaches training
(:class:`~slipway.services.registry.peers.training.PeerLocator`). Every failure becomes a
:class:`PeerError` naming the service and why, which the report turns into a warning.
"""

from __future__ import annotations

from datetime import UTC

import grpc

from slipway.client.requests import quote
from slipway.monitoring.v1 import alert_pb2
from slipway.monitoring.v1 import monitoring_service_pb2 as monitoring_pb
from slipway.monitoring.v1 import monitoring_service_pb2_grpc as monitoring_grpc
from slipway.services.lineage.domain.lineage import PeerAlert, PeerJob
from slipway.services.registry.peers.training import PeerLocator, call_metadata, peer_problem
from slipway.training.v1 import training_job_pb2
from slipway.training.v1 import training_service_pb2 as training_pb
from slipway.training.v1 import training_service_pb2_grpc as training_grpc

CALL_TIMEOUT = 10.0
PAGE_SIZE = 100
RETRAINING_TRIGGERS = frozenset(
    {training_job_pb2.TRAINING_TRIGGER_DRIFT, training_job_pb2.TRAINING_TRIGGER_PERFORMANCE}
)


def _alert(message: alert_pb2.Alert) -> PeerAlert[alert_pb2.Alert]:
    fired = message.fire_time.ToDatetime(tzinfo=UTC) if message.HasField("fire_time") else None
    return PeerAlert(message.name, fired, message, message.policy)


class LineageSources:
    """:class:`~slipway.services.lineage.domain.lineage.LineagePeers` over gRPC."""

    def __init__(self, training: PeerLocator, monitoring: PeerLocator) -> None:
        self._training = training
        self._monitoring = monitoring

    async def training_job(self, name: str) -> PeerJob[training_job_pb2.TrainingJob]:
        peer, channel = self._training.channel()
        try:
            reply = await training_grpc.TrainingServiceStub(channel).GetTrainingJob(
                training_pb.GetTrainingJobRequest(name=name),
                metadata=call_metadata(peer),
                timeout=CALL_TIMEOUT,
            )
        except grpc.aio.AioRpcError as error:
            raise peer_problem(peer, "training", error, name) from error
        job = reply.training_job
        started_by = (
            job.trigger_source
            if (job.trigger in RETRAINING_TRIGGERS and job.trigger_source.startswith("alerts/"))
            else ""
        )
        return PeerJob(job, started_by, job.model_version)

    async def alerts_on(
        self, version: str, limit: int
    ) -> tuple[list[PeerAlert[alert_pb2.Alert]], bool]:
        peer, channel = self._monitoring.channel()
        stub = monitoring_grpc.MonitoringServiceStub(channel)
        alerts: list[PeerAlert[alert_pb2.Alert]] = []
        token = ""
        try:
            while True:
                reply = await stub.ListAlerts(
                    monitoring_pb.ListAlertsRequest(
                        filter=f"model_version = {quote(version)}",
                        page_size=PAGE_SIZE,
                        page_token=token,
                    ),
                    metadata=call_metadata(peer),
                    timeout=CALL_TIMEOUT,
                )
                alerts.extend(_alert(a) for a in reply.alerts)  # newest first
                token = reply.next_page_token
                if not token or len(alerts) >= limit:
                    break
        except grpc.aio.AioRpcError as error:
            raise peer_problem(peer, "monitoring", error, f"the alerts on {version}") from error
        return alerts[:limit], len(alerts) > limit or bool(token)

    async def alert(self, name: str) -> PeerAlert[alert_pb2.Alert]:
        peer, channel = self._monitoring.channel()
        try:
            reply = await monitoring_grpc.MonitoringServiceStub(channel).GetAlert(
                monitoring_pb.GetAlertRequest(name=name),
                metadata=call_metadata(peer),
                timeout=CALL_TIMEOUT,
            )
        except grpc.aio.AioRpcError as error:
            raise peer_problem(peer, "monitoring", error, name) from error
        return _alert(reply.alert)
