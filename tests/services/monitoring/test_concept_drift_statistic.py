"""A report's concept drift result says the statistic that crossed the detector's threshold,
not the 0 of the detector reset after it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from slipway.services.monitoring.domain.entities import ConceptDriftDetector
from slipway.services.monitoring.domain.performance import concept_drift
from slipway.services.monitoring.domain.reference import Reference
from slipway.services.monitoring.domain.window import Labeled


def test_a_detection_reports_the_statistic_that_crossed_the_threshold() -> None:
    reference = Reference(
        version="models/m/versions/1",
        model="models/m",
        task="classification",
        features=(),
        columns={},
        target=None,
        outputs={},
        class_labels=("no", "yes"),
        holdout_metrics={"accuracy": 0.95},
        training_job="",
        profile_row_count=0,
    )
    start = datetime(2026, 1, 1, tzinfo=UTC)
    rows = 600
    # Right at the holdout's error rate, then wrong on every row: the error rate rose.
    predicted = ["yes" if i < 300 and i % 20 else "no" for i in range(rows)]
    labeled = Labeled(
        truth=["yes"] * rows,
        predicted=predicted,
        times=[start + timedelta(seconds=i) for i in range(rows)],
    )
    result = concept_drift(reference, labeled, ConceptDriftDetector.PAGE_HINKLEY, {})
    assert result.detected
    assert result.detection_time is not None
    assert result.detection_time > start + timedelta(seconds=300)
    assert result.statistic > result.parameters["threshold"]
