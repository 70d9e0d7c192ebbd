"""``MonitoringClient`` for asyncio: ``slipway.client.MonitoringClient`` with async methods."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence

import grpc

from slipway.client.aio.calls import AsyncCaller
from slipway.client.monitoring import (
    Alert,
    MonitoringPolicy,
    Time,
    after_alert_change,
    compute_report_request,
    watch_alerts_request,
)
from slipway.client.requests import field_mask, idempotency_key
from slipway.monitoring.v1 import monitoring_report_pb2, prediction_record_pb2
from slipway.monitoring.v1 import monitoring_service_pb2 as pb
from slipway.monitoring.v1 import monitoring_service_pb2_grpc as pb_grpc


class MonitoringClient:
    """The monitoring service, for asyncio; see ``slipway.client.MonitoringClient``."""

    def __init__(self, channel: grpc.aio.Channel, caller: AsyncCaller) -> None:
        self._stub = pb_grpc.MonitoringServiceStub(channel)
        self._call = caller

    async def ingest_ground_truth(
        self,
        ground_truths: Sequence[prediction_record_pb2.GroundTruth],
        *,
        request_id: str | None = None,
        timeout: float | None = None,
    ) -> pb.IngestGroundTruthResponse:
        """Send true labels of earlier predictions."""
        key = idempotency_key(request_id)
        return await self._call.unary(
            self._stub.IngestGroundTruth,
            pb.IngestGroundTruthRequest(ground_truths=ground_truths, request_id=key),
            timeout=timeout,
            idempotent=bool(key),
            key=key,
        )

    async def compute_report(
        self,
        model_version: str,
        *,
        policy: str = "",
        start_time: Time | None = None,
        end_time: Time | None = None,
        timeout: float | None = None,
    ) -> monitoring_report_pb2.MonitoringReport:
        """The monitoring report of a version over a window, computed now."""
        reply = await self._call.unary(
            self._stub.ComputeMonitoringReport,
            compute_report_request(
                model_version, policy=policy, start_time=start_time, end_time=end_time
            ),
            timeout=timeout,
            idempotent=True,
        )
        return reply.report

    async def get_report(
        self, name: str, *, timeout: float | None = None
    ) -> monitoring_report_pb2.MonitoringReport:
        """A stored report, ``monitoringReports/{id}``."""
        reply = await self._call.unary(
            self._stub.GetMonitoringReport,
            pb.GetMonitoringReportRequest(name=name),
            timeout=timeout,
            idempotent=True,
        )
        return reply.report

    async def create_policy(
        self,
        policy: MonitoringPolicy,
        *,
        policy_id: str = "",
        reason: str = "",
        request_id: str | None = None,
        timeout: float | None = None,
    ) -> MonitoringPolicy:
        """Create a policy."""
        key = idempotency_key(request_id)
        reply = await self._call.unary(
            self._stub.CreateMonitoringPolicy,
            pb.CreateMonitoringPolicyRequest(
                monitoring_policy=policy,
                monitoring_policy_id=policy_id,
                reason=reason,
                request_id=key,
            ),
            timeout=timeout,
            idempotent=bool(key),
            key=key,
        )
        return reply.monitoring_policy

    async def get_policy(self, name: str, *, timeout: float | None = None) -> MonitoringPolicy:
        """One policy."""
        reply = await self._call.unary(
            self._stub.GetMonitoringPolicy,
            pb.GetMonitoringPolicyRequest(name=name),
            timeout=timeout,
            idempotent=True,
        )
        return reply.monitoring_policy

    def list_policies(
        self,
        *,
        filter: str = "",
        order_by: str = "",
        page_size: int = 0,
        timeout: float | None = None,
    ) -> AsyncIterator[MonitoringPolicy]:
        """Every policy matching ``filter``, in ``order_by`` order, page by page."""
        return self._call.pages(
            self._stub.ListMonitoringPolicies,
            pb.ListMonitoringPoliciesRequest(filter=filter, order_by=order_by, page_size=page_size),
            lambda reply: reply.monitoring_policies,
            timeout=timeout,
        )

    async def update_policy(
        self,
        policy: MonitoringPolicy,
        update_mask: Sequence[str],
        *,
        reason: str = "",
        request_id: str | None = None,
        timeout: float | None = None,
    ) -> MonitoringPolicy:
        """Change the fields named in ``update_mask``."""
        key = idempotency_key(request_id)
        reply = await self._call.unary(
            self._stub.UpdateMonitoringPolicy,
            pb.UpdateMonitoringPolicyRequest(
                monitoring_policy=policy,
                update_mask=field_mask(update_mask),
                reason=reason,
                request_id=key,
            ),
            timeout=timeout,
            idempotent=bool(key),
            key=key,
        )
        return reply.monitoring_policy

    async def delete_policy(
        self,
        name: str,
        *,
        etag: str = "",
        reason: str = "",
        request_id: str | None = None,
        timeout: float | None = None,
    ) -> None:
        """Delete a policy."""
        key = idempotency_key(request_id)
        await self._call.unary(
            self._stub.DeleteMonitoringPolicy,
            pb.DeleteMonitoringPolicyRequest(name=name, etag=etag, reason=reason, request_id=key),
            timeout=timeout,
            idempotent=bool(key),
            key=key,
        )

    async def get_alert(self, name: str, *, timeout: float | None = None) -> Alert:
        """One alert."""
        reply = await self._call.unary(
            self._stub.GetAlert, pb.GetAlertRequest(name=name), timeout=timeout, idempotent=True
        )
        return reply.alert

    def list_alerts(
        self,
        *,
        filter: str = "",
        order_by: str = "",
        page_size: int = 0,
        timeout: float | None = None,
    ) -> AsyncIterator[Alert]:
        """Every alert matching ``filter``, in ``order_by`` order, page by page."""
        return self._call.pages(
            self._stub.ListAlerts,
            pb.ListAlertsRequest(filter=filter, order_by=order_by, page_size=page_size),
            lambda reply: reply.alerts,
            timeout=timeout,
        )

    def watch_alerts(
        self,
        *,
        model: str = "",
        include_firing: bool = False,
        after_sequence: int | None = None,
        timeout: float | None = None,
    ) -> AsyncIterator[pb.WatchAlertsResponse]:
        """Alert changes as they happen; resumed after the last one on UNAVAILABLE."""
        return self._call.stream(
            self._stub.WatchAlerts,
            watch_alerts_request(model, include_firing, after_sequence),
            timeout=timeout,
            resume=after_alert_change,
        )
