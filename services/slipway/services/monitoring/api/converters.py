"""Protobuf <-> monitoring domain objects. Symmetric; protobuf never enters the domain.

Enum values this server does not know become None on the way in, so that the domain's checks
name them (``check_policy``); they are never stored.
"""

from __future__ import annotations

import hashlib
from datetime import UTC
from typing import Any

from google.protobuf import duration_pb2, json_format

from slipway.monitoring.v1 import alert_pb2, drift_pb2
from slipway.monitoring.v1 import monitoring_policy_pb2 as policy_pb2
from slipway.services.monitoring.domain.entities import (
    ConceptDriftDetector,
    DataQualitySettings,
    DriftMethod,
    DriftSettings,
    DriftTest,
    MetricThreshold,
    PerformanceSettings,
    Policy,
    PolicyAction,
    RetrainingSettings,
    Severity,
    Span,
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
