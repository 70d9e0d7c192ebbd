"""The MonitoringService servicer: decode and check requests, call the domain, encode answers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import aclosing
from datetime import UTC, datetime
from typing import Any, ClassVar, TypeVar

from slipway.core.blocking import run_blocking
from slipway.core.context import current_principal
from slipway.core.errors import InvalidArgumentError
from slipway.core.fanout import Feed
from slipway.core.handlers import Context
from slipway.core.masks import resolve_update_mask
from slipway.core.names import MODEL_ID, version_ref
from slipway.core.ordering import Page
from slipway.core.pagination import decode_page_token, encode_page_token, page_size
from slipway.core.reasons import Reason
from slipway.core.values import valid_timestamp
from slipway.monitoring.v1 import monitoring_service_pb2 as pb
from slipway.services.monitoring.domain.alerts import (
    AlertEvent,
    Alerts,
    alert_id_of,
    report_id_of,
)
from slipway.services.monitoring.domain.evaluation import Evaluator
from slipway.services.monitoring.domain.ingestion import BatchResult, Ingestion
from slipway.services.monitoring.domain.policies import MUTABLE_FIELDS, Policies, policy_id_of
from slipway.services.monitoring.messages import (
    IngestPredictionsRequestView,
    alert_to_pb,
    ground_truth_from_pb,
    logged_records,
    policy_from_pb,
    policy_to_pb,
    report_to_pb,
)
from slipway.services.monitoring.metrics import MonitoringMetrics

T = TypeVar("T")
TRANSITIONS = {
    "fired": pb.ALERT_TRANSITION_FIRED,
    "updated": pb.ALERT_TRANSITION_UPDATED,
    "resolved": pb.ALERT_TRANSITION_RESOLVED,
}
WATCH_POLL_SECONDS = 0.5  # how often a watcher looks for changes made by other processes


def _model(name: str, field: str) -> str:
    if name and (not name.startswith("models/") or not MODEL_ID.fullmatch(name[len("models/") :])):
        raise InvalidArgumentError.for_field(
            field, "must look like models/{model}", reason=Reason.INVALID_FILTER
        )
    return name


def _time(request: Any, field: str) -> datetime | None:
    """The request's timestamp ``field``, None when unset; out of range is the caller's error,
    not a ValueError from the conversion."""
    if not request.HasField(field):
        return None
    stamp = getattr(request, field)
    if not valid_timestamp(stamp):
        raise InvalidArgumentError.for_field(
            field, "must lie within years 1 to 9999", reason=Reason.INVALID_TIME
        )
    time: datetime = stamp.ToDatetime(tzinfo=UTC)
    return time


class MonitoringServicer:
    """``slipway.monitoring.v1.MonitoringService``."""

    # Ingest decodes a batch's records by their envelopes, tensors left as they arrived.
    REQUEST_VIEWS: ClassVar[dict[str, Any]] = {"IngestPredictions": IngestPredictionsRequestView}

    def __init__(
        self,
        ingestion: Ingestion,
        policies: Policies,
        alerts: Alerts,
        evaluator: Evaluator,
        metrics: MonitoringMetrics,
    ) -> None:
        self._ingestion = ingestion
        self._policies = policies
        self._alerts = alerts
        self._evaluator = evaluator
        self._metrics = metrics
        # One reader of the alert stream for every WatchAlerts stream of this process, each
        # keeping its model's changes: N streams cost one read per poll, not N.
        self._watchers: Feed[AlertEvent] = Feed(
            alerts.events_after,
            lambda event: event.sequence,
            alerts.position,
            poll_seconds=WATCH_POLL_SECONDS,
        )

    # --- ingestion --------------------------------------------------------------------------

    async def IngestPredictions(
        self, request_iterator: AsyncIterator[Any], context: Context
    ) -> pb.IngestPredictionsResponse:
        """The requests are ``IngestPredictionsRequestView`` messages (``REQUEST_VIEWS``)."""
        actor = current_principal()
        accepted = rows = rejected = 0
        async for batch in request_iterator:  # one transaction per batch, not per stream
            result = await self._ingestion.receive_predictions(
                actor,
                logged_records(batch),
                dropped=batch.dropped_record_count,
                sender=batch.sender,
                request_id=batch.request_id,
            )
            accepted += result.accepted
            rows += result.rows
            rejected += result.rejected
            self._count(batch, result)
        return pb.IngestPredictionsResponse(
            accepted_record_count=accepted, accepted_row_count=rows, rejected_record_count=rejected
        )

    def _count(self, batch: Any, result: BatchResult) -> None:
        metrics = self._metrics
        if batch.dropped_record_count > 0:
            metrics.sender_dropped.labels(current_principal().name).inc(batch.dropped_record_count)
        if result.rejected:
            metrics.rejected_records.inc(result.rejected)
        for reason, count in result.labels_rejected.items():
            metrics.labels.labels("rejected").inc(count)
            metrics.rejected_labels.labels(reason).inc(count)
        for model, records, rows in result.by_model:
            metrics.ingested_records.labels(model).inc(records)
            metrics.ingested_rows.labels(model).inc(rows)

    async def IngestGroundTruth(
        self, request: pb.IngestGroundTruthRequest, context: Context
    ) -> pb.IngestGroundTruthResponse:
        result = await self._ingestion.receive_ground_truth(
            current_principal(),
            [ground_truth_from_pb(t) for t in request.ground_truths],
            request_id=request.request_id,
        )
        for outcome, count in (
            ("matched", result.matched),
            ("pending", result.pending),
            ("rejected", result.rejected),
        ):
            if count:
                self._metrics.labels.labels(outcome).inc(count)
        for reason, count in result.rejected_by_reason.items():
            self._metrics.rejected_labels.labels(reason).inc(count)
        return pb.IngestGroundTruthResponse(
            matched_count=result.matched,
            pending_count=result.pending,
            rejected_count=result.rejected,
        )

    # --- reports ----------------------------------------------------------------------------

    async def GetMonitoringReport(
        self, request: pb.GetMonitoringReportRequest, context: Context
    ) -> pb.GetMonitoringReportResponse:
        report_id_of(request.name, "name")
        return pb.GetMonitoringReportResponse(
            report=report_to_pb(await run_blocking(self._alerts.report, request.name))
        )

    async def ComputeMonitoringReport(
        self, request: pb.ComputeMonitoringReportRequest, context: Context
    ) -> pb.ComputeMonitoringReportResponse:
        if not request.model_version:
            raise InvalidArgumentError.for_field(
                "model_version", "is required", reason=Reason.INVALID_NAME
            )
        ref = version_ref(request.model_version, "model_version")
        model = f"models/{ref.model_id}"
        start, end = _time(request, "start_time"), _time(request, "end_time")
        if start is not None and end is not None and start >= end:
            raise InvalidArgumentError.for_field(
                "end_time", "must be after start_time", reason=Reason.INVALID_WINDOW
            )
        policy_id = policy_id_of(request.policy, "policy") if request.policy else ""
        report = await self._evaluator.report_for(
            request.model_version, model, policy_id=policy_id, start=start, end=end
        )
        return pb.ComputeMonitoringReportResponse(report=report_to_pb(report))

    # --- policies ---------------------------------------------------------------------------

    async def CreateMonitoringPolicy(
        self, request: pb.CreateMonitoringPolicyRequest, context: Context
    ) -> pb.CreateMonitoringPolicyResponse:
        policies = self._policies
        if not request.HasField("monitoring_policy"):
            raise InvalidArgumentError.for_field(
                "monitoring_policy", "is required", reason=Reason.INVALID_POLICY
            )
        created = await policies.create(
            current_principal(),
            policy_from_pb(request.monitoring_policy),
            policy_id=request.monitoring_policy_id,
            reason=request.reason,
            request_id=request.request_id,
        )
        return pb.CreateMonitoringPolicyResponse(monitoring_policy=policy_to_pb(created))

    async def GetMonitoringPolicy(
        self, request: pb.GetMonitoringPolicyRequest, context: Context
    ) -> pb.GetMonitoringPolicyResponse:
        policy = await run_blocking(self._policies.get, policy_id_of(request.name))
        return pb.GetMonitoringPolicyResponse(monitoring_policy=policy_to_pb(policy))

    async def ListMonitoringPolicies(
        self, request: pb.ListMonitoringPoliciesRequest, context: Context
    ) -> pb.ListMonitoringPoliciesResponse:
        # The method is part of what a token is bound to: both Lists' cursors look alike.
        parameters = {"list": "policies", "filter": request.filter, "order_by": request.order_by}
        cursor = decode_page_token(request.page_token, parameters)
        page: Page = await run_blocking(
            self._policies.list_policies,
            request.filter,
            request.order_by,
            cursor,
            page_size(request.page_size),
        )
        token = encode_page_token(page.next_cursor, parameters) if page.next_cursor else ""
        return pb.ListMonitoringPoliciesResponse(
            monitoring_policies=[policy_to_pb(p) for p in page.items], next_page_token=token
        )

    async def UpdateMonitoringPolicy(
        self, request: pb.UpdateMonitoringPolicyRequest, context: Context
    ) -> pb.UpdateMonitoringPolicyResponse:
        if not request.HasField("monitoring_policy"):
            raise InvalidArgumentError.for_field(
                "monitoring_policy", "is required", reason=Reason.INVALID_POLICY
            )
        updated = await self._policies.update(
            current_principal(),
            policy_from_pb(request.monitoring_policy),
            sorted(
                resolve_update_mask(
                    request.update_mask.paths, MUTABLE_FIELDS, request.monitoring_policy
                )
            ),
            reason=request.reason,
            request_id=request.request_id,
        )
        return pb.UpdateMonitoringPolicyResponse(monitoring_policy=policy_to_pb(updated))

    async def DeleteMonitoringPolicy(
        self, request: pb.DeleteMonitoringPolicyRequest, context: Context
    ) -> pb.DeleteMonitoringPolicyResponse:
        resolved = await run_blocking(
            self._policies.delete,
            current_principal(),
            policy_id_of(request.name),
            etag=request.etag,
            reason=request.reason,
            request_id=request.request_id,
        )
        for change in resolved:
            self._metrics.observe_alert(change.alert, change.transition)
        if resolved:
            self.notify()
        return pb.DeleteMonitoringPolicyResponse()

    # --- alerts -----------------------------------------------------------------------------

    async def GetAlert(self, request: pb.GetAlertRequest, context: Context) -> pb.GetAlertResponse:
        alert_id_of(request.name)
        return pb.GetAlertResponse(
            alert=alert_to_pb(await run_blocking(self._alerts.get, request.name))
        )

    async def ListAlerts(
        self, request: pb.ListAlertsRequest, context: Context
    ) -> pb.ListAlertsResponse:
        parameters = {"list": "alerts", "filter": request.filter, "order_by": request.order_by}
        cursor = decode_page_token(request.page_token, parameters)
        page: Page = await run_blocking(
            self._alerts.list_alerts,
            request.filter,
            request.order_by,
            cursor,
            page_size(request.page_size),
        )
        token = encode_page_token(page.next_cursor, parameters) if page.next_cursor else ""
        return pb.ListAlertsResponse(
            alerts=[alert_to_pb(a) for a in page.items], next_page_token=token
        )

    async def WatchAlerts(
        self, request: pb.WatchAlertsRequest, context: Context
    ) -> AsyncIterator[pb.WatchAlertsResponse]:
        alerts = self._alerts
        model = _model(request.model, "model")
        if request.HasField("after_sequence"):
            if request.after_sequence < 0:
                raise InvalidArgumentError.for_field(
                    "after_sequence", "must not be negative", reason=Reason.INVALID_SEQUENCE
                )
            if request.include_firing:
                # A resumed watch has seen the firing alerts; sending them again as EXISTING,
                # out of sequence order, would make the stream ambiguous.
                raise InvalidArgumentError.for_field(
                    "include_firing",
                    "cannot be combined with after_sequence",
                    reason=Reason.INVALID_SEQUENCE,
                )
            after = request.after_sequence
        elif request.include_firing:
            firing, after = await run_blocking(alerts.firing, model)
            for alert in firing:
                yield pb.WatchAlertsResponse(
                    alert=alert_to_pb(alert),
                    transition=pb.ALERT_TRANSITION_EXISTING,
                    sequence=after,
                )
        else:
            after = await run_blocking(alerts.position)

        def wanted(event: AlertEvent) -> bool:
            return event.change is not None and (not model or event.model == model)

        async with aclosing(self._watchers.watch(after, wanted)) as batches:
            async for events in batches:
                for event in events:
                    change = event.change
                    assert change is not None  # only changes are wanted
                    yield pb.WatchAlertsResponse(
                        alert=alert_to_pb(change.alert),
                        transition=TRANSITIONS[change.transition],
                        sequence=event.sequence,
                    )
        # Shutting down: the stream ends; the watcher reconnects (elsewhere) after its sequence.

    def notify(self) -> None:
        """Alerts changed in this process: wake the watchers (others find out by polling)."""
        self._watchers.notify()

    def stop_watchers(self) -> None:
        self._watchers.stop()
