"""Prometheus series of the monitoring service, per model, version and feature, so SREs alert
on drift and quality with the Prometheus they already run. Gauges hold the latest evaluated
window of each version; counters count ingestion and decisions."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram
from prometheus_client.registry import Collector

from slipway.services.monitoring.domain.entities import (
    Alert,
    DatasetDrift,
    Report,
    RetrainingDecision,
    SchemaIssueKind,
)


class MonitoringMetrics:
    def __init__(self) -> None:
        self.ingested_rows = Counter(
            "slipway_monitoring_ingested_rows_total",
            "Prediction rows accepted, by model.",
            ["model"],
            registry=None,
        )
        self.ingested_records = Counter(
            "slipway_monitoring_ingested_records_total",
            "Prediction records (requests) accepted, by model.",
            ["model"],
            registry=None,
        )
        self.rejected_records = Counter(
            "slipway_monitoring_rejected_records_total",
            "Prediction records refused (malformed, or a resent batch).",
            registry=None,
        )
        self.sender_dropped = Counter(
            "slipway_monitoring_sender_dropped_records_total",
            "Records senders reported dropping before they reached monitoring, by the "
            "principal that sent the batch (the free-text sender is in the batch's audit "
            "event: as a label it would let any caller add series without bound).",
            ["principal"],
            registry=None,
        )
        self.labels = Counter(
            "slipway_monitoring_ground_truth_total",
            "Ground truth entries, by outcome (matched, pending, rejected).",
            ["outcome"],
            registry=None,
        )
        self.rejected_labels = Counter(
            "slipway_monitoring_rejected_ground_truth_total",
            "Ground truth entries rejected, by reason (an ErrorInfo reason of docs/errors.md): "
            "malformed, or not a label of the version they join.",
            ["reason"],
            registry=None,
        )
        self.drift_score = Gauge(
            "slipway_monitoring_drift_score",
            "Drift score of the last window: p-value (ks, chi-square, z-test) or distance "
            "(wasserstein, jensen-shannon, psi), by method.",
            ["model", "version", "feature", "method"],
            registry=None,
        )
        self.drifted = Gauge(
            "slipway_monitoring_feature_drifted",
            "1 when the feature drifted in the last window.",
            ["model", "version", "feature"],
            registry=None,
        )
        self.dataset_drifted = Gauge(
            "slipway_monitoring_dataset_drifted",
            "1 when the last window's inputs drifted as a dataset.",
            ["model", "version"],
            registry=None,
        )
        self.drifted_share = Gauge(
            "slipway_monitoring_drifted_feature_share",
            "Share of drifted features in the last window.",
            ["model", "version"],
            registry=None,
        )
        self.missing_share = Gauge(
            "slipway_monitoring_missing_share",
            "Share of missing values in the last window.",
            ["model", "version", "feature"],
            registry=None,
        )
        self.metric = Gauge(
            "slipway_monitoring_performance",
            "A performance metric of the last window's labeled rows (accuracy, f1, roc_auc, "
            "log_loss, rmse, mae, r2).",
            ["model", "version", "metric"],
            registry=None,
        )
        self.estimated = Gauge(
            "slipway_monitoring_estimated_performance",
            "A performance metric of the last window estimated without labels (CBPE: accuracy, "
            "f1, roc_auc; DLE: mae, rmse), with its confidence band (bound: value, lower, upper).",
            ["model", "version", "metric", "bound"],
            registry=None,
        )
        self.reconstruction_error = Gauge(
            "slipway_monitoring_reconstruction_error",
            "The last window's PCA data reconstruction error, with the reference band's "
            "thresholds (bound: value, lower, upper).",
            ["model", "version", "bound"],
            registry=None,
        )
        self.window_rows = Gauge(
            "slipway_monitoring_window_rows",
            "Rows in the last evaluated window.",
            ["model", "version"],
            registry=None,
        )
        self.unreadable_records = Gauge(
            "slipway_monitoring_window_unreadable_records",
            "Records of the last evaluated window left out because their tensors do not match "
            "their row count or datatypes (ingest stores tensors unread).",
            ["model", "version"],
            registry=None,
        )
        self.alerts = Counter(
            "slipway_monitoring_alert_transitions_total",
            "Alert changes, by kind and transition (fired, updated, resolved).",
            ["model", "kind", "transition"],
            registry=None,
        )
        self.firing = Gauge(
            "slipway_monitoring_alerts_firing",
            "Alerts firing now, by model and kind.",
            ["model", "kind"],
            registry=None,
        )
        self.retraining = Counter(
            "slipway_monitoring_retraining_decisions_total",
            "Retraining decisions (triggered, skipped_cooldown, skipped_job_running, failed).",
            ["model", "decision"],
            registry=None,
        )
        self.evaluation_seconds = Histogram(
            "slipway_monitoring_evaluation_seconds",
            "Time to read a window and compute its report.",
            registry=None,
            buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
        )

    def collectors(self) -> list[Collector]:
        return [
            self.ingested_rows,
            self.ingested_records,
            self.rejected_records,
            self.sender_dropped,
            self.labels,
            self.rejected_labels,
            self.drift_score,
            self.drifted,
            self.dataset_drifted,
            self.drifted_share,
            self.missing_share,
            self.metric,
            self.estimated,
            self.reconstruction_error,
            self.window_rows,
            self.unreadable_records,
            self.alerts,
            self.firing,
            self.retraining,
            self.evaluation_seconds,
        ]

    def observe_report(self, report: Report) -> None:
        model, version = report.model, report.model_version
        self.window_rows.labels(model, version).set(report.window.row_count)
        self.unreadable_records.labels(model, version).set(
            sum(
                issue.record_count
                for issue in report.data_quality.schema_issues
                if not issue.feature and issue.kind is SchemaIssueKind.SHAPE_MISMATCH
            )
        )
        data_drift = report.data_drift or DatasetDrift()  # an uncomputed section reads as empty
        for feature in data_drift.features:
            self.drift_score.labels(
                model, version, feature.feature, feature.method.name.lower()
            ).set(feature.score)
            self.drifted.labels(model, version, feature.feature).set(float(feature.drifted))
        self.dataset_drifted.labels(model, version).set(float(data_drift.drifted))
        self.drifted_share.labels(model, version).set(data_drift.drifted_share)
        for quality in report.data_quality.features:
            self.missing_share.labels(model, version, quality.feature).set(quality.missing_share)
        if report.performance is not None:
            for metric in report.performance.metrics:
                self.metric.labels(model, version, metric.metric).set(metric.value)
        if report.performance_estimate is not None:
            for estimate in report.performance_estimate.metrics:
                for bound, value in (
                    ("value", estimate.value),
                    ("lower", estimate.lower_confidence_bound),
                    ("upper", estimate.upper_confidence_bound),
                ):
                    self.estimated.labels(model, version, estimate.metric, bound).set(value)
        if report.multivariate_drift is not None:
            section = report.multivariate_drift
            for bound, value in (
                ("value", section.reconstruction_error),
                ("lower", section.lower_threshold),
                ("upper", section.upper_threshold),
            ):
                self.reconstruction_error.labels(model, version, bound).set(value)

    def observe_alert(self, alert: Alert, transition: str) -> None:
        self.alerts.labels(alert.model, alert.kind.value, transition).inc()

    def observe_decision(self, model: str, decision: RetrainingDecision) -> None:
        self.retraining.labels(model, decision.name.lower()).inc()

    def set_firing(self, counts: dict[tuple[str, str], int]) -> None:
        """Alerts firing now, by (model, kind), as read from the database."""
        self.firing.clear()
        for (model, kind), count in counts.items():
            self.firing.labels(model, kind).set(count)
