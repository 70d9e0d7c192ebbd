"""The label-free report sections through ``build_report``: an estimated drop and a correlation
change are in the report whatever the policy, and judge an alert only where the policy opts in."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from slipway.services.monitoring.domain.entities import (
    DriftSettings,
    EstimationMethod,
    PerformanceSettings,
    Policy,
)
from slipway.services.monitoring.domain.reference import FeatureRef, Reference, proba_column
from slipway.services.monitoring.domain.reports import build_report, judged_kinds, problems
from slipway.services.monitoring.domain.window import FeatureCounts, Labeled, WindowData
from slipway.services.monitoring.metrics import MonitoringMetrics

NOW = datetime(2026, 12, 1, tzinfo=UTC)
LABELS = ("no", "yes")


def _rows(rng: np.random.Generator, n: int, scale: float, rho: float) -> tuple[dict, np.ndarray]:
    x0 = rng.normal(size=n) * scale
    x1 = rho * x0 / max(scale, 1e-9) + np.sqrt(1 - rho**2) * rng.normal(size=n)
    p = 1.0 / (1.0 + np.exp(-(3.0 * x0 + x1)))
    return {"x0": x0, "x1": x1}, np.where(rng.random(n) < p, "yes", "no").astype(object)


def _outputs(model: LogisticRegression, columns: dict) -> dict[str, np.ndarray]:
    x = np.column_stack([columns["x0"], columns["x1"]])
    proba = model.predict_proba(x)
    return {
        "predict": np.array(model.predict(x), dtype=object),
        proba_column("no"): proba[:, 0],
        proba_column("yes"): proba[:, 1],
    }


def _case(
    scale: float, rho: float, reference_rho: float = 0.0
) -> tuple[Reference, WindowData, np.ndarray]:
    rng = np.random.default_rng(5)
    train, label = _rows(rng, 3000, 1.0, 0.0)
    model = LogisticRegression().fit(np.column_stack([train["x0"], train["x1"]]), label)
    columns, target = _rows(rng, 1000, 1.0, reference_rho)
    outputs = _outputs(model, columns)
    holdout = float(np.mean(outputs["predict"] == target))
    features = tuple(
        FeatureRef(name, "numeric", "FP64", frozenset(), None, None, 0.0) for name in ("x0", "x1")
    )
    reference = Reference(
        version="models/m/versions/1",
        model="models/m",
        task="classification",
        features=features,
        columns=columns,
        target=target,
        outputs=outputs,
        class_labels=LABELS,
        holdout_metrics={"accuracy": holdout},
        training_job="",
        profile_row_count=3000,
    )
    current, hidden = _rows(rng, 1000, scale, rho)
    sample = {**current, **_outputs(model, current)}
    window = WindowData(
        row_count=1000,
        record_count=20,
        start_time=NOW,
        end_time=NOW,
        sample=sample,
        sample_rows=1000,
        counts={f.name: FeatureCounts() for f in features},
        schema_issues={},
        labeled=Labeled(),
        label_values=np.array([], dtype=object),
    )
    return reference, window, hidden


def test_an_estimated_drop_is_reported_and_alerts_only_when_the_policy_opts_in() -> None:
    reference, window, hidden = _case(scale=0.3, rho=0.0)
    plain = build_report(reference, window, Policy(model="models/m"), NOW)
    estimate = plain.performance_estimate
    assert estimate is not None
    assert estimate.method is EstimationMethod.CBPE
    accuracy = {m.metric: m for m in estimate.metrics}["accuracy"]
    realised = float(np.mean(window.sample["predict"] == hidden))
    assert accuracy.lower_confidence_bound <= realised <= accuracy.upper_confidence_bound
    assert accuracy.degraded
    assert problems(plain)["estimated_performance"]
    policy = Policy(model="models/m")
    assert "estimated_performance" not in judged_kinds(plain, policy)
    opted = Policy(
        model="models/m", performance=PerformanceSettings(alert_on_estimated_performance=True)
    )
    assert "estimated_performance" in judged_kinds(
        build_report(reference, window, opted, NOW), opted
    )


def test_a_correlation_change_is_multivariate_drift_with_no_feature_drifted() -> None:
    # Two features: a PCA of uncorrelated ones keeps both components (nothing to reconstruct),
    # so the reference has them correlated and the window flips the sign.
    reference, window, _ = _case(scale=1.0, rho=-0.9, reference_rho=0.9)
    policy = Policy(model="models/m", drift=DriftSettings(alert_on_multivariate_drift=True))
    report = build_report(reference, window, policy, NOW)
    assert report.data_drift is not None
    assert not [f.feature for f in report.data_drift.features if f.drifted]
    assert report.multivariate_drift is not None
    assert report.multivariate_drift.drifted
    assert problems(report)["multivariate_drift"]
    assert "multivariate_drift" in judged_kinds(report, policy)
    assert "multivariate_drift" not in judged_kinds(report, Policy(model="models/m"))


def test_an_unchanged_window_estimates_no_drop_and_no_multivariate_drift() -> None:
    reference, window, _ = _case(scale=1.0, rho=0.0)
    report = build_report(reference, window, Policy(model="models/m"), NOW)
    assert report.performance_estimate is not None
    assert not report.performance_estimate.degraded
    assert report.multivariate_drift is not None
    assert not report.multivariate_drift.drifted


def test_labels_put_the_realised_value_next_to_the_estimate_and_metrics_export_both() -> None:
    reference, window, hidden = _case(scale=0.3, rho=0.0)
    truth = [str(v) for v in hidden[:300]]
    labeled = Labeled(
        truth=truth,
        predicted=[str(v) for v in window.sample["predict"][:300]],
        proba=[
            np.array([window.sample[proba_column("no")][i], window.sample[proba_column("yes")][i]])
            for i in range(300)
        ],
        times=[NOW] * 300,
    )
    labeled_window = replace(window, labeled=labeled, label_values=np.array(truth, dtype=object))
    report = build_report(reference, labeled_window, Policy(model="models/m"), NOW)
    assert report.performance is not None
    assert report.performance_estimate is not None
    realised = {m.metric: m.value for m in report.performance.metrics}
    estimated = {m.metric: m for m in report.performance_estimate.metrics}
    assert estimated["accuracy"].realized_value == pytest.approx(realised["accuracy"])
    metrics = MonitoringMetrics()
    metrics.observe_report(report)
    value = estimated["accuracy"].value
    gauge = metrics.estimated.labels("models/m", "models/m/versions/1", "accuracy", "value")
    assert gauge._value.get() == pytest.approx(value)  # prometheus_client keeps it here
    assert report.multivariate_drift is not None
    error = metrics.reconstruction_error.labels("models/m", "models/m/versions/1", "value")
    assert error._value.get() == pytest.approx(report.multivariate_drift.reconstruction_error)
