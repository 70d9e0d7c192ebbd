"""``MonitoringClient``: ground truth, reports, policies and alerts."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime

import grpc
from google.protobuf import timestamp_pb2

from slipway.client.calls import Caller
from slipway.client.requests import field_mask, idempotency_key, model_name, timestamp
from slipway.monitoring.v1 import (
    alert_pb2,
    monitoring_policy_pb2,
    monitoring_report_pb2,
    prediction_record_pb2,
)
from slipway.monitoring.v1 import monitoring_service_pb2 as pb
from slipway.monitoring.v1 import monitoring_service_pb2_grpc as pb_grpc

MonitoringPolicy = monitoring_policy_pb2.MonitoringPolicy
Alert = alert_pb2.Alert
Time = datetime | timestamp_pb2.Timestamp


def compute_report_request(
    model_version: str, *, policy: str, start_time: Time | None, end_time: Time | None
) -> pb.ComputeMonitoringReportRequest:
    return pb.ComputeMonitoringReportRequest(
        model_version=model_version,
        policy=policy,
        start_time=timestamp(start_time),
        end_time=timestamp(end_time),
    )


def watch_alerts_request(
    model: str, include_firing: bool, after_sequence: int | None
) -> pb.WatchAlertsRequest:
    request = pb.WatchAlertsRequest(
        model=model_name(model) if model else "", include_firing=include_firing
    )
    if after_sequence is not None:
        request.after_sequence = after_sequence
    return request


def after_alert_change(
    request: pb.WatchAlertsRequest, last: pb.WatchAlertsResponse
) -> pb.WatchAlertsRequest:
    """The request that resumes an alert watch after the last change received: changes are
    stored, so none is lost or repeated. A break while the firing alerts were being sent starts
    them again (some are then received twice, none missed)."""
    if last.transition == pb.ALERT_TRANSITION_EXISTING:
        return pb.WatchAlertsRequest(model=request.model, include_firing=True)
    return pb.WatchAlertsRequest(model=request.model, after_sequence=last.sequence)


class MonitoringClient:
    """The monitoring service (``slipway.monitoring.v1.MonitoringService``), blocking.

    Policies are named ``monitoringPolicies/{id}``, alerts ``alerts/{id}``. ``timeout`` and
    ``request_id`` work as in ``RegistryClient``. Prediction logs come from serving, not from
    this client.
    """

    def __init__(self, channel: grpc.Channel, caller: Caller) -> None:
        self._stub = pb_grpc.MonitoringServiceStub(channel)
        self._call = caller

    def ingest_ground_truth(
        self,
        ground_truths: Sequence[prediction_record_pb2.GroundTruth],
        *,
        request_id: str | None = None,
        timeout: float | None = None,
    ) -> pb.IngestGroundTruthResponse:
        """Send true labels of earlier predictions (at most 10000 per call; build them with
        ``slipway.client.ground_truth``). Returns how many joined, wait or were rejected."""
        key = idempotency_key(request_id)
        return self._call.unary(
            self._stub.IngestGroundTruth,
            pb.IngestGroundTruthRequest(ground_truths=ground_truths, request_id=key),
            timeout=timeout,
            idempotent=bool(key),
            key=key,
        )

    def compute_report(
        self,
        model_version: str,
        *,
        policy: str = "",
        start_time: Time | None = None,
        end_time: Time | None = None,
        timeout: float | None = None,
    ) -> monitoring_report_pb2.MonitoringReport:
        """The drift, data quality and performance report of a version over the policy's window
        (or ``start_time``..``end_time``), computed now and not stored."""
        return self._call.unary(
            self._stub.ComputeMonitoringReport,
            compute_report_request(
                model_version, policy=policy, start_time=start_time, end_time=end_time
            ),
            timeout=timeout,
            idempotent=True,
        ).report

    def get_report(
        self, name: str, *, timeout: float | None = None
    ) -> monitoring_report_pb2.MonitoringReport:
        """A stored report, ``monitoringReports/{id}``: the one an alert names in ``report``."""
        return self._call.unary(
            self._stub.GetMonitoringReport,
            pb.GetMonitoringReportRequest(name=name),
            timeout=timeout,
            idempotent=True,
        ).report

    # Policies

    def create_policy(
        self,
        policy: MonitoringPolicy,
        *,
        policy_id: str = "",
        reason: str = "",
        request_id: str | None = None,
        timeout: float | None = None,
    ) -> MonitoringPolicy:
        """Create a policy (id chosen by the service when ``policy_id`` is empty)."""
        key = idempotency_key(request_id)
        return self._call.unary(
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
        ).monitoring_policy

    def get_policy(self, name: str, *, timeout: float | None = None) -> MonitoringPolicy:
        """One policy."""
        return self._call.unary(
            self._stub.GetMonitoringPolicy,
            pb.GetMonitoringPolicyRequest(name=name),
            timeout=timeout,
            idempotent=True,
        ).monitoring_policy

    def list_policies(
        self,
        *,
        filter: str = "",
        order_by: str = "",
        page_size: int = 0,
        timeout: float | None = None,
    ) -> Iterator[MonitoringPolicy]:
        """Every policy matching ``filter`` (AIP-160, e.g. ``model = "models/churn"``), in
        ``order_by`` order (default by name), page by page (``timeout`` per page)."""
        return self._call.pages(
            self._stub.ListMonitoringPolicies,
            pb.ListMonitoringPoliciesRequest(filter=filter, order_by=order_by, page_size=page_size),
            lambda reply: reply.monitoring_policies,
            timeout=timeout,
        )

    def update_policy(
        self,
        policy: MonitoringPolicy,
        update_mask: Sequence[str],
        *,
        reason: str = "",
        request_id: str | None = None,
        timeout: float | None = None,
    ) -> MonitoringPolicy:
        """Change the fields named in ``update_mask`` (``*``: every field that is not output
        only); with ``policy.etag`` set, Aborted when the policy changed since."""
        key = idempotency_key(request_id)
        return self._call.unary(
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
        ).monitoring_policy

    def delete_policy(
        self,
        name: str,
        *,
        etag: str = "",
        reason: str = "",
        request_id: str | None = None,
        timeout: float | None = None,
    ) -> None:
        """Delete a policy; its alerts and reports are kept."""
        key = idempotency_key(request_id)
        self._call.unary(
            self._stub.DeleteMonitoringPolicy,
            pb.DeleteMonitoringPolicyRequest(name=name, etag=etag, reason=reason, request_id=key),
            timeout=timeout,
            idempotent=bool(key),
            key=key,
        )

    # Alerts

    def get_alert(self, name: str, *, timeout: float | None = None) -> Alert:
        """One alert."""
        return self._call.unary(
            self._stub.GetAlert, pb.GetAlertRequest(name=name), timeout=timeout, idempotent=True
        ).alert

    def list_alerts(
        self,
        *,
        filter: str = "",
        order_by: str = "",
        page_size: int = 0,
        timeout: float | None = None,
    ) -> Iterator[Alert]:
        """Every alert matching ``filter`` (AIP-160, e.g. ``model = "models/churn" AND state =
        FIRING``), in ``order_by`` order (default ``fire_time desc``, the newest first), page by
        page (``timeout`` per page)."""
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
    ) -> Iterator[pb.WatchAlertsResponse]:
        """Alert changes (fired, updated, resolved, each with its ``transition`` and
        ``sequence``) as they happen, the alerts firing now first with ``include_firing``, until
        the caller stops iterating or ``timeout`` (default none) passes.

        With ``after_sequence`` (the ``sequence`` of the last change processed), stored changes
        after it come first. A stream broken by UNAVAILABLE is resumed after the last change
        received.
        """
        return self._call.stream(
            self._stub.WatchAlerts,
            watch_alerts_request(model, include_firing, after_sequence),
            timeout=timeout,
            resume=after_alert_change,
        )
