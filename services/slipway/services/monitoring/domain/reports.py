"""A monitoring report: one version's window compared with its reference under a policy.

Pure computation (no database, no network): ``build_report(reference, window, policy, now)``.
Drift per feature and for the dataset (``stats.drift``), prediction drift on ``predict`` and each
``predict_proba`` column, target drift once labels arrived, data quality, and performance. With
fewer rows than the policy's ``min_samples`` every statistic is reported but no verdict drawn.

The drift method follows the real size of the reference (``sized``): a statistic computed on a
sample of a 160k-row training set uses the large-reference methods, as Evidently given the whole
training data would. The report states the real row count and the sample rows used.

Where the reference has a sketch of a feature's whole training column (``Reference.sketches``),
the feature's reference statistics take every figure the sketch gives exactly (counts, min,
max, quantiles, mean, standard deviation, histogram, categories:
``slipway.ml.profiles.stats_from_sketch``), the missing share and its test use the whole
column's counts, and a test of categories (chi-square, z-test, Jensen-Shannon, PSI) runs on its
exact category counts (``stats.drift.WholeColumn``). Each feature says which statistics came
from the whole column (``reference_whole_column_fields``) and how many reference values its test
used (``reference_test_count``). KS and Wasserstein need the values and run on the sample.
"""

from __future__ import annotations

import os
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from datetime import datetime
from functools import cache
from typing import Any

import numpy as np
import numpy.typing as npt
from threadpoolctl import ThreadpoolController  # type: ignore[import-untyped]

from slipway.core.logs import get_logger
from slipway.ml.profiles import ColumnSketch, Kind, feature_stats, stats_from_sketch
from slipway.services.monitoring.domain.entities import (
    DataQuality,
    DataQualitySettings,
    DatasetDrift,
    DriftMethod,
    DriftSettings,
    DriftTest,
    FeatureDrift,
    FeatureQuality,
    MultivariateDrift,
    PerformanceReport,
    Policy,
    PsiResult,
    Report,
    ReportWindow,
    SchemaIssue,
    SchemaIssueKind,
)
from slipway.services.monitoring.domain.estimates import multivariate_drift, performance_estimate
from slipway.services.monitoring.domain.performance import performance_report
from slipway.services.monitoring.domain.reference import PREDICT, Reference
from slipway.services.monitoring.domain.window import WindowData
from slipway.services.monitoring.stats import drift

log = get_logger("slipway.monitoring.reports")

DEFAULT_WINDOW_ROWS = 1000
DEFAULT_MIN_SAMPLES = 100
DEFAULT_MISSING_MARGIN = 0.05  # above the reference's missing share
DEFAULT_OUT_OF_RANGE_SHARE = 0.05
MAX_UNSEEN_LISTED = 20
PSI_DEFAULT_THRESHOLD = 0.2

METHODS: dict[DriftMethod | None, drift.Method] = {
    DriftMethod.KS: "ks",
    DriftMethod.CHI_SQUARE: "chisquare",
    DriftMethod.Z_TEST: "ztest",
    DriftMethod.WASSERSTEIN: "wasserstein",
    DriftMethod.JENSEN_SHANNON: "jensenshannon",
    DriftMethod.PSI: "psi",
}
METHOD_ENUMS: dict[str, DriftMethod] = {
    name: method for method, name in METHODS.items() if method is not None
}
ISSUE_ORDER = {kind: i for i, kind in enumerate(SchemaIssueKind)}  # as the API numbers them
NUMERIC_ONLY = frozenset({"ks", "wasserstein"})


def min_samples(policy: Policy) -> int:
    return int(policy.min_samples) if policy.min_samples > 0 else DEFAULT_MIN_SAMPLES


def drift_config(config: DriftSettings) -> drift.DriftConfig:
    """The statistics' configuration for a policy's drift settings."""
    base = drift.DriftConfig()
    small = dict(base.small_reference_methods)
    large = dict(base.large_reference_methods)
    thresholds = {**base.method_thresholds, "psi": PSI_DEFAULT_THRESHOLD}
    kind_thresholds: dict[Kind, float] = {}
    tests: tuple[tuple[Kind, DriftTest | None], ...] = (
        ("numeric", config.numeric),
        ("categorical", config.categorical),
        ("binary", config.binary),
    )
    for kind, test in tests:
        if test is None:
            continue
        if test.method in METHODS:
            small[kind] = large[kind] = METHODS[test.method]
        if test.threshold is not None:
            kind_thresholds[kind] = test.threshold
    feature_methods: dict[str, drift.Method] = {}
    feature_thresholds: dict[str, float] = {}
    for name, test in config.feature_overrides.items():
        if test.method in METHODS:
            feature_methods[name] = METHODS[test.method]
        if test.threshold is not None:
            feature_thresholds[name] = test.threshold
    return replace(
        base,
        small_reference_methods=small,
        large_reference_methods=large,
        method_thresholds=thresholds,
        kind_thresholds=kind_thresholds,
        feature_methods=feature_methods,
        feature_thresholds=feature_thresholds,
        dataset_threshold=(
            config.dataset_drift_share
            if config.dataset_drift_share is not None
            else base.dataset_threshold
        ),
        psi_bins=config.psi_bins or base.psi_bins,
    )


def sized(config: drift.DriftConfig, rows: int, sample_rows: int) -> drift.DriftConfig:
    """``config`` for a sample of ``sample_rows`` drawn from a reference of ``rows``: when the
    sample is smaller than the reference and the reference is larger than a small one, the
    large-reference methods, whatever the sample's size."""
    if sample_rows < rows and rows > config.small_reference_max:
        return replace(config, small_reference_max=-1)  # no sample is "small" then
    return config


def _psi_edges(reference: npt.NDArray[Any], bins: int) -> list[float]:
    """The numeric PSI bin edges, as ``stats.drift`` draws them (reference quantiles)."""
    values = np.asarray(reference, dtype=np.float64)
    values = values[np.isfinite(values)]
    if len(values) == 0:
        return []
    inner = np.unique(np.quantile(values, np.linspace(0, 1, bins + 1)[1:-1]))
    return [-np.inf, *inner.tolist(), np.inf]


def whole_column(sketch: ColumnSketch | None) -> drift.WholeColumn | None:
    """What the statistics use of a whole-column sketch."""
    if sketch is None:
        return None
    values: npt.NDArray[Any] | None = None
    counts: npt.NDArray[np.int64] | None = None
    if sketch.numeric and sketch.values is not None:
        values = np.array([v for v, _ in sketch.values], dtype=np.float64)
        counts = np.array([c for _, c in sketch.values], dtype=np.int64)
    elif not sketch.numeric and not sketch.truncated:
        values = np.array([v for v, _ in sketch.categories], dtype=str)
        counts = np.array([c for _, c in sketch.categories], dtype=np.int64)
    distinct = sketch.distinct_count
    if distinct is None and values is not None:
        distinct = len(values)
    return drift.WholeColumn(sketch.count, sketch.missing_count, distinct, values, counts)


def _feature_drift(
    name: str,
    reference: npt.NDArray[Any],
    current: npt.NDArray[Any],
    kind: Kind,
    config: drift.DriftConfig,
    verdicts: bool,
    note: str = "",
    sketch: ColumnSketch | None = None,
) -> FeatureDrift:
    notes = [note] if note else []
    whole = whole_column(sketch)
    try:
        result = drift.feature_drift(
            name, reference, current, kind, config, keep_sorted=True, whole=whole
        )
    except ValueError as error:  # a numeric method set for a text column: use the default
        notes.append(f"{error}; the default method was used")
        methods = {k: v for k, v in config.feature_methods.items() if k != name}
        result = drift.feature_drift(
            name,
            reference,
            current,
            kind,
            replace(config, feature_methods=methods),
            keep_sorted=True,
            whole=whole,
        )
    edges: list[float] = []
    if kind == "numeric" and result.current_count and result.reference_count:
        # The statistic's own edges (from the sorted column it already holds); drawn again
        # only where it binned by category.
        edges = list(result.psi_edges) or _psi_edges(reference, config.psi_bins)
    if result.reference_count == 0 or result.current_count == 0:
        notes.append("no present value on one side: only the missing share was compared")
    if result.missing_drifted:
        notes.append(
            f"the missing share changed: {result.current_missing_share:.3f} against "
            f"{result.reference_missing_share:.3f} in the reference "
            f"(p={result.missing_p_value:.3g})"
        )
    if not verdicts:
        notes.append("fewer rows than min_samples: no verdict")
    reference_stats = feature_stats(name, reference, kind, ordered=result.reference_sorted)
    whole_fields: tuple[str, ...] = ()
    if sketch is not None:
        reference_stats, whole_fields = stats_from_sketch(reference_stats, sketch)
    return FeatureDrift(
        feature=name,
        kind=kind,
        method=METHOD_ENUMS[result.method],
        score=(result.p_value if result.p_value is not None else result.statistic),
        statistic=result.statistic,
        threshold=result.threshold,
        drifted=verdicts and result.drifted,
        psi=PsiResult(result.psi, len(result.psi_bins), tuple(edges)),
        reference=reference_stats,
        current=feature_stats(name, current, kind, ordered=result.current_sorted),
        note="; ".join(notes),
        reference_whole_column_fields=whole_fields,
        reference_test_count=result.reference_count,
    )


def _dataset(features: list[FeatureDrift], share_threshold: float, verdicts: bool) -> DatasetDrift:
    drifted = sum(f.drifted for f in features)
    share = drifted / len(features) if features else 0.0
    return DatasetDrift(
        features=tuple(features),
        drifted_count=drifted,
        drifted_share=share,
        share_threshold=share_threshold,
        drifted=verdicts and bool(features) and share >= share_threshold,
    )


def _data_quality(
    reference: Reference, window: WindowData, config: DataQualitySettings, verdicts: bool
) -> DataQuality:
    features: list[FeatureQuality] = []
    max_out = (
        config.max_out_of_range_share
        if config.max_out_of_range_share is not None
        else DEFAULT_OUT_OF_RANGE_SHARE
    )
    for feature in reference.features:
        counts = window.counts[feature.name]
        rows = window.row_count
        missing_share = counts.missing / rows if rows else 0.0
        out_of_range_share = counts.out_of_range / rows if rows else 0.0
        max_missing = (
            config.max_missing_share
            if config.max_missing_share is not None
            else feature.missing_share + DEFAULT_MISSING_MARGIN
        )
        features.append(
            FeatureQuality(
                feature=feature.name,
                missing_count=counts.missing,
                missing_share=missing_share,
                reference_missing_share=feature.missing_share,
                out_of_range_count=counts.out_of_range,
                out_of_range_share=out_of_range_share,
                unseen_category_count=counts.unseen_total,
                unseen_categories=tuple(v for v, _ in counts.unseen.most_common(MAX_UNSEEN_LISTED)),
                flagged=verdicts
                and (
                    missing_share > max_missing
                    or out_of_range_share > max_out
                    or (config.alert_on_unseen_categories and counts.unseen_total > 0)
                ),
            )
        )
    issues = tuple(
        SchemaIssue(feature=name, kind=issue, detail=detail, record_count=records)
        for (name, issue), (records, detail) in sorted(
            window.schema_issues.items(), key=lambda item: (item[0][0], ISSUE_ORDER[item[0][1]])
        )
    )
    return DataQuality(
        features=tuple(features),
        schema_issues=issues,
        issues_found=verdicts and (any(f.flagged for f in features) or bool(issues)),
    )


def build_report(reference: Reference, window: WindowData, policy: Policy, now: datetime) -> Report:
    """The report of ``window`` under ``policy`` (its name empty when the defaults apply).

    Linear algebra runs in one thread: OpenBLAS hands even small products and decompositions
    to its threads, and on two cores shared with serving and other work waking them cost more
    than the arithmetic. Measured on the 2-core machine under load, a 10k-row report with its
    first multivariate fit: 2.6 s with OpenBLAS's two threads (2.3 s of it in six 8,000 x 20
    SVDs), 0.24 s with one."""
    with _blas().limit(limits=1, user_api="blas"):
        return _report(reference, window, policy, now)


# Threads a report spreads its features over. The statistics are NumPy sorts, searches and sums
# over whole columns, which run without the GIL: two threads use both cores of a small machine
# (and on a busy one get two shares of it, not one).
REPORT_THREADS = min(2, os.cpu_count() or 1)


@cache
def _pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=REPORT_THREADS, thread_name_prefix="report")


@cache
def _blas() -> ThreadpoolController:
    # Made once: finding the loaded libraries reads the process's memory map (14 ms).
    return ThreadpoolController()


def _report(reference: Reference, window: WindowData, policy: Policy, now: datetime) -> Report:
    report_window = ReportWindow(row_count=window.row_count, sample_row_count=window.sample_rows)
    if window.start_time is not None and window.end_time is not None:
        report_window = replace(
            report_window, start_time=window.start_time, end_time=window.end_time
        )
    verdicts = window.row_count >= min_samples(policy) and window.sample_rows > 0
    policy_config = drift_config(policy.drift_settings)
    config = sized(policy_config, reference.row_count, reference.sample_rows)
    data_drift = prediction_drift = None
    pool = _pool()
    # The multivariate drift (a PCA over every row) first, beside the features: the threads
    # take the features as they finish, so neither waits for the other.
    multivariate_job: Future[MultivariateDrift | None] | None = (
        pool.submit(multivariate_drift, reference, window.sample, verdicts)
        if window.sample_rows
        else None
    )
    if window.sample_rows and reference.columns:
        data_drift = _dataset(
            list(
                pool.map(
                    lambda f: _feature_drift(
                        f.name,
                        reference.columns[f.name],
                        window.sample[f.name],
                        f.kind,
                        config,
                        verdicts,
                        sketch=reference.sketches.get(f.name),
                    ),
                    [f for f in reference.features if f.name in reference.columns],
                )
            ),
            config.dataset_threshold,
            verdicts,
        )
        outputs: list[FeatureDrift] = []
        output_config = sized(
            policy_config, reference.output_row_count, reference.output_sample_rows
        )
        source = "holdout" if reference.holdout_row_count else "training"
        output_note = (
            f"reference: the model's outputs on {reference.output_sample_rows} of "
            f"{reference.output_row_count} {source} rows"
        )
        for name, values in reference.outputs.items():
            if name in window.sample:
                kind: Kind = (
                    "categorical"
                    if name == PREDICT and reference.task == "classification"
                    else "numeric"
                )
                outputs.append(
                    _feature_drift(
                        name,
                        values,
                        window.sample[name],
                        kind,
                        output_config,
                        verdicts,
                        output_note,
                    )
                )
        prediction_drift = _dataset(outputs, config.dataset_threshold, verdicts)
    labeled = window.labeled
    target_drift = None
    if labeled.truth and reference.target is not None and len(reference.target):
        kind = "categorical" if reference.task == "classification" else "numeric"
        target_drift = _feature_drift(
            "target",
            reference.target,
            window.label_values,
            kind,
            config,
            verdicts and len(labeled.truth) >= min_samples(policy),
        )
    performance = None
    if labeled.truth or labeled.invalid:  # also to say that labels were left out
        performance = performance_report(
            reference,
            labeled,
            policy.performance_settings,
            window_rows=window.row_count,
            min_samples=min_samples(policy),
        )
    estimate = multivariate = None
    if window.sample_rows:
        # Each section is an addition to the report: one that cannot be computed for this
        # window is left out (and logged) rather than failing the drift and data quality too.
        try:
            estimate = performance_estimate(
                reference, window.sample, policy.performance_settings, performance, verdicts
            )
        except Exception:
            log.exception("performance estimate failed", version=reference.version)
    if multivariate_job is not None:
        try:
            multivariate = multivariate_job.result()
        except Exception:
            log.exception("multivariate drift failed", version=reference.version)
    return Report(
        model=reference.model,
        model_version=reference.version,
        policy=policy.name,
        window=report_window,
        create_time=now,
        reference_row_count=reference.row_count,
        reference_sample_row_count=reference.sample_rows,
        sufficient_samples=verdicts,
        data_quality=_data_quality(reference, window, policy.data_quality_settings, verdicts),
        data_drift=data_drift,
        prediction_drift=prediction_drift,
        target_drift=target_drift,
        performance=performance,
        performance_estimate=estimate,
        multivariate_drift=multivariate,
    )


def drifted_names(drift_section: DatasetDrift | None) -> list[str]:
    if drift_section is None:
        return []
    return [f.feature for f in drift_section.features if f.drifted]


def summary_of(kind: str, report: Report) -> tuple[str, list[str]]:
    """A one-line summary of a problem found in ``report``, and its subjects."""
    if kind == "data_drift":
        names = drifted_names(report.data_drift)
        total = len(report.data_drift.features) if report.data_drift is not None else 0
        return (
            f"data drift: {len(names)} of {total} features "
            f"drifted ({', '.join(names[:10])}{', ...' if len(names) > 10 else ''})",
            names,
        )
    if kind == "prediction_drift":
        names = drifted_names(report.prediction_drift)
        return f"prediction drift: {', '.join(names)} drifted", names
    performance = report.performance or PerformanceReport()
    if kind == "target_drift":
        target = report.target_drift
        method = target.method if target is not None else DriftMethod.UNSPECIFIED
        return (
            f"target drift: DRIFT_METHOD_{method.name} score "
            f"{target.score if target is not None else 0.0:.3g}",
            ["target"],
        )
    if kind == "performance":
        worse = [m for m in performance.metrics if m.degraded]
        parts = [
            f"{m.metric} {m.value:.3f} against {m.reference_value:.3f} in holdout"
            if m.reference_value is not None
            else f"{m.metric} {m.value:.3f}"
            for m in worse
        ]
        return "performance: " + "; ".join(parts), [m.metric for m in worse]
    if kind == "estimated_performance":
        estimate = report.performance_estimate
        dropped = [m for m in (estimate.metrics if estimate else ()) if m.degraded]
        return (
            "estimated performance: "
            + "; ".join(
                f"{m.metric} {m.value:.3f} [{m.lower_confidence_bound:.3f}, "
                f"{m.upper_confidence_bound:.3f}]"
                + (f" against {m.reference_value:.3f} in holdout" if m.reference_value else "")
                for m in dropped
            ),
            [m.metric for m in dropped],
        )
    if kind == "multivariate_drift":
        section = report.multivariate_drift
        error = section.reconstruction_error if section else 0.0
        upper = section.upper_threshold if section else 0.0
        return (
            f"multivariate drift: reconstruction error {error:.3f} outside "
            f"[{section.lower_threshold if section else 0.0:.3f}, {upper:.3f}]",
            ["inputs"],
        )
    if kind == "concept_drift":
        result = performance.concept_drift
        return (
            f"concept drift: CONCEPT_DRIFT_DETECTOR_{result.detector.name} detected "
            f"a rise of the error rate (statistic {result.statistic:.3g})",
            ["errors"],
        )
    flagged = [f.feature for f in report.data_quality.features if f.flagged]
    issues = [f"{i.feature or 'record'}: {i.detail}" for i in report.data_quality.schema_issues]
    subjects = flagged + [i.feature for i in report.data_quality.schema_issues if i.feature]
    return (
        "data quality: "
        + "; ".join(
            ([f"{len(flagged)} feature(s) flagged ({', '.join(flagged[:10])})"] if flagged else [])
            + issues[:5]
        ),
        sorted(set(subjects)),
    )


def problems(report: Report) -> dict[str, bool]:
    """Which problems the report shows, by alert kind (all False without sufficient samples)."""
    enough = report.sufficient_samples
    performance = report.performance
    return {
        "data_drift": enough and report.data_drift is not None and report.data_drift.drifted,
        "prediction_drift": enough
        and report.prediction_drift is not None
        and report.prediction_drift.drifted,
        "target_drift": enough and report.target_drift is not None and report.target_drift.drifted,
        "performance": enough
        and performance is not None
        and any(m.degraded for m in performance.metrics),
        "concept_drift": enough and performance is not None and performance.concept_drift.detected,
        "data_quality": enough and report.data_quality.issues_found,
        "estimated_performance": enough
        and report.performance_estimate is not None
        and report.performance_estimate.degraded,
        "multivariate_drift": enough
        and report.multivariate_drift is not None
        and report.multivariate_drift.drifted,
    }


def judged_kinds(report: Report, policy: Policy) -> set[str]:
    """The kinds the report could judge: only those fire or resolve an alert (a window too
    small for a verdict, or without labels, leaves a firing alert as it is)."""
    if not report.sufficient_samples:
        return set()
    kinds = {"data_drift", "prediction_drift", "data_quality"}
    # The label-free kinds alert only where the policy asks for them (see the policy proto).
    estimate = report.performance_estimate
    if policy.performance_settings.alert_on_estimated_performance and estimate and estimate.metrics:
        kinds.add("estimated_performance")
    if policy.drift_settings.alert_on_multivariate_drift and report.multivariate_drift:
        kinds.add("multivariate_drift")
    if report.target_drift is not None:
        kinds.add("target_drift")
    if report.performance is not None and report.performance.labeled_row_count >= min_samples(
        policy
    ):
        kinds |= {"performance", "concept_drift"}
    return kinds
