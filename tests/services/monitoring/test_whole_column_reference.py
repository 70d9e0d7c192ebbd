"""A report's reference figures from the whole training column, in the domain: training keeps a
sketch of every whole column beside a sample of its rows; a report takes the reference
statistics the sketch gives exactly from it and runs the tests of categories on its exact
counts, and says which figures came from where. Versions without sketches, or whose lineage is
not verified, are described by the sample alone."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow.parquet as pq
import pytest

from slipway.ml.profiles import feature_sketch, feature_stats, write_reference
from slipway.services.monitoring.domain.entities import DriftMethod, FeatureDrift, Policy, Report
from slipway.services.monitoring.domain.reference import (
    FeatureRef,
    VersionFacts,
    build_reference,
    typed_column,
)
from slipway.services.monitoring.domain.reports import build_report
from slipway.services.monitoring.domain.window import FeatureCounts, Labeled, WindowData
from slipway.services.monitoring.stats.drift import DriftConfig, feature_drift

NOW = datetime(2026, 12, 1, tzinfo=UTC)
TRAINING_ROWS = 20_000
SAMPLE_ROWS = 400
FEATURES = (
    FeatureRef("x", "numeric", "FP64", frozenset(), None, None, 0.0),
    FeatureRef("flag", "binary", "FP64", frozenset(), None, None, 0.0),
    FeatureRef("city", "categorical", "BYTES", frozenset(), None, None, 0.0),
)
CITIES = [f"c{i}" for i in range(30)]
CITY_SHARES = np.linspace(1.0, 4.0, len(CITIES)) / np.linspace(1.0, 4.0, len(CITIES)).sum()


def _draw(rng: np.random.Generator, rows: int) -> dict[str, npt.NDArray[Any]]:
    x = rng.normal(5.0, 2.0, rows)
    x[rng.random(rows) < 0.04] = np.nan
    city = rng.choice(CITIES, rows, p=CITY_SHARES).astype(object)
    city[rng.random(rows) < 0.08] = np.nan
    return {"x": x, "flag": (rng.random(rows) < 0.3).astype(np.float64), "city": city}


def _reference_file(path: Path) -> tuple[dict[str, npt.NDArray[Any]], npt.NDArray[np.int64]]:
    """The whole training columns written as a reference file, and the rows of its sample."""
    rng = np.random.default_rng(11)
    whole = _draw(rng, TRAINING_ROWS)
    chosen = np.sort(rng.choice(TRAINING_ROWS, SAMPLE_ROWS, replace=False))
    write_reference(
        path,
        {name: values[chosen] for name, values in whole.items()},
        rng.normal(size=SAMPLE_ROWS),
        row_count=TRAINING_ROWS,
        sketches={name: feature_sketch(values) for name, values in whole.items()},
    )
    return whole, chosen


def _facts(verified: bool) -> VersionFacts:
    return VersionFacts(
        name="models/m/versions/1",
        task="regression",
        class_labels=(),
        features=FEATURES,
        artifact_sha256="",
        artifact_format="skops",
        framework_versions={},
        holdout_metrics={},
        training_job="trainingJobs/j",
        profile_row_count=TRAINING_ROWS,
        verified=verified,
    )


def _current() -> dict[str, npt.NDArray[Any]]:
    drawn = _draw(np.random.default_rng(12), 1000)
    return {f.name: typed_column(f, drawn[f.name]) for f in FEATURES}


def _report(path: Path, verified: bool) -> Report:
    reference = build_reference(_facts(verified), sample_file=path, model_file=None)
    current = _current()
    window = WindowData(
        row_count=1000,
        record_count=10,
        start_time=NOW,
        end_time=NOW,
        sample=current,
        sample_rows=1000,
        counts={f.name: FeatureCounts() for f in FEATURES},
        schema_issues={},
        labeled=Labeled(),
        label_values=np.array([], dtype=object),
    )
    return build_report(reference, window, Policy(model="models/m"), NOW)


def _features(report: Report) -> dict[str, FeatureDrift]:
    assert report.data_drift is not None
    return {f.feature: f for f in report.data_drift.features}


def test_reference_statistics_and_category_tests_come_from_the_whole_column(
    tmp_path: Path,
) -> None:
    path = tmp_path / "reference.parquet"
    whole, chosen = _reference_file(path)
    report = _report(path, verified=True)
    assert (report.reference_row_count, report.reference_sample_row_count) == (20_000, 400)
    features = _features(report)
    for feature in FEATURES:
        drift = features[feature.name]
        column = typed_column(feature, whole[feature.name])
        exact = feature_stats(feature.name, column, feature.kind)
        stats = drift.reference
        assert (stats.count, stats.missing_count, stats.distinct_count) == (
            exact.count,
            exact.missing_count,
            exact.distinct_count,
        )
        assert stats.categories == exact.categories
        assert (stats.mean, stats.std, stats.min, stats.max) == pytest.approx(
            (exact.mean, exact.std, exact.min, exact.max)
        )
        assert [v for _, v in stats.quantiles] == pytest.approx([v for _, v in exact.quantiles])
        assert stats.histogram.counts == exact.histogram.counts
        assert "count" in drift.reference_whole_column_fields
        assert not drift.drifted
        if feature.kind != "numeric":
            # The test of categories saw every training row: the same figure as when given
            # the whole column itself.
            assert drift.reference_test_count == exact.count
            direct = feature_drift(
                feature.name,
                column,
                _current()[feature.name],
                feature.kind,
                DriftConfig(small_reference_max=-1),
            )
            assert drift.statistic == pytest.approx(direct.statistic, rel=1e-12)
    assert "mean" in features["x"].reference_whole_column_fields
    assert "categories" in features["city"].reference_whole_column_fields
    assert features["city"].method is DriftMethod.JENSEN_SHANNON
    # The numeric test needs the values: it ran on the sample.
    assert features["x"].method is DriftMethod.WASSERSTEIN
    assert features["x"].reference_test_count == np.isfinite(whole["x"][chosen]).sum()


def test_an_unverified_version_or_one_without_sketches_is_described_by_its_sample(
    tmp_path: Path,
) -> None:
    path = tmp_path / "reference.parquet"
    _reference_file(path)
    for report in (_report(path, verified=False), _report(_without_sketches(path), True)):
        for drift in _features(report).values():
            assert drift.reference_whole_column_fields == ()
            assert drift.reference.count + drift.reference.missing_count == SAMPLE_ROWS
            assert drift.reference_test_count == drift.reference.count


def _without_sketches(path: Path) -> Path:
    table = pq.read_table(path)
    metadata = json.loads(table.schema.metadata[b"slipway.reference"])
    metadata["sketches"] = {}
    bare = path.with_name("bare.parquet")
    pq.write_table(
        table.replace_schema_metadata({b"slipway.reference": json.dumps(metadata)}), bare
    )
    return bare
