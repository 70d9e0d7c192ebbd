"""The policy converters: a message survives the trip through the domain's entity unchanged
(field presence included), and wire values the server does not know arrive as None."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from google.protobuf import duration_pb2

from slipway.common.v1 import tensor_pb2
from slipway.ml.profiles import FeatureStats
from slipway.monitoring.v1 import alert_pb2, drift_pb2, prediction_record_pb2
from slipway.monitoring.v1 import monitoring_policy_pb2 as policy_pb2
from slipway.monitoring.v1 import monitoring_report_pb2 as report_pb2
from slipway.services.monitoring.domain.entities import (
    AlertKind,
    ConceptDriftDetector,
    ConceptDriftResult,
    DataQuality,
    DatasetDrift,
    DriftMethod,
    FeatureDrift,
    FeatureQuality,
    MetricComparison,
    PerformanceReport,
    PsiResult,
    Report,
    ReportWindow,
    SchemaIssue,
    SchemaIssueKind,
    Span,
)
from slipway.services.monitoring.messages import (
    PolicyDocuments,
    alert_from_pb,
    alert_to_pb,
    policy_from_pb,
    policy_to_pb,
    record_from_pb,
    report_from_pb,
    report_to_pb,
)
from slipway.services.monitoring.storage.repository import _alert
from slipway.services.monitoring.storage.tables import AlertRow


def _full() -> policy_pb2.MonitoringPolicy:
    policy = policy_pb2.MonitoringPolicy(
        name="monitoringPolicies/p",
        model="models/fruit",
        description="d",
        window=policy_pb2.WindowSpec(duration=duration_pb2.Duration(seconds=3600, nanos=5)),
        min_samples=7,
        drift=policy_pb2.DriftConfig(
            numeric=policy_pb2.DriftTest(method=drift_pb2.DRIFT_METHOD_KS, threshold=0.01),
            categorical=policy_pb2.DriftTest(),
            feature_overrides={"x": policy_pb2.DriftTest(method=drift_pb2.DRIFT_METHOD_PSI)},
            dataset_drift_share=0.5,
            psi_bins=12,
            severity=alert_pb2.ALERT_SEVERITY_CRITICAL,
        ),
        performance=policy_pb2.PerformanceConfig(
            thresholds=[policy_pb2.MetricThreshold(metric="accuracy", bound=0.0)],
            concept_drift_detector=drift_pb2.CONCEPT_DRIFT_DETECTOR_ADWIN,
            concept_drift_parameters={"delta": 0.01},
        ),
        data_quality=policy_pb2.DataQualityConfig(max_missing_share=0.0),
        action=policy_pb2.POLICY_ACTION_RETRAIN,
        retraining=policy_pb2.RetrainingConfig(cooldown=duration_pb2.Duration()),
        created_by="user:a",
        etag="e",
    )
    policy.create_time.FromDatetime(datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=UTC))
    return policy


def test_a_policy_survives_the_round_trip() -> None:
    for message in (_full(), policy_pb2.MonitoringPolicy(model="models/m")):
        assert policy_to_pb(policy_from_pb(message)) == message
    count = policy_pb2.MonitoringPolicy(window=policy_pb2.WindowSpec(row_count=0))
    assert policy_to_pb(policy_from_pb(count)).window.WhichOneof("size") == "row_count"


def test_presence_and_unknown_values() -> None:
    policy = policy_from_pb(_full())
    assert policy.retraining is not None
    assert policy.retraining.cooldown == Span(0, 0)
    assert policy.drift is not None
    assert policy.drift.binary is None
    assert policy.data_quality is not None
    assert policy.data_quality.max_missing_share == 0.0
    unknown = policy_from_pb(policy_pb2.MonitoringPolicy(action=99))  # type: ignore[arg-type]
    assert unknown.action is None


def test_the_etag_ignores_the_etag_itself() -> None:
    documents = PolicyDocuments()
    policy = policy_from_pb(_full())
    other = policy_from_pb(_full())
    assert documents.etag(policy) == documents.etag(other)
    assert "etag" not in documents.summary(policy)


def test_a_report_survives_the_round_trip() -> None:
    stats = FeatureStats("x", "numeric", 3, 1, 3, 1.5, 0.5, 1.0, 2.0, ((0.5, 1.5),))
    drift = FeatureDrift(
        "x",
        "numeric",
        DriftMethod.KS,
        0.01,
        0.4,
        0.05,
        True,
        PsiResult(0.3, 2, (0.0, 1.0)),
        stats,
        stats,
        "note",
    )
    when = datetime(2026, 1, 2, tzinfo=UTC)
    report = Report(
        model="models/m",
        model_version="models/m/versions/1",
        policy="monitoringPolicies/p",
        window=ReportWindow(when, when, 10, 5),
        create_time=when,
        reference_row_count=100,
        sufficient_samples=True,
        data_quality=DataQuality(
            (FeatureQuality("x", 1, 0.1, unseen_categories=("a",), flagged=True),),
            (SchemaIssue("y", SchemaIssueKind.MISSING_FEATURE, "gone", 2),),
            True,
        ),
        data_drift=DatasetDrift((drift,), 1, 1.0, 0.5, True),
        prediction_drift=DatasetDrift(),
        target_drift=drift,
        performance=PerformanceReport(
            8,
            0.8,
            (MetricComparison("accuracy", 0.5, reference_value=0.9, bound=0.6, degraded=True),),
            ConceptDriftResult(ConceptDriftDetector.ADWIN, {"delta": 0.1}, True, 0.2, when),
            True,
        ),
        name="monitoringReports/r",
    )
    message = report_to_pb(report)
    assert report_from_pb(message) == report
    assert report_to_pb(report_from_pb(message)) == message
    bare = replace(report, data_drift=None, prediction_drift=None, performance=None)
    assert not report_to_pb(bare).HasField("performance")
    assert report_from_pb(report_to_pb(bare)) == bare


def test_an_alert_survives_the_round_trip() -> None:
    when = datetime(2026, 1, 2, tzinfo=UTC)
    message = alert_pb2.Alert(
        name="alerts/a",
        model="models/m",
        model_version="models/m/versions/1",
        policy="monitoringPolicies/p",
        kind=alert_pb2.ALERT_KIND_CONCEPT_DRIFT,
        severity=alert_pb2.ALERT_SEVERITY_CRITICAL,
        state=alert_pb2.ALERT_STATE_RESOLVED,
        summary="s",
        subjects=["errors"],
        resolve_reason="r",
        retraining_decision=alert_pb2.RETRAINING_DECISION_SKIPPED_COOLDOWN,
        training_job="trainingJobs/j",
        retraining_detail="d",
    )
    message.fire_time.FromDatetime(when)
    message.resolve_time.FromDatetime(when)
    assert alert_to_pb(alert_from_pb(message)) == message
    assert alert_from_pb(message).kind is AlertKind.CONCEPT_DRIFT


def test_an_ingested_record_keeps_its_bytes_without_unknown_fields() -> None:
    """Ingest stores a record as it arrived (no second encoding), minus fields this server does
    not know: what is stored stays bounded by what the record declares."""
    record = prediction_record_pb2.PredictionRecord(
        request_id="r-1",
        model_version="models/m/versions/1",
        row_count=2,
        inputs=[
            tensor_pb2.Tensor(
                name="x",
                data_type=tensor_pb2.DATA_TYPE_FP64,
                shape=[2],
                raw_contents=b"\x00" * 16,
                missing_mask=b"\x00\x01",
            )
        ],
    )
    record.predict_time.FromDatetime(datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC))
    sent = record.SerializeToString()
    padded = sent + b"\xfa\x3e\x03abc"  # an unknown length-delimited field (number 999)
    arrived = prediction_record_pb2.PredictionRecord.FromString(padded)

    kept = record_from_pb(arrived, keep_encoded=True)

    assert kept.encoded == sent
    assert record_from_pb(prediction_record_pb2.PredictionRecord.FromString(kept.encoded)) == (
        record_from_pb(record)
    )
    assert kept.inputs[0].shape == (2,)
    assert kept.inputs[0].missing_mask == b"\x00\x01"
    assert record_from_pb(record).encoded == b""  # only ingest keeps it


def test_an_alert_stored_with_its_whole_report_keeps_the_reports_name() -> None:
    """Alerts stored before an Alert named its report embedded it in field 10 (now reserved):
    read back, they name that report."""
    alert = alert_pb2.Alert(
        name="alerts/a",
        kind=alert_pb2.ALERT_KIND_DATA_DRIFT,
        state=alert_pb2.ALERT_STATE_FIRING,
    )
    embedded = report_pb2.MonitoringReport(name="monitoringReports/r").SerializeToString()
    assert len(embedded) < 128  # a one-byte length
    legacy = alert.SerializeToString() + bytes([10 << 3 | 2, len(embedded)]) + embedded
    assert _alert(AlertRow(alert=legacy)).report == "monitoringReports/r"
    current = alert_pb2.Alert(name="alerts/b", report="monitoringReports/s", kind=1, state=1)
    assert _alert(AlertRow(alert=current.SerializeToString())).report == "monitoringReports/s"
