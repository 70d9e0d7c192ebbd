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
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace

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

from slipway.core.logs import get_logger
from slipway.core.reasons import Reason
from slipway.services.monitoring.domain.entities import (
    ConceptDriftDetector,
    ConceptDriftResult,
    MetricComparison,
    MetricThreshold,
    PerformanceReport,
    PerformanceSettings,
    UnavailableMetric,
)
from slipway.services.monitoring.domain.reference import Reference
from slipway.services.monitoring.domain.window import Labeled
from slipway.services.monitoring.stats.concept import Adwin, PageHinkley

log = get_logger("slipway.monitoring.performance")

HIGHER_IS_BETTER = frozenset({"accuracy", "f1", "roc_auc", "r2"})
CLASSIFICATION_METRICS = ("accuracy", "f1", "roc_auc", "log_loss")
REGRESSION_METRICS = ("rmse", "mae", "r2")
METRICS = frozenset(CLASSIFICATION_METRICS + REGRESSION_METRICS)
DEFAULT_RELATIVE_DEGRADATION = 0.10
PAGE_HINKLEY_DEFAULTS = {"delta": 0.005, "threshold": 50.0, "alpha": 0.9999, "min_instances": 30.0}
ADWIN_DEFAULTS = {"delta": 0.002}


Metric = Callable[[], float]


def _classification(reference: Reference, labeled: Labeled) -> dict[str, Metric]:
    truth = np.array(labeled.truth, dtype=object).astype(str)
    predicted = np.array([str(p) for p in labeled.predicted], dtype=object).astype(str)
    metrics: dict[str, Metric] = {"accuracy": lambda: float(accuracy_score(truth, predicted))}
    classes = list(reference.class_labels)
    if len(classes) == 2:
        metrics["f1"] = lambda: float(
            f1_score(truth, predicted, pos_label=classes[1], average="binary", zero_division=0)
        )
    else:
        metrics["f1"] = lambda: float(f1_score(truth, predicted, average="macro", zero_division=0))
    if labeled.proba and classes:
        proba = np.vstack(labeled.proba)
        known = np.isin(truth, classes)
        if known.all() and np.isfinite(proba).all():
            if len(set(truth.tolist())) > 1:
                if len(classes) == 2:
                    metrics["roc_auc"] = lambda: float(
                        roc_auc_score(truth == classes[1], proba[:, 1])
                    )
                elif len(set(truth.tolist())) == len(classes):
                    metrics["roc_auc"] = lambda: float(
                        roc_auc_score(
                            truth, proba, multi_class="ovr", average="macro", labels=classes
                        )
                    )
            metrics["log_loss"] = lambda: float(log_loss(truth, proba, labels=classes))
    return metrics


def _regression(labeled: Labeled) -> dict[str, Metric]:
    truth = np.asarray(labeled.truth, dtype=np.float64)
    predicted = np.asarray(labeled.predicted, dtype=np.float64)
    keep = np.isfinite(predicted) & np.isfinite(truth)
    truth, predicted = truth[keep], predicted[keep]
    if len(truth) == 0:
        return {}
    return {
        "rmse": lambda: float(root_mean_squared_error(truth, predicted)),
        "mae": lambda: float(mean_absolute_error(truth, predicted)),
        "r2": lambda: float(r2_score(truth, predicted)) if len(truth) > 1 else math.nan,
    }


def computed_metrics(
    reference: Reference, labeled: Labeled
) -> tuple[dict[str, float], tuple[UnavailableMetric, ...]]:
    """The metrics of the labeled rows, and those that could not be computed with why.

    Each metric is computed on its own and any failure becomes an unavailable metric: the
    labels are data from outside, and no content of them may make a report fail."""
    if not labeled.truth:
        return {}, ()
    try:
        pending = (
            _classification(reference, labeled)
            if reference.task == "classification"
            else _regression(labeled)
        )
    except (TypeError, ValueError) as error:
        names = CLASSIFICATION_METRICS if reference.task == "classification" else REGRESSION_METRICS
        return {}, tuple(_unavailable(name, error) for name in names)
    values: dict[str, float] = {}
    unavailable: list[UnavailableMetric] = []
    for name, compute in pending.items():
        try:
            values[name] = compute()
        except (TypeError, ValueError, IndexError, ZeroDivisionError) as error:
            unavailable.append(_unavailable(name, error))
    return values, tuple(unavailable)


def _unavailable(metric: str, error: Exception) -> UnavailableMetric:
    log.warning("a performance metric could not be computed", metric=metric, error=str(error))
    return UnavailableMetric(
        metric=metric,
        reason=Reason.METRIC_UNDEFINED.value,
        detail=f"{metric} cannot be computed on the window's labels: {error}"[:512],
    )


def metrics_of(reference: Reference, labeled: Labeled) -> dict[str, float]:
    return computed_metrics(reference, labeled)[0]


def thresholds_of(reference: Reference, config: PerformanceSettings) -> list[MetricThreshold]:
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
) -> MetricComparison:
    higher = metric in HIGHER_IS_BETTER
    reference_value: float | None = None
    degradation = 0.0
    if holdout is not None and math.isfinite(holdout):
        reference_value = holdout
        degradation = (holdout - value) if higher else (value - holdout)
    degraded = False
    max_degradation = bound = None
    if threshold is not None:
        if threshold.max_degradation is not None:
            max_degradation = threshold.max_degradation
            if reference_value is not None:
                degraded |= degradation > threshold.max_degradation
        if threshold.bound is not None:
            bound = threshold.bound
            degraded |= value < threshold.bound if higher else value > threshold.bound
    return MetricComparison(
        metric=metric,
        value=value,
        reference_value=reference_value,
        degradation=degradation,
        max_degradation=max_degradation,
        bound=bound,
        degraded=bool(degraded and math.isfinite(value)),
    )


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
) -> ConceptDriftResult:
    if detector is None or detector is ConceptDriftDetector.UNSPECIFIED:
        detector = ConceptDriftDetector.PAGE_HINKLEY
    if detector is ConceptDriftDetector.DISABLED:
        return ConceptDriftResult(detector)
    defaults = (
        PAGE_HINKLEY_DEFAULTS if detector is ConceptDriftDetector.PAGE_HINKLEY else ADWIN_DEFAULTS
    )
    used = {**defaults, **{k: float(v) for k, v in parameters.items() if k in defaults}}
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
    detection_time = None
    for value, time in zip(errors, labeled.times, strict=True):
        if model.update(value):
            detection_time = time
            break
    return ConceptDriftResult(
        detector=detector,
        parameters=used,
        detected=detection_time is not None,
        statistic=model.cumulative if isinstance(model, PageHinkley) else model.mean,
        detection_time=detection_time,
    )


def performance_report(
    reference: Reference,
    labeled: Labeled,
    config: PerformanceSettings,
    *,
    window_rows: int,
    min_samples: int,
) -> PerformanceReport:
    """The performance section of a report; verdicts only with at least ``min_samples``
    labeled rows."""
    comparisons: list[MetricComparison] = []
    values, unavailable = computed_metrics(reference, labeled)
    thresholds = {t.metric: t for t in thresholds_of(reference, config)}
    names: Sequence[str] = (
        CLASSIFICATION_METRICS if reference.task == "classification" else REGRESSION_METRICS
    )
    for metric in names:
        if metric in values:
            comparisons.append(
                compare(
                    metric,
                    values[metric],
                    reference.holdout_metrics.get(metric),
                    thresholds.get(metric),
                )
            )
    concept = concept_drift(
        reference, labeled, config.concept_drift_detector, config.concept_drift_parameters
    )
    enough = len(labeled.truth) >= min_samples
    if not enough:
        comparisons = [replace(c, degraded=False) for c in comparisons]
        concept = replace(concept, detected=False, detection_time=None)
    return PerformanceReport(
        labeled_row_count=len(labeled.truth),
        label_coverage=len(labeled.truth) / window_rows if window_rows else 0.0,
        metrics=tuple(comparisons),
        concept_drift=concept,
        degraded=enough and (any(m.degraded for m in comparisons) or concept.detected),
        unavailable_metrics=unavailable,
        invalid_label_count=labeled.invalid,
    )


__all__ = [
    "METRICS",
    "compare",
    "computed_metrics",
    "concept_drift",
    "metrics_of",
    "performance_report",
]
