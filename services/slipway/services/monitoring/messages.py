"""Protobuf <-> monitoring domain objects (policies, reports, alerts, prediction records).
Symmetric; protobuf never enters the domain. The servicer decodes and encodes with these, and
the repository with them keeps policies, reports, alerts and records as their message bytes:
the stored documents are the wire's messages, so this mapping sits beside both layers rather
than inside api/ (storage never imports api; see docs/decisions).

Enum values this server does not know become None on the way in, so that the domain's checks
name them (``check_policy``, ``logged_problem``); they are never stored.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from google.protobuf import (
    descriptor_pb2,
    descriptor_pool,
    duration_pb2,
    json_format,
    message_factory,
    timestamp_pb2,
)
from google.protobuf.message import DecodeError

from slipway.common.v1 import feature_pb2, tensor_pb2
from slipway.core.values import MAX_TIMESTAMP_SECONDS, MIN_TIMESTAMP_SECONDS, valid_timestamp
from slipway.ml.profile_messages import KIND_NAMES, KINDS, feature_stats_to_pb
from slipway.ml.profiles import FeatureStats, Histogram
from slipway.ml.tensors import DATA_TYPE_NAMES, DATA_TYPES
from slipway.monitoring.v1 import alert_pb2, drift_pb2, prediction_record_pb2
from slipway.monitoring.v1 import monitoring_policy_pb2 as policy_pb2
from slipway.monitoring.v1 import monitoring_report_pb2 as report_pb2
from slipway.services.monitoring.domain.entities import (
    Alert,
    AlertKind,
    AlertState,
    ConceptDriftDetector,
    ConceptDriftResult,
    DataQuality,
    DataQualitySettings,
    DatasetDrift,
    DriftMethod,
    DriftSettings,
    DriftTest,
    EstimatedMetric,
    EstimationMethod,
    FeatureDrift,
    FeatureQuality,
    GroundTruth,
    LoggedRecord,
    MetricComparison,
    MetricThreshold,
    MultivariateDrift,
    PerformanceEstimate,
    PerformanceReport,
    PerformanceSettings,
    Policy,
    PolicyAction,
    PredictionRecord,
    PsiResult,
    Report,
    ReportWindow,
    RetrainingDecision,
    RetrainingSettings,
    SchemaIssue,
    SchemaIssueKind,
    Severity,
    Span,
    Tensor,
    TrafficRole,
    UnavailableMetric,
    WindowSpec,
)

# Each enum's members are named as the wire's values, without their prefix.
DRIFT_METHODS_TO_PB = {
    m: drift_pb2.DriftMethod.Value(f"DRIFT_METHOD_{m.name}") for m in DriftMethod
}
DETECTORS_TO_PB = {
    d: drift_pb2.ConceptDriftDetector.Value(f"CONCEPT_DRIFT_DETECTOR_{d.name}")
    for d in ConceptDriftDetector
}
SEVERITIES_TO_PB = {s: alert_pb2.AlertSeverity.Value(f"ALERT_SEVERITY_{s.name}") for s in Severity}
ACTIONS_TO_PB = {a: policy_pb2.PolicyAction.Value(f"POLICY_ACTION_{a.name}") for a in PolicyAction}
DRIFT_METHODS = {v: k for k, v in DRIFT_METHODS_TO_PB.items()}
DETECTORS = {v: k for k, v in DETECTORS_TO_PB.items()}
SEVERITIES = {v: k for k, v in SEVERITIES_TO_PB.items()}
ACTIONS = {v: k for k, v in ACTIONS_TO_PB.items()}


# --- policies ---------------------------------------------------------------------------------


def _span(duration: duration_pb2.Duration) -> Span:
    return Span(duration.seconds, duration.nanos)


def _duration(span: Span) -> duration_pb2.Duration:
    return duration_pb2.Duration(seconds=span.seconds, nanos=span.nanos)


def _test(test: policy_pb2.DriftTest) -> DriftTest:
    return DriftTest(
        DRIFT_METHODS.get(test.method), test.threshold if test.HasField("threshold") else None
    )


def _test_pb(test: DriftTest, out: policy_pb2.DriftTest) -> None:
    out.SetInParent()
    out.method = DRIFT_METHODS_TO_PB[test.method or DriftMethod.UNSPECIFIED]
    if test.threshold is not None:
        out.threshold = test.threshold


def policy_from_pb(message: policy_pb2.MonitoringPolicy) -> Policy:
    window = drift = performance = quality = retraining = None
    if message.HasField("window"):
        which = message.window.WhichOneof("size")
        window = WindowSpec(
            row_count=message.window.row_count if which == "row_count" else None,
            duration=_span(message.window.duration) if which == "duration" else None,
        )
    if message.HasField("drift"):
        d = message.drift
        drift = DriftSettings(
            numeric=_test(d.numeric) if d.HasField("numeric") else None,
            categorical=_test(d.categorical) if d.HasField("categorical") else None,
            binary=_test(d.binary) if d.HasField("binary") else None,
            feature_overrides={k: _test(v) for k, v in d.feature_overrides.items()},
            dataset_drift_share=(
                d.dataset_drift_share if d.HasField("dataset_drift_share") else None
            ),
            psi_bins=d.psi_bins,
            severity=SEVERITIES.get(d.severity),
            alert_on_multivariate_drift=d.alert_on_multivariate_drift,
        )
    if message.HasField("performance"):
        p = message.performance
        performance = PerformanceSettings(
            thresholds=tuple(
                MetricThreshold(
                    t.metric,
                    t.max_degradation if t.HasField("max_degradation") else None,
                    t.bound if t.HasField("bound") else None,
                )
                for t in p.thresholds
            ),
            concept_drift_detector=DETECTORS.get(p.concept_drift_detector),
            concept_drift_parameters=dict(p.concept_drift_parameters),
            severity=SEVERITIES.get(p.severity),
            alert_on_estimated_performance=p.alert_on_estimated_performance,
        )
    if message.HasField("data_quality"):
        q = message.data_quality
        quality = DataQualitySettings(
            max_missing_share=q.max_missing_share if q.HasField("max_missing_share") else None,
            max_out_of_range_share=(
                q.max_out_of_range_share if q.HasField("max_out_of_range_share") else None
            ),
            alert_on_unseen_categories=q.alert_on_unseen_categories,
            severity=SEVERITIES.get(q.severity),
        )
    if message.HasField("retraining"):
        r = message.retraining
        retraining = RetrainingSettings(
            cooldown=_span(r.cooldown) if r.HasField("cooldown") else None,
            alias_on_success=r.alias_on_success,
            source_training_job=r.source_training_job,
            dataset_path=r.dataset_path,
        )
    return Policy(
        name=message.name,
        model=message.model,
        description=message.description,
        disabled=message.disabled,
        window=window,
        min_samples=message.min_samples,
        drift=drift,
        performance=performance,
        data_quality=quality,
        action=ACTIONS.get(message.action),
        retraining=retraining,
        created_by=message.created_by,
        create_time=(
            message.create_time.ToDatetime(tzinfo=UTC) if message.HasField("create_time") else None
        ),
        update_time=(
            message.update_time.ToDatetime(tzinfo=UTC) if message.HasField("update_time") else None
        ),
        etag=message.etag,
    )


def policy_to_pb(policy: Policy) -> policy_pb2.MonitoringPolicy:
    """The policy's message; enum values the domain could not name (None) were refused by its
    checks before, and go out unspecified."""
    message = policy_pb2.MonitoringPolicy(
        name=policy.name,
        model=policy.model,
        description=policy.description,
        disabled=policy.disabled,
        min_samples=policy.min_samples,
        action=ACTIONS_TO_PB[policy.action or PolicyAction.UNSPECIFIED],
        created_by=policy.created_by,
        etag=policy.etag,
    )
    if policy.window is not None:
        message.window.SetInParent()
        if policy.window.row_count is not None:
            message.window.row_count = policy.window.row_count
        elif policy.window.duration is not None:
            message.window.duration.CopyFrom(_duration(policy.window.duration))
    if policy.drift is not None:
        d, out = policy.drift, message.drift
        out.SetInParent()
        for field in ("numeric", "categorical", "binary"):
            test = getattr(d, field)
            if test is not None:
                _test_pb(test, getattr(out, field))
        for name, test in d.feature_overrides.items():
            _test_pb(test, out.feature_overrides[name])
        if d.dataset_drift_share is not None:
            out.dataset_drift_share = d.dataset_drift_share
        out.psi_bins = d.psi_bins
        out.severity = SEVERITIES_TO_PB[d.severity or Severity.UNSPECIFIED]
        out.alert_on_multivariate_drift = d.alert_on_multivariate_drift
    if policy.performance is not None:
        p, perf = policy.performance, message.performance
        perf.SetInParent()
        for t in p.thresholds:
            threshold = perf.thresholds.add(metric=t.metric)
            if t.max_degradation is not None:
                threshold.max_degradation = t.max_degradation
            if t.bound is not None:
                threshold.bound = t.bound
        perf.concept_drift_detector = DETECTORS_TO_PB[
            p.concept_drift_detector or ConceptDriftDetector.UNSPECIFIED
        ]
        perf.concept_drift_parameters.update(p.concept_drift_parameters)
        perf.severity = SEVERITIES_TO_PB[p.severity or Severity.UNSPECIFIED]
        perf.alert_on_estimated_performance = p.alert_on_estimated_performance
    if policy.data_quality is not None:
        q, quality = policy.data_quality, message.data_quality
        quality.SetInParent()
        if q.max_missing_share is not None:
            quality.max_missing_share = q.max_missing_share
        if q.max_out_of_range_share is not None:
            quality.max_out_of_range_share = q.max_out_of_range_share
        quality.alert_on_unseen_categories = q.alert_on_unseen_categories
        quality.severity = SEVERITIES_TO_PB[q.severity or Severity.UNSPECIFIED]
    if policy.retraining is not None:
        r, retraining = policy.retraining, message.retraining
        retraining.SetInParent()
        if r.cooldown is not None:
            retraining.cooldown.CopyFrom(_duration(r.cooldown))
        retraining.alias_on_success = r.alias_on_success
        retraining.source_training_job = r.source_training_job
        retraining.dataset_path = r.dataset_path
    if policy.create_time is not None:
        message.create_time.FromDatetime(policy.create_time)
    if policy.update_time is not None:
        message.update_time.FromDatetime(policy.update_time)
    return message


class PolicyDocuments:
    """The domain's ``PolicyDocuments`` over the policy's message: its etag hashes the message
    (so an etag never changes meaning across releases) and its audit form is the message's JSON."""

    def etag(self, policy: Policy) -> str:
        message = policy_to_pb(policy)
        message.ClearField("etag")
        return hashlib.sha256(message.SerializeToString(deterministic=True)).hexdigest()[:32]

    def summary(self, policy: Policy) -> dict[str, Any]:
        data = json_format.MessageToDict(policy_to_pb(policy), preserving_proto_field_name=True)
        for field in ("create_time", "update_time", "etag", "created_by"):
            data.pop(field, None)
        return data


# --- reports ----------------------------------------------------------------------------------

ISSUE_KINDS_TO_PB = {
    k: report_pb2.SchemaIssueKind.Value(f"SCHEMA_ISSUE_KIND_{k.name}") for k in SchemaIssueKind
}
ISSUE_KINDS = {v: k for k, v in ISSUE_KINDS_TO_PB.items()}


def _time(stamp: timestamp_pb2.Timestamp) -> datetime:
    return stamp.ToDatetime(tzinfo=UTC)


def stats_from_pb(message: feature_pb2.FeatureStatistics) -> FeatureStats:
    return FeatureStats(
        name=message.name,
        kind=KIND_NAMES.get(message.kind, "numeric"),
        count=message.count,
        missing_count=message.missing_count,
        distinct_count=message.distinct_count,
        mean=message.mean,
        std=message.std,
        min=message.min,
        max=message.max,
        quantiles=tuple((q.probability, q.value) for q in message.quantiles),
        histogram=Histogram(tuple(message.histogram.bin_edges), tuple(message.histogram.counts)),
        categories=tuple((c.value, c.count) for c in message.categories),
    )


def _feature_drift_pb(drift: FeatureDrift, out: report_pb2.FeatureDrift) -> None:
    out.SetInParent()
    out.feature = drift.feature
    out.kind = KINDS[drift.kind]
    out.method = DRIFT_METHODS_TO_PB[drift.method]
    out.score = drift.score
    out.statistic = drift.statistic
    out.threshold = drift.threshold
    out.drifted = drift.drifted
    out.psi.value = drift.psi.value
    out.psi.bin_count = drift.psi.bin_count
    out.psi.bin_edges.extend(drift.psi.bin_edges)
    out.reference.CopyFrom(feature_stats_to_pb(drift.reference))
    out.current.CopyFrom(feature_stats_to_pb(drift.current))
    out.note = drift.note
    out.reference_whole_column_fields.extend(drift.reference_whole_column_fields)
    out.reference_test_count = drift.reference_test_count


def _feature_drift(message: report_pb2.FeatureDrift) -> FeatureDrift:
    return FeatureDrift(
        feature=message.feature,
        kind=KIND_NAMES.get(message.kind, "numeric"),
        method=DRIFT_METHODS.get(message.method, DriftMethod.UNSPECIFIED),
        score=message.score,
        statistic=message.statistic,
        threshold=message.threshold,
        drifted=message.drifted,
        psi=PsiResult(message.psi.value, message.psi.bin_count, tuple(message.psi.bin_edges)),
        reference=stats_from_pb(message.reference),
        current=stats_from_pb(message.current),
        note=message.note,
        reference_whole_column_fields=tuple(message.reference_whole_column_fields),
        reference_test_count=message.reference_test_count,
    )


def _dataset_pb(dataset: DatasetDrift, out: report_pb2.DatasetDrift) -> None:
    out.SetInParent()
    for feature in dataset.features:
        _feature_drift_pb(feature, out.features.add())
    out.drifted_count = dataset.drifted_count
    out.drifted_share = dataset.drifted_share
    out.share_threshold = dataset.share_threshold
    out.drifted = dataset.drifted


def _dataset(message: report_pb2.DatasetDrift) -> DatasetDrift:
    return DatasetDrift(
        features=tuple(_feature_drift(f) for f in message.features),
        drifted_count=message.drifted_count,
        drifted_share=message.drifted_share,
        share_threshold=message.share_threshold,
        drifted=message.drifted,
    )


def _performance_pb(performance: PerformanceReport, out: report_pb2.PerformanceReport) -> None:
    out.SetInParent()
    out.labeled_row_count = performance.labeled_row_count
    out.label_coverage = performance.label_coverage
    for m in performance.metrics:
        metric = out.metrics.add(metric=m.metric, value=m.value, degradation=m.degradation)
        if m.reference_value is not None:
            metric.reference_value = m.reference_value
        if m.max_degradation is not None:
            metric.max_degradation = m.max_degradation
        if m.bound is not None:
            metric.bound = m.bound
        metric.degraded = m.degraded
    concept, result = performance.concept_drift, out.concept_drift
    result.SetInParent()
    result.detector = DETECTORS_TO_PB[concept.detector]
    result.parameters.update(concept.parameters)
    result.detected = concept.detected
    result.statistic = concept.statistic
    if concept.detection_time is not None:
        result.detection_time.FromDatetime(concept.detection_time)
    out.degraded = performance.degraded
    for u in performance.unavailable_metrics:
        out.unavailable_metrics.add(metric=u.metric, reason=u.reason, detail=u.detail)
    out.invalid_label_count = performance.invalid_label_count


def _performance(message: report_pb2.PerformanceReport) -> PerformanceReport:
    concept = message.concept_drift
    return PerformanceReport(
        labeled_row_count=message.labeled_row_count,
        label_coverage=message.label_coverage,
        metrics=tuple(
            MetricComparison(
                metric=m.metric,
                value=m.value,
                reference_value=m.reference_value if m.HasField("reference_value") else None,
                degradation=m.degradation,
                max_degradation=m.max_degradation if m.HasField("max_degradation") else None,
                bound=m.bound if m.HasField("bound") else None,
                degraded=m.degraded,
            )
            for m in message.metrics
        ),
        concept_drift=ConceptDriftResult(
            detector=DETECTORS.get(concept.detector, ConceptDriftDetector.UNSPECIFIED),
            parameters=dict(concept.parameters),
            detected=concept.detected,
            statistic=concept.statistic,
            detection_time=(
                _time(concept.detection_time) if concept.HasField("detection_time") else None
            ),
        ),
        degraded=message.degraded,
        unavailable_metrics=tuple(
            UnavailableMetric(metric=u.metric, reason=u.reason, detail=u.detail)
            for u in message.unavailable_metrics
        ),
        invalid_label_count=message.invalid_label_count,
    )


def report_to_pb(report: Report) -> report_pb2.MonitoringReport:
    message = report_pb2.MonitoringReport(
        name=report.name,
        model=report.model,
        model_version=report.model_version,
        policy=report.policy,
        reference_row_count=report.reference_row_count,
        reference_sample_row_count=report.reference_sample_row_count,
        sufficient_samples=report.sufficient_samples,
    )
    message.create_time.FromDatetime(report.create_time)
    window = message.window
    window.SetInParent()
    window.row_count = report.window.row_count
    window.sample_row_count = report.window.sample_row_count
    if report.window.start_time is not None:
        window.start_time.FromDatetime(report.window.start_time)
    if report.window.end_time is not None:
        window.end_time.FromDatetime(report.window.end_time)
    if report.data_drift is not None:
        _dataset_pb(report.data_drift, message.data_drift)
    if report.prediction_drift is not None:
        _dataset_pb(report.prediction_drift, message.prediction_drift)
    if report.target_drift is not None:
        _feature_drift_pb(report.target_drift, message.target_drift)
    quality = message.data_quality
    quality.SetInParent()
    for f in report.data_quality.features:
        quality.features.add(
            feature=f.feature,
            missing_count=f.missing_count,
            missing_share=f.missing_share,
            reference_missing_share=f.reference_missing_share,
            out_of_range_count=f.out_of_range_count,
            out_of_range_share=f.out_of_range_share,
            unseen_category_count=f.unseen_category_count,
            unseen_categories=list(f.unseen_categories),
            flagged=f.flagged,
        )
    for issue in report.data_quality.schema_issues:
        quality.schema_issues.add(
            feature=issue.feature,
            kind=ISSUE_KINDS_TO_PB[issue.kind],
            detail=issue.detail,
            record_count=issue.record_count,
        )
    quality.issues_found = report.data_quality.issues_found
    if report.performance is not None:
        _performance_pb(report.performance, message.performance)
    if report.performance_estimate is not None:
        _estimate_pb(report.performance_estimate, message.performance_estimate)
    if report.multivariate_drift is not None:
        m = report.multivariate_drift
        message.multivariate_drift.CopyFrom(
            report_pb2.MultivariateDrift(
                reconstruction_error=m.reconstruction_error,
                lower_threshold=m.lower_threshold,
                upper_threshold=m.upper_threshold,
                reference_error=m.reference_error,
                component_count=m.component_count,
                variance_share=m.variance_share,
                row_count=m.row_count,
                drifted=m.drifted,
            )
        )
    return message


def _estimate_pb(estimate: PerformanceEstimate, out: report_pb2.PerformanceEstimate) -> None:
    out.SetInParent()
    out.method = report_pb2.EstimationMethod.Value(f"ESTIMATION_METHOD_{estimate.method.name}")
    out.reference_row_count = estimate.reference_row_count
    out.row_count = estimate.row_count
    out.calibrated = estimate.calibrated
    out.degraded = estimate.degraded
    out.note = estimate.note
    for m in estimate.metrics:
        metric = out.metrics.add(
            metric=m.metric,
            value=m.value,
            sampling_error=m.sampling_error,
            lower_confidence_bound=m.lower_confidence_bound,
            upper_confidence_bound=m.upper_confidence_bound,
            degradation=m.degradation,
            degraded=m.degraded,
        )
        for name in ("reference_value", "realized_value", "max_degradation", "bound"):
            value = getattr(m, name)
            if value is not None:
                setattr(metric, name, value)


def _optional(message: Any, name: str) -> float | None:
    return float(getattr(message, name)) if message.HasField(name) else None


def _estimate(message: report_pb2.PerformanceEstimate) -> PerformanceEstimate:
    return PerformanceEstimate(
        method=EstimationMethod(message.method)
        if message.method in {m.value for m in EstimationMethod}
        else EstimationMethod.UNSPECIFIED,
        metrics=tuple(
            EstimatedMetric(
                metric=m.metric,
                value=m.value,
                sampling_error=m.sampling_error,
                lower_confidence_bound=m.lower_confidence_bound,
                upper_confidence_bound=m.upper_confidence_bound,
                reference_value=_optional(m, "reference_value"),
                realized_value=_optional(m, "realized_value"),
                degradation=m.degradation,
                max_degradation=_optional(m, "max_degradation"),
                bound=_optional(m, "bound"),
                degraded=m.degraded,
            )
            for m in message.metrics
        ),
        reference_row_count=message.reference_row_count,
        row_count=message.row_count,
        calibrated=message.calibrated,
        degraded=message.degraded,
        note=message.note,
    )


def _multivariate(message: report_pb2.MultivariateDrift) -> MultivariateDrift:
    return MultivariateDrift(
        reconstruction_error=message.reconstruction_error,
        lower_threshold=message.lower_threshold,
        upper_threshold=message.upper_threshold,
        reference_error=message.reference_error,
        component_count=message.component_count,
        variance_share=message.variance_share,
        row_count=message.row_count,
        drifted=message.drifted,
    )


def report_from_pb(message: report_pb2.MonitoringReport) -> Report:
    window, quality = message.window, message.data_quality
    return Report(
        name=message.name,
        model=message.model,
        model_version=message.model_version,
        policy=message.policy,
        window=ReportWindow(
            start_time=_time(window.start_time) if window.HasField("start_time") else None,
            end_time=_time(window.end_time) if window.HasField("end_time") else None,
            row_count=window.row_count,
            sample_row_count=window.sample_row_count,
        ),
        create_time=_time(message.create_time),
        reference_row_count=message.reference_row_count,
        reference_sample_row_count=message.reference_sample_row_count,
        sufficient_samples=message.sufficient_samples,
        data_quality=DataQuality(
            features=tuple(
                FeatureQuality(
                    feature=f.feature,
                    missing_count=f.missing_count,
                    missing_share=f.missing_share,
                    reference_missing_share=f.reference_missing_share,
                    out_of_range_count=f.out_of_range_count,
                    out_of_range_share=f.out_of_range_share,
                    unseen_category_count=f.unseen_category_count,
                    unseen_categories=tuple(f.unseen_categories),
                    flagged=f.flagged,
                )
                for f in quality.features
            ),
            schema_issues=tuple(
                SchemaIssue(
                    feature=i.feature,
                    kind=ISSUE_KINDS.get(i.kind, SchemaIssueKind.UNSPECIFIED),
                    detail=i.detail,
                    record_count=i.record_count,
                )
                for i in quality.schema_issues
            ),
            issues_found=quality.issues_found,
        ),
        data_drift=_dataset(message.data_drift) if message.HasField("data_drift") else None,
        prediction_drift=(
            _dataset(message.prediction_drift) if message.HasField("prediction_drift") else None
        ),
        target_drift=(
            _feature_drift(message.target_drift) if message.HasField("target_drift") else None
        ),
        performance=(
            _performance(message.performance) if message.HasField("performance") else None
        ),
        performance_estimate=(
            _estimate(message.performance_estimate)
            if message.HasField("performance_estimate")
            else None
        ),
        multivariate_drift=(
            _multivariate(message.multivariate_drift)
            if message.HasField("multivariate_drift")
            else None
        ),
    )


# --- alerts -----------------------------------------------------------------------------------

ALERT_KINDS_TO_PB = {k: alert_pb2.AlertKind.Value(f"ALERT_KIND_{k.name}") for k in AlertKind}
ALERT_KINDS = {v: k for k, v in ALERT_KINDS_TO_PB.items()}
ALERT_STATES_TO_PB = {s: alert_pb2.AlertState.Value(f"ALERT_STATE_{s.name}") for s in AlertState}
ALERT_STATES = {v: k for k, v in ALERT_STATES_TO_PB.items()}
DECISIONS_TO_PB = {
    d: alert_pb2.RetrainingDecision.Value(f"RETRAINING_DECISION_{d.name}")
    for d in RetrainingDecision
}
DECISIONS = {v: k for k, v in DECISIONS_TO_PB.items()}


def alert_to_pb(alert: Alert) -> alert_pb2.Alert:
    message = alert_pb2.Alert(
        name=alert.name,
        model=alert.model,
        model_version=alert.model_version,
        policy=alert.policy,
        kind=ALERT_KINDS_TO_PB[alert.kind],
        severity=SEVERITIES_TO_PB[alert.severity],
        state=ALERT_STATES_TO_PB[alert.state],
        summary=alert.summary,
        subjects=list(alert.subjects),
        resolve_reason=alert.resolve_reason,
        training_job=alert.training_job,
        retraining_detail=alert.retraining_detail,
        report=alert.report,
    )
    for field in ("fire_time", "update_time", "resolve_time"):
        value = getattr(alert, field)
        if value is not None:
            getattr(message, field).FromDatetime(value)
    if alert.retraining_decision is not None:
        message.retraining_decision = DECISIONS_TO_PB[alert.retraining_decision]
    return message


def alert_from_pb(message: alert_pb2.Alert) -> Alert:
    return Alert(
        name=message.name,
        model=message.model,
        model_version=message.model_version,
        policy=message.policy,
        kind=ALERT_KINDS[message.kind],
        severity=SEVERITIES.get(message.severity, Severity.UNSPECIFIED),
        state=ALERT_STATES[message.state],
        summary=message.summary,
        subjects=tuple(message.subjects),
        report=message.report,
        fire_time=_time(message.fire_time) if message.HasField("fire_time") else None,
        update_time=_time(message.update_time) if message.HasField("update_time") else None,
        resolve_time=_time(message.resolve_time) if message.HasField("resolve_time") else None,
        resolve_reason=message.resolve_reason,
        retraining_decision=DECISIONS.get(message.retraining_decision),
        training_job=message.training_job,
        retraining_detail=message.retraining_detail,
    )


# --- prediction logs ----------------------------------------------------------------------------

ROLES_TO_PB = {
    r: prediction_record_pb2.TrafficRole.Value(f"TRAFFIC_ROLE_{r.name}") for r in TrafficRole
}
ROLES = {v: k for k, v in ROLES_TO_PB.items()}
# The role as the prediction log stores it, by wire value (an unknown value: "").
STORED_ROLES = {
    number: "primary" if role is TrafficRole.UNSPECIFIED else role.name.lower()
    for number, role in ROLES.items()
}


_new_tuple = tuple.__new__


def tensor_from_pb(message: tensor_pb2.Tensor) -> Tensor:
    # Ingest converts every tensor of every record (twenty per record is usual): the named
    # tuple is made directly, without the generated constructor's keyword handling, and the
    # shape is copied by a slice (half the cost of iterating the repeated field).
    return _new_tuple(
        Tensor,
        (
            message.name,
            DATA_TYPE_NAMES.get(message.data_type, ""),
            tuple(message.shape[:]),
            message.raw_contents,
            message.missing_mask,
        ),
    )


def tensor_to_pb(tensor: Tensor) -> tensor_pb2.Tensor:
    return tensor_pb2.Tensor(
        name=tensor.name,
        data_type=DATA_TYPES.get(tensor.data_type, tensor_pb2.DATA_TYPE_UNSPECIFIED),
        shape=list(tensor.shape),
        raw_contents=tensor.raw_contents,
        missing_mask=tensor.missing_mask,
    )


def _stamp(stamp: timestamp_pb2.Timestamp) -> tuple[datetime | None, bool]:
    """(the time, whether a time was given that no datetime can hold)."""
    if not valid_timestamp(stamp):
        return None, True
    return _time(stamp), False


def record_from_pb(
    message: prediction_record_pb2.PredictionRecord, *, keep_encoded: bool = False
) -> PredictionRecord:
    """The domain record; with ``keep_encoded`` (ingest) it carries its own encoding too, so
    that the store keeps the bytes that arrived instead of encoding the record again (unknown
    fields are dropped first: what is stored stays bounded by what the record declares)."""
    time, invalid = (
        _stamp(message.predict_time) if message.HasField("predict_time") else (None, False)
    )
    if keep_encoded:
        cast(Any, message).DiscardUnknownFields()  # a Message method the type stubs lack
    return PredictionRecord(
        message.request_id,
        message.model_version,
        message.alias,
        ROLES.get(message.role),
        time,
        message.row_count,
        tuple(map(tensor_from_pb, message.inputs)),
        tuple(map(tensor_from_pb, message.outputs)),
        invalid,
        message.SerializeToString() if keep_encoded else b"",
    )


def record_to_pb(record: PredictionRecord) -> prediction_record_pb2.PredictionRecord:
    message = prediction_record_pb2.PredictionRecord(
        request_id=record.request_id,
        model_version=record.model_version,
        alias=record.alias,
        role=ROLES_TO_PB[record.role or TrafficRole.UNSPECIFIED],
        row_count=record.row_count,
        inputs=[tensor_to_pb(t) for t in record.inputs],
        outputs=[tensor_to_pb(t) for t in record.outputs],
    )
    if record.time is not None:
        message.predict_time.FromDatetime(record.time)
    return message


def ground_truth_from_pb(message: prediction_record_pb2.GroundTruth) -> GroundTruth:
    time, invalid = _stamp(message.label_time) if message.HasField("label_time") else (None, False)
    return GroundTruth(
        request_id=message.request_id,
        labels=tensor_from_pb(message.labels) if message.HasField("labels") else None,
        time=time,
        model=message.model,
        time_invalid=invalid,
    )


# --- ingest: records read by their envelope ----------------------------------------------------
#
# Ingest reads a record's envelope (ids, version, alias, role, time, row count) and keeps the
# record's encoding as it arrived; decoding its twenty-odd tensors in Python would cost more
# than everything else a record costs. The request is decoded as a view of
# ``IngestPredictionsRequest`` whose records' ``inputs`` and ``outputs`` are ``repeated bytes``:
# the same wire format (a message field and a bytes field are both length-delimited), so
# encoding a view record again gives the ``PredictionRecord`` message, tensors untouched.


def _view_classes() -> tuple[Any, Any]:
    field = descriptor_pb2.FieldDescriptorProto
    optional, repeated = field.LABEL_OPTIONAL, field.LABEL_REPEATED
    package = "slipway.monitoring.v1.ingestview"
    file = descriptor_pb2.FileDescriptorProto(
        name="slipway/monitoring/v1/ingest_view.proto",  # in this process's pool only
        package=package,
        syntax="proto3",
        dependency=["google/protobuf/timestamp.proto"],
    )
    record = file.message_type.add(name="PredictionRecordView")
    for name, number, kind, label, type_name in (
        ("request_id", 1, field.TYPE_STRING, optional, ""),
        ("model_version", 2, field.TYPE_STRING, optional, ""),
        ("alias", 3, field.TYPE_STRING, optional, ""),
        ("role", 4, field.TYPE_INT32, optional, ""),  # an enum is an int32 varint on the wire
        ("predict_time", 5, field.TYPE_MESSAGE, optional, ".google.protobuf.Timestamp"),
        ("row_count", 6, field.TYPE_INT64, optional, ""),
        ("inputs", 7, field.TYPE_BYTES, repeated, ""),
        ("outputs", 8, field.TYPE_BYTES, repeated, ""),
    ):
        added = record.field.add(name=name, number=number, type=kind, label=label)
        if type_name:
            added.type_name = type_name
    request = file.message_type.add(name="IngestPredictionsRequestView")
    request.field.add(
        name="records",
        number=1,
        type=field.TYPE_MESSAGE,
        label=repeated,
        type_name=f".{package}.PredictionRecordView",
    )
    request.field.add(name="dropped_record_count", number=2, type=field.TYPE_INT64)
    request.field.add(name="sender", number=3, type=field.TYPE_STRING)
    request.field.add(name="request_id", number=4, type=field.TYPE_STRING)
    encoded = file.message_type.add(name="EncodedRecords")
    encoded.field.add(name="records", number=1, type=field.TYPE_BYTES, label=repeated)
    pool = descriptor_pool.Default()  # type: ignore[no-untyped-call]
    try:
        pool.FindFileByName(file.name)
    except KeyError:
        pool.Add(file)
    return (
        message_factory.GetMessageClass(
            pool.FindMessageTypeByName(f"{package}.IngestPredictionsRequestView")
        ),
        message_factory.GetMessageClass(pool.FindMessageTypeByName(f"{package}.EncodedRecords")),
    )


_RequestView, _EncodedRecords = _view_classes()


class IngestPredictionsRequestView:
    """An ``IngestPredictionsRequest`` decoded twice, both in C: once with its records'
    ``inputs`` and ``outputs`` as ``repeated bytes`` (a message field and a bytes field are
    both length-delimited on the wire), for the envelopes, and once with its records as
    ``repeated bytes``, for each record's encoding as it arrived. Records keep the unknown fields
    they arrived with: what is stored is bounded by its size (``ingestion.logged_problem``)."""

    __slots__ = ("dropped_record_count", "encoded", "envelopes", "request_id", "sender")

    def __init__(self, envelopes: Any, encoded: list[bytes]) -> None:
        self.envelopes = envelopes
        self.encoded = encoded
        self.dropped_record_count: int = envelopes.dropped_record_count
        self.sender: str = envelopes.sender
        self.request_id: str = envelopes.request_id

    @classmethod
    def FromString(cls, data: bytes) -> IngestPredictionsRequestView:
        """Raises ``DecodeError`` as a message class does."""
        return cls(_RequestView.FromString(data), list(_EncodedRecords.FromString(data).records))


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def logged_records(request: IngestPredictionsRequestView) -> list[LoggedRecord]:
    """The records of a request, by their envelopes (read in C but for a few fields each)."""
    roles, new, epoch, delta = STORED_ROLES.get, _new_tuple, _EPOCH, timedelta
    fromtimestamp = datetime.fromtimestamp
    low, high = MIN_TIMESTAMP_SECONDS, MAX_TIMESTAMP_SECONDS
    out = []
    for message, encoded in zip(request.envelopes.records, request.encoded, strict=True):
        time, invalid = None, False
        if message.HasField("predict_time"):
            stamp = message.predict_time
            seconds, nanos = stamp.seconds, stamp.nanos
            if 0 <= seconds <= high and 0 <= nanos < 1_000_000_000:
                # A tenth of the time the arithmetic below takes.
                time = fromtimestamp(seconds, UTC).replace(microsecond=nanos // 1000)
            elif low <= seconds <= high and 0 <= nanos < 1_000_000_000:
                time = epoch + delta(seconds=seconds, microseconds=nanos // 1000)
            else:
                invalid = True
        out.append(
            new(
                LoggedRecord,
                (
                    message.request_id,
                    message.model_version,
                    message.alias,
                    roles(message.role, ""),
                    time,
                    invalid,
                    message.row_count,
                    len(message.inputs),
                    len(message.outputs),
                    encoded,
                ),
            )
        )
    return out


def logged_record(message: prediction_record_pb2.PredictionRecord) -> LoggedRecord:
    """One ``PredictionRecord`` as ingest takes it in (tests, and callers that hold messages)."""
    return logged_records(
        IngestPredictionsRequestView.FromString(_field_bytes(1, message.SerializeToString()))
    )[0]


def _field_bytes(number: int, payload: bytes) -> bytes:
    """A length-delimited field's encoding."""
    out = bytearray()
    for value in (number << 3 | 2, len(payload)):
        while value > 0x7F:
            out.append(value & 0x7F | 0x80)
            value >>= 7
        out.append(value)
    return bytes(out) + payload


def record_from_bytes(data: bytes) -> PredictionRecord | None:
    """A logged record's encoding decoded whole, with its encoding again, without unknown
    fields, in ``encoded``; None when it is not a ``PredictionRecord`` (for example a tensor
    name that is not UTF-8)."""
    try:
        message = prediction_record_pb2.PredictionRecord.FromString(data)
    except DecodeError:
        return None
    return record_from_pb(message, keep_encoded=True)
