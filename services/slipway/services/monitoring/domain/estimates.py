"""The report sections that need no labels beyond the reference's: estimated performance (CBPE
for a classifier, DLE for a regressor) and multivariate drift (PCA reconstruction error).

The estimators learn from labeled rows the model was scored on (``domain.reference``): the
holdout sample registered with the version, with its target and the model's outputs on it. A
version registered before holdout samples has only training rows with the model's outputs on
them; those are used then, and the estimate's note says that a model fitting its training rows
closely is estimated optimistically from them. The multivariate drift is fitted on the training
sample, the reference of data drift.

Fitting is done once per reference and kept (a bounded cache keyed by the reference object,
which the reference source itself caches), so a report pays only for reading its window.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from slipway.core.logs import get_logger
from slipway.services.monitoring.domain.entities import (
    EstimatedMetric,
    EstimationMethod,
    MultivariateDrift,
    PerformanceEstimate,
    PerformanceReport,
    PerformanceSettings,
)
from slipway.services.monitoring.domain.performance import compare, thresholds_of
from slipway.services.monitoring.domain.reference import (
    PREDICT,
    TEXT_TYPE,
    Reference,
    proba_column,
)
from slipway.services.monitoring.stats.estimation import CBPE, DLE, Estimate
from slipway.services.monitoring.stats.multivariate import (
    DEFAULT_VARIANCE,
    ReconstructionDrift,
)

log = get_logger("slipway.monitoring.estimates")

Array = npt.NDArray[Any]
MAX_FIT_ROWS = 50_000  # a larger reference is sampled: fitting time stays bounded
MIN_REFERENCE_ROWS = 50  # fewer labeled reference rows cannot calibrate or train an estimator
CACHED_REFERENCES = 64
TRAINING_ROWS_NOTE = (
    "learned from the reference sample (training rows, not a holdout): a model that fits its "
    "training rows closely is estimated optimistically"
)
HOLDOUT_NOTE = "learned from the holdout sample registered with the version"


@dataclass(frozen=True)
class Estimators:
    """What was fitted on one reference; ``None`` where it could not be, with why."""

    cbpe: CBPE | None = None
    dle: DLE | None = None
    reconstruction: ReconstructionDrift | None = None
    estimate_note: str = ""  # what the estimators learned from, or why there are none
    multivariate_note: str = ""


_cache: OrderedDict[int, tuple[Reference, Estimators]] = OrderedDict()
_lock = threading.Lock()
# One fit at a time: a report asks for its reference's estimators from two threads at once (the
# multivariate drift and the performance estimate); the second waits for the first's fit
# instead of making the same one beside it.
_fitting = threading.Lock()


def _cached(reference: Reference) -> Estimators | None:
    with _lock:
        hit = _cache.get(id(reference))
        if hit is not None and hit[0] is reference:
            _cache.move_to_end(id(reference))
            return hit[1]
    return None


def estimators_for(reference: Reference) -> Estimators:
    """The estimators of ``reference``, fitted on first use."""
    if (hit := _cached(reference)) is not None:
        return hit
    with _fitting:
        if (hit := _cached(reference)) is not None:
            return hit
        fitted = _fit(reference)
        with _lock:
            _cache[id(reference)] = (reference, fitted)  # holding it keeps its id unique
            while len(_cache) > CACHED_REFERENCES:
                _cache.popitem(last=False)
    return fitted


def _categorical(reference: Reference) -> frozenset[str]:
    return frozenset(f.name for f in reference.features if f.data_type == TEXT_TYPE)


def _class_index(values: Array, labels: tuple[str, ...]) -> npt.NDArray[np.int64]:
    """Label texts as class indices; -1 for one that is not a class (or missing)."""
    index = {label: i for i, label in enumerate(labels)}
    return np.array([index.get(str(v), -1) if v is not None else -1 for v in values], np.int64)


def _proba(sample: dict[str, Array], labels: tuple[str, ...]) -> Array | None:
    columns = [proba_column(label) for label in labels]
    if not labels or any(c not in sample for c in columns):
        return None
    return np.column_stack([np.asarray(sample[c], dtype=np.float64) for c in columns])


def _bounded(columns: dict[str, Array], *others: Array) -> tuple[dict[str, Array], list[Array]]:
    """``columns`` and ``others`` (aligned rows), a seeded sample of MAX_FIT_ROWS of them when
    there are more."""
    count = len(others[0]) if others else len(next(iter(columns.values()), []))
    if count <= MAX_FIT_ROWS:
        return columns, list(others)
    rows = np.sort(np.random.default_rng(0).choice(count, MAX_FIT_ROWS, replace=False))
    return (
        {name: np.asarray(values)[rows] for name, values in columns.items()},
        [np.asarray(values)[rows] for values in others],
    )


def _labeled_rows(
    reference: Reference,
) -> tuple[dict[str, Array], Array, dict[str, Array], str] | str:
    """The rows the estimators learn from: inputs, target, the model's outputs and a note; the
    holdout sample's when the outputs come from it, else the training sample's. Text saying why
    there are none otherwise."""
    outputs, rows = reference.outputs, reference.output_sample_rows
    if PREDICT not in outputs:
        return "the model's outputs on labeled reference rows are missing"
    features = [f.name for f in reference.features]
    if reference.holdout_row_count:
        target, columns, note = reference.holdout_target, reference.holdout_columns, HOLDOUT_NOTE
    else:
        target, columns, note = reference.target, reference.columns, TRAINING_ROWS_NOTE
    if target is None or len(target) != rows or any(n not in columns for n in features):
        return "the reference has no labeled rows scored by the model"
    if len(target) < MIN_REFERENCE_ROWS:
        return f"too few labeled reference rows ({len(target)})"
    return {n: columns[n] for n in features}, target, outputs, note


def _fit(reference: Reference) -> Estimators:
    cbpe = dle = reconstruction = None
    multivariate_note = ""
    categorical = _categorical(reference)
    training = {
        f.name: reference.columns[f.name] for f in reference.features if f.name in reference.columns
    }
    try:
        if len(training) >= 2 and reference.sample_rows >= MIN_REFERENCE_ROWS:
            reconstruction = ReconstructionDrift.fit(_bounded(training)[0], categorical)
        else:
            multivariate_note = "needs at least two features and a reference sample"
    except Exception as error:  # a degenerate sample must not stop the report
        log.warning(
            "multivariate drift could not be fitted", version=reference.version, error=str(error)
        )
        multivariate_note = f"could not be fitted: {error}"
    labeled = _labeled_rows(reference)
    if isinstance(labeled, str):
        return Estimators(None, None, reconstruction, labeled, multivariate_note)
    columns, target, outputs, estimate_note = labeled
    try:
        if reference.task == "classification":
            proba = _proba(outputs, reference.class_labels)
            if proba is None:
                return Estimators(
                    None,
                    None,
                    reconstruction,
                    "the model gives no predict_proba: CBPE needs its scores",
                    multivariate_note,
                )
            columns, (target, predicted_text, proba) = _bounded(
                columns, target, outputs[PREDICT], proba
            )
            truth = _class_index(target, reference.class_labels)
            predicted = _class_index(predicted_text, reference.class_labels)
            keep = (truth >= 0) & (predicted >= 0) & np.isfinite(proba).all(axis=1)
            if keep.sum() < MIN_REFERENCE_ROWS or len(set(truth[keep].tolist())) < 2:
                estimate_note = "too few labeled reference rows of two classes or more"
            else:
                cbpe = CBPE.fit(proba[keep], truth[keep], predicted[keep])
        else:
            columns, (target, prediction_values) = _bounded(columns, target, outputs[PREDICT])
            prediction = np.asarray(prediction_values, dtype=np.float64)
            truth_values = np.asarray(target, dtype=np.float64)
            keep = np.isfinite(prediction) & np.isfinite(truth_values)
            if keep.sum() < MIN_REFERENCE_ROWS:
                estimate_note = "too few labeled reference rows"
            else:
                dle = DLE.fit(
                    {n: np.asarray(v)[keep] for n, v in columns.items()},
                    categorical,
                    prediction[keep],
                    truth_values[keep],
                )
    except Exception as error:
        log.warning(
            "performance estimation could not be fitted",
            version=reference.version,
            error=str(error),
        )
        estimate_note = f"could not be fitted: {error}"
    return Estimators(cbpe, dle, reconstruction, estimate_note, multivariate_note)


def _estimated(
    estimates: list[Estimate],
    reference: Reference,
    settings: PerformanceSettings,
    realised: PerformanceReport | None,
    verdicts: bool,
) -> tuple[EstimatedMetric, ...]:
    thresholds = {t.metric: t for t in thresholds_of(reference, settings)}
    realised_values = {m.metric: m.value for m in realised.metrics} if realised else {}
    out = []
    for e in estimates:
        judged = compare(
            e.metric, e.value, reference.holdout_metrics.get(e.metric), thresholds.get(e.metric)
        )
        out.append(
            EstimatedMetric(
                metric=e.metric,
                value=e.value,
                sampling_error=float(e.sampling_error),
                lower_confidence_bound=float(e.lower),
                upper_confidence_bound=float(e.upper),
                reference_value=judged.reference_value,
                realized_value=realised_values.get(e.metric),
                degradation=judged.degradation,
                max_degradation=judged.max_degradation,
                bound=judged.bound,
                degraded=verdicts and judged.degraded and math.isfinite(e.value),
            )
        )
    return tuple(out)


def performance_estimate(
    reference: Reference,
    sample: dict[str, Array],
    settings: PerformanceSettings,
    realised: PerformanceReport | None,
    verdicts: bool,
) -> PerformanceEstimate | None:
    """The window's estimated performance from its sampled rows, or None when the reference
    cannot support one."""
    fitted = estimators_for(reference)
    if fitted.cbpe is not None:
        proba = _proba(sample, reference.class_labels)
        if proba is None or PREDICT not in sample:
            return None
        predicted = _class_index(sample[PREDICT], reference.class_labels)
        keep = np.isfinite(proba).all(axis=1) & (predicted >= 0)
        if not keep.any():
            return PerformanceEstimate(
                method=EstimationMethod.CBPE,
                reference_row_count=fitted.cbpe.rows,
                note="no window row has predict_proba logged",
            )
        metrics = _estimated(
            fitted.cbpe.estimate(proba[keep], predicted[keep]),
            reference,
            settings,
            realised,
            verdicts,
        )
        return PerformanceEstimate(
            method=EstimationMethod.CBPE,
            metrics=metrics,
            reference_row_count=fitted.cbpe.rows,
            row_count=int(keep.sum()),
            calibrated=fitted.cbpe.calibrated,
            degraded=any(m.degraded for m in metrics),
            note=fitted.estimate_note,
        )
    if fitted.dle is not None:
        if PREDICT not in sample or any(f.name not in sample for f in reference.features):
            return None
        prediction = np.asarray(sample[PREDICT], dtype=np.float64)
        keep = np.isfinite(prediction)
        columns = {f.name: np.asarray(sample[f.name])[keep] for f in reference.features}
        metrics = _estimated(
            fitted.dle.estimate(columns, prediction[keep]), reference, settings, realised, verdicts
        )
        return PerformanceEstimate(
            method=EstimationMethod.DLE,
            metrics=metrics,
            reference_row_count=fitted.dle.rows,
            row_count=int(keep.sum()),
            degraded=any(m.degraded for m in metrics),
            note=fitted.estimate_note,
        )
    return None


def multivariate_drift(
    reference: Reference, sample: dict[str, Array], verdicts: bool
) -> MultivariateDrift | None:
    """The window's reconstruction error against the reference's band, or None."""
    fitted = estimators_for(reference).reconstruction
    if fitted is None or any(f.name not in sample for f in reference.features):
        return None
    result = fitted.measure({f.name: sample[f.name] for f in reference.features})
    if result.rows == 0 or not math.isfinite(result.error):
        return None
    return MultivariateDrift(
        reconstruction_error=result.error,
        lower_threshold=result.lower,
        upper_threshold=result.upper,
        reference_error=result.reference_mean,
        component_count=result.components,
        variance_share=DEFAULT_VARIANCE,
        row_count=result.rows,
        drifted=verdicts and result.drifted,
    )
