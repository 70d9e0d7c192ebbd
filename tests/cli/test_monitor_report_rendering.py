"""How `slipway monitor report` prints what a report says: no mean for a category (its unset
mean reads as 0 on the wire) but its most frequent value and how many it has, and a concept drift
detector's statistic only where it says something."""

from __future__ import annotations

import pytest

from slipway.cli.monitor import show_report
from slipway.common.v1 import feature_pb2
from slipway.monitoring.v1 import drift_pb2
from slipway.monitoring.v1 import monitoring_report_pb2 as report_pb2


def _report(detected: bool, statistic: float) -> report_pb2.MonitoringReport:
    report = report_pb2.MonitoringReport(model_version="models/m/versions/1")
    report.data_drift.features.add(
        feature="colour",
        kind=feature_pb2.FEATURE_KIND_CATEGORICAL,
        method=drift_pb2.DRIFT_METHOD_CHI_SQUARE,
        score=0.4,
        threshold=0.05,
        reference=feature_pb2.FeatureStatistics(
            name="colour", count=10, categories=[feature_pb2.CategoryCount(value="red", count=10)]
        ),
        current=feature_pb2.FeatureStatistics(
            name="colour",
            count=10,
            distinct_count=3,
            categories=[
                feature_pb2.CategoryCount(value="blue", count=6),
                feature_pb2.CategoryCount(value="red", count=3),
                feature_pb2.CategoryCount(value="green", count=1),
            ],
        ),
    )
    report.data_drift.features.add(
        feature="size",
        kind=feature_pb2.FEATURE_KIND_NUMERIC,
        method=drift_pb2.DRIFT_METHOD_KS,
        score=0.7,
        threshold=0.05,
        reference=feature_pb2.FeatureStatistics(
            name="size", count=10, mean=12.5, quantiles=[feature_pb2.Quantile(value=12.0)]
        ),
        current=feature_pb2.FeatureStatistics(
            name="size", count=10, mean=0.0, quantiles=[feature_pb2.Quantile(value=0.0)]
        ),
    )
    performance = report.performance
    performance.labeled_row_count = 200
    performance.concept_drift.detector = drift_pb2.CONCEPT_DRIFT_DETECTOR_PAGE_HINKLEY
    performance.concept_drift.parameters["threshold"] = 50.0
    performance.concept_drift.detected = detected
    performance.concept_drift.statistic = statistic
    if detected:
        performance.concept_drift.detection_time.FromSeconds(1_800_000_000)
    return report


def _row(out: str, name: str) -> list[str]:
    (line,) = [line for line in out.splitlines() if line.startswith(name + " ")]
    return line.split()


def test_a_category_shows_its_top_value_and_a_number_its_mean(
    capsys: pytest.CaptureFixture[str],
) -> None:
    show_report(_report(False, 0.0), all_features=False)
    out = capsys.readouterr().out
    reference, current = ["red", "100%,", "1", "distinct"], ["blue", "60%,", "3", "distinct"]
    assert _row(out, "colour")[-8:] == [*reference, *current]
    assert _row(out, "size")[-4:] == ["mean", "12.5", "mean", "0"]  # a true 0 is still shown


@pytest.mark.parametrize(
    ("detected", "statistic", "expected"),
    [
        (True, 62.5, "DETECTED at 2027-01-15 08:00:00 (statistic 62.5, threshold 50)"),
        (False, 12.0, "not detected (statistic 12, threshold 50)"),
        (False, 0.0, "not detected"),
        # Some detectors reset their statistic when they fire: a 0 there says nothing.
        (True, 0.0, "DETECTED at 2027-01-15 08:00:00"),
    ],
)
def test_concept_drift_says_its_statistic_only_where_it_has_one(
    capsys: pytest.CaptureFixture[str], detected: bool, statistic: float, expected: str
) -> None:
    show_report(_report(detected, statistic), all_features=False)
    (line,) = [x for x in capsys.readouterr().out.splitlines() if x.startswith("Concept drift")]
    assert line == f"Concept drift (page_hinkley): {expected}"


def test_an_estimate_prints_its_band_beside_the_realised_value_and_the_reconstruction_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    report = _report(False, 0.0)
    estimate = report.performance_estimate
    estimate.method = report_pb2.ESTIMATION_METHOD_CBPE
    estimate.row_count = 1000
    estimate.reference_row_count = 1000
    estimate.degraded = True
    estimate.metrics.add(
        metric="accuracy",
        value=0.731,
        lower_confidence_bound=0.7,
        upper_confidence_bound=0.76,
        reference_value=0.85,
        realized_value=0.72,
        degraded=True,
    )
    report.multivariate_drift.reconstruction_error = 1.48
    report.multivariate_drift.lower_threshold = 0.84
    report.multivariate_drift.upper_threshold = 0.94
    report.multivariate_drift.component_count = 2
    report.multivariate_drift.drifted = True
    show_report(report, all_features=False)
    out = capsys.readouterr().out
    assert "Estimated performance (cbpe, without labels): DEGRADED" in out
    assert _row(out, "accuracy") == [
        "accuracy",
        "0.731",
        "0.7",
        "to",
        "0.76",
        "0.72",
        "0.85",
        "DEGRADED",
    ]
    assert (
        "Multivariate drift (PCA reconstruction error): DRIFT (error 1.48, reference band 0.84 "
        "to 0.94; 2 components)" in out
    )
