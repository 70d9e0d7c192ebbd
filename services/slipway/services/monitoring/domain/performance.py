"""Performance of a version on the labeled rows of a window, against its holdout metrics, and
concept drift on the stream of its errors.

Metrics: classification ``accuracy``, ``f1`` (binary: of the second class in the signature's
order, as training computes it; otherwise macro), ``roc_auc`` and ``log_loss`` (when
``predict_proba`` was logged); regression ``rmse``, ``mae``, ``r2``. The default bound is the
policy's, else ``accuracy`` (or ``rmse``) may worsen by at most 10 % of the holdout value.

Concept drift: the detector (Page-Hinkley by default) reads one value per labeled row, oldest
first: 1.0 for a wrong class and 0.0 for a right one, or the absolute error for regression.
Because a window may lie entirely after a change, where the error rate is high but steady, the
detector first reads a *reference segment* as long as the window's labeled rows (at least
``min_instances``): errors at the holdout rate (``1 - accuracy``, as an evenly spread 0/1
sequence) or the holdout MAE. A detection inside that segment is impossible (it is stationary);
one inside the window means the errors rose above the level the version was validated at.
Without a holdout metric the detector reads the window alone.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
from sklearn.metrics import (  # type: ignore[import-untyped]
    accuracy_score,
    f1_score,
    log_loss,
    mean_absolute_error,
    r2_score,
    roc_auc_score,
    root_mean_squared_error,
)

from slipway.monitoring.v1 import drift_pb2
from slipway.monitoring.v1 import monitoring_report_pb2 as report_pb2
from slipway.services.monitoring.domain.entities import (
    ConceptDriftDetector,
    MetricThreshold,
    PerformanceSettings,
)
from slipway.services.monitoring.domain.reference import Reference
from slipway.services.monitoring.domain.window import Labeled
from slipway.services.monitoring.stats.concept import Adwin, PageHinkley

HIGHER_IS_BETTER = frozenset({"accuracy", "f1", "roc_auc", "r2"})
CLASSIFICATION_METRICS = ("accuracy", "f1", "roc_auc", "log_loss")
REGRESSION_METRICS = ("rmse", "mae", "r2")
METRICS = frozenset(CLASSIFICATION_METRICS + REGRESSION_METRICS)
DEFAULT_RELATIVE_DEGRADATION = 0.10
PAGE_HINKLEY_DEFAULTS = {"delta": 0.005, "threshold": 50.0, "alpha": 0.9999, "min_instances": 30.0}
ADWIN_DEFAULTS = {"delta": 0.002}


def _classification(reference: Reference, labeled: Labeled) -> dict[str, float]:
    truth = np.array(labeled.truth, dtype=object).astype(str)
    predicted = np.array([str(p) for p in labeled.predicted], dtype=object).astype(str)
    metrics = {"accuracy": float(accuracy_score(truth, predicted))}
    classes = list(reference.class_labels)
    if len(classes) == 2:
        metrics["f1"] = float(
            f1_score(truth, predicted, pos_label=classes[1], average="binary", zero_division=0)
        )
    else:
        metrics["f1"] = float(f1_score(truth, predicted, average="macro", zero_division=0))
    if labeled.proba and classes:
        proba = np.vstack(labeled.proba)
        known = np.isin(truth, classes)
        if known.all() and np.isfinite(proba).all():
            if len(set(truth.tolist())) > 1:
                if len(classes) == 2:
                    metrics["roc_auc"] = float(roc_auc_score(truth == classes[1], proba[:, 1]))
                elif len(set(truth.tolist())) == len(classes):
                    metrics["roc_auc"] = float(
                        roc_auc_score(
                            truth, proba, multi_class="ovr", average="macro", labels=classes
                        )
                    )
            metrics["log_loss"] = float(log_loss(truth, proba, labels=classes))
    return metrics


def _regression(labeled: Labeled) -> dict[str, float]:
    truth = np.asarray(labeled.truth, dtype=np.float64)
    predicted = np.asarray(labeled.predicted, dtype=np.float64)
    keep = np.isfinite(predicted)
    truth, predicted = truth[keep], predicted[keep]
    if len(truth) == 0:
        return {}
    return {
        "rmse": float(root_mean_squared_error(truth, predicted)),
        "mae": float(mean_absolute_error(truth, predicted)),
        "r2": float(r2_score(truth, predicted)) if len(truth) > 1 else math.nan,
    }


def metrics_of(reference: Reference, labeled: Labeled) -> dict[str, float]:
    if not labeled.truth:
        return {}
    if reference.task == "classification":
        return _classification(reference, labeled)
    return _regression(labeled)


def _thresholds(reference: Reference, config: PerformanceSettings) -> list[MetricThreshold]:
    if config.thresholds:
        return list(config.thresholds)
    metric = "accuracy" if reference.task == "classification" else "rmse"
    holdout = reference.holdout_metrics.get(metric)
    if holdout is None or not math.isfinite(holdout):
        return []
    return [
        MetricThreshold(metric=metric, max_degradation=abs(holdout) * DEFAULT_RELATIVE_DEGRADATION)
    ]


def compare(
    metric: str, value: float, holdout: float | None, threshold: MetricThreshold | None
) -> report_pb2.MetricComparison:
    comparison = report_pb2.MetricComparison(metric=metric, value=value)
    higher = metric in HIGHER_IS_BETTER
    if holdout is not None and math.isfinite(holdout):
        comparison.reference_value = holdout
        comparison.degradation = (holdout - value) if higher else (value - holdout)
    degraded = False
    if threshold is not None:
        if threshold.max_degradation is not None:
            comparison.max_degradation = threshold.max_degradation
            if comparison.HasField("reference_value"):
                degraded |= comparison.degradation > threshold.max_degradation
        if threshold.bound is not None:
            comparison.bound = threshold.bound
            degraded |= value < threshold.bound if higher else value > threshold.bound
    comparison.degraded = bool(degraded and math.isfinite(value))
    return comparison


def _errors(reference: Reference, labeled: Labeled) -> list[float]:
    if reference.task == "classification":
        return [
            float(str(t) != str(p)) for t, p in zip(labeled.truth, labeled.predicted, strict=True)
        ]
    return [
        abs(float(t) - float(p)) if p is not None and p == p else 0.0
        for t, p in zip(labeled.truth, labeled.predicted, strict=True)
    ]


def _reference_segment(reference: Reference, length: int) -> list[float]:
    if reference.task == "classification":
        accuracy = reference.holdout_metrics.get("accuracy")
        if accuracy is None or not math.isfinite(accuracy):
            return []
        rate = min(max(1.0 - accuracy, 0.0), 1.0)
        # Evenly spread: value i is 1 when floor((i+1)*rate) passes an integer.
        return [float(math.floor((i + 1) * rate) - math.floor(i * rate)) for i in range(length)]
    mae = reference.holdout_metrics.get("mae")
    if mae is None or not math.isfinite(mae):
        return []
    return [float(mae)] * length


def concept_drift(
    reference: Reference,
    labeled: Labeled,
    detector: ConceptDriftDetector | None,
    parameters: Mapping[str, float],
) -> report_pb2.ConceptDriftResult:
    if detector is None or detector is ConceptDriftDetector.UNSPECIFIED:
        detector = ConceptDriftDetector.PAGE_HINKLEY
    result = report_pb2.ConceptDriftResult(
        detector=drift_pb2.ConceptDriftDetector.Value(f"CONCEPT_DRIFT_DETECTOR_{detector.name}")
    )
    if detector is ConceptDriftDetector.DISABLED:
        return result
    defaults = (
        PAGE_HINKLEY_DEFAULTS if detector is ConceptDriftDetector.PAGE_HINKLEY else ADWIN_DEFAULTS
    )
    used = {**defaults, **{k: float(v) for k, v in parameters.items() if k in defaults}}
    result.parameters.update(used)
    model: PageHinkley | Adwin
    if detector is ConceptDriftDetector.PAGE_HINKLEY:
        model = PageHinkley(
            delta=used["delta"],
            threshold=used["threshold"],
            alpha=used["alpha"],
            min_samples=int(used["min_instances"]),
        )
    else:
        model = Adwin(delta=used["delta"])
    errors = _errors(reference, labeled)
    prefix = _reference_segment(reference, max(len(errors), int(used.get("min_instances", 30))))
    for value in prefix:
        model.update(value)
    for value, time in zip(errors, labeled.times, strict=True):
        if model.update(value):
            result.detected = True
            result.detection_time.FromDatetime(time)
            break
    result.statistic = model.cumulative if isinstance(model, PageHinkley) else model.mean
    return result


def performance_report(
    reference: Reference,
    labeled: Labeled,
    config: PerformanceSettings,
    *,
    window_rows: int,
    min_samples: int,
) -> report_pb2.PerformanceReport:
    """The performance section of a report; verdicts only with at least ``min_samples``
    labeled rows."""
    report = report_pb2.PerformanceReport(
        labeled_row_count=len(labeled.truth),
        label_coverage=len(labeled.truth) / window_rows if window_rows else 0.0,
    )
    values = metrics_of(reference, labeled)
    thresholds = {t.metric: t for t in _thresholds(reference, config)}
    names: Sequence[str] = (
        CLASSIFICATION_METRICS if reference.task == "classification" else REGRESSION_METRICS
    )
    for metric in names:
        if metric in values:
            report.metrics.append(
                compare(
                    metric,
                    values[metric],
                    reference.holdout_metrics.get(metric),
                    thresholds.get(metric),
                )
            )
    report.concept_drift.CopyFrom(
        concept_drift(
            reference, labeled, config.concept_drift_detector, config.concept_drift_parameters
        )
    )
    enough = len(labeled.truth) >= min_samples
    if not enough:
        for comparison in report.metrics:
            comparison.degraded = False
        report.concept_drift.detected = False
        report.concept_drift.ClearField("detection_time")
    report.degraded = enough and (
        any(m.degraded for m in report.metrics) or report.concept_drift.detected
    )
    return report


__all__ = ["METRICS", "compare", "concept_drift", "metrics_of", "performance_report"]
