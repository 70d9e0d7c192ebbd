"""Feature statistics and reference sample files."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np
import pytest

from slipway.ml.profiles import (
    MAX_CATEGORIES,
    QUANTILES,
    ColumnSketch,
    FeatureStats,
    feature_sketch,
    feature_stats,
    read_reference,
    read_sample,
    stats_from_sketch,
    write_reference,
    write_sample,
)


def test_numeric_statistics():
    values = np.array([1.0, 2.0, np.nan, 4.0, 10.0, np.inf, 3.0])
    stats = feature_stats("x", values)
    present = np.array([1.0, 2.0, 4.0, 10.0, 3.0])
    assert stats.kind == "numeric"
    assert (stats.count, stats.missing_count, stats.distinct_count) == (5, 2, 5)
    assert stats.mean == pytest.approx(present.mean())
    assert stats.std == pytest.approx(present.std(ddof=1))
    assert (stats.min, stats.max) == (1.0, 10.0)
    assert [p for p, _v in stats.quantiles] == list(QUANTILES)
    assert [v for _p, v in stats.quantiles] == pytest.approx(np.quantile(present, QUANTILES))
    edges, counts = stats.histogram.bin_edges, stats.histogram.counts
    assert len(edges) == len(counts) + 1 == 11
    assert edges[0] == 1.0
    assert edges[-1] == 10.0
    assert sum(counts) == 5
    assert counts[-1] == 1
    assert stats.categories == ()


def test_integers_and_object_arrays_of_numbers_are_numeric():
    ints = feature_stats("n", np.arange(20))
    assert ints.kind == "numeric"
    assert ints.count == 20
    assert ints.distinct_count == 20
    mixed = feature_stats("m", np.array([1.0, np.nan, 2.5, 7.0], dtype=object))
    assert mixed.kind == "numeric"
    assert mixed.missing_count == 1
    assert mixed.max == 7.0


def test_categorical_statistics_count_categories_most_frequent_first():
    values = np.array(["b", "a", "c", "a", np.nan, "b", "a", None], dtype=object)
    stats = feature_stats("city", values)
    assert stats.kind == "categorical"
    assert (stats.count, stats.missing_count, stats.distinct_count) == (6, 2, 3)
    assert stats.categories == (("a", 3), ("b", 2), ("c", 1))
    assert stats.mean == 0.0
    assert stats.quantiles == ()
    assert stats.histogram.counts == ()


def test_categories_are_capped_with_ties_in_text_order():
    values = np.array([f"v{i:03d}" for i in range(150)] + ["v149"], dtype=str)
    stats = feature_stats("id", values)
    assert stats.distinct_count == 150
    assert len(stats.categories) == MAX_CATEGORIES
    assert stats.categories[0] == ("v149", 2)
    assert stats.categories[1:3] == (("v000", 1), ("v001", 1))


def test_binary_kind_and_given_kinds():
    flags = feature_stats("flag", np.array([0.0, 1.0, 1.0, 0.0, 1.0]))
    assert flags.kind == "binary"
    assert flags.mean == pytest.approx(0.6)
    assert flags.categories == (("1", 3), ("0", 2))  # whole floats without their ".0"
    assert feature_stats("yes", np.array(["y", "n", "y"])).kind == "binary"
    labels = feature_stats("label", np.array([0, 1, 2, 2]), "categorical")
    assert labels.kind == "categorical"
    assert labels.categories[0] == ("2", 2)
    assert labels.histogram.counts == ()  # categories only, even for numbers
    assert feature_stats("n", np.array([0.0, 1.0]), "numeric").categories == ()


def test_nothing_present():
    stats = feature_stats("empty", np.array([np.nan, np.nan]))
    assert (stats.count, stats.missing_count, stats.distinct_count) == (0, 2, 0)
    assert stats.quantiles == ()
    assert stats.histogram.bin_edges == ()
    assert feature_stats("none", np.array([], dtype=float)).count == 0


def test_a_constant_feature_has_a_finite_histogram():
    stats = feature_stats("c", np.full(5, 3.0), "numeric")
    assert stats.std == 0.0
    assert sum(stats.histogram.counts) == 5
    assert all(np.isfinite(stats.histogram.bin_edges))


def test_statistics_round_trip_through_json():
    stats = feature_stats("x", np.array([1.0, 2.0, 2.0, 8.0]))
    again = FeatureStats.from_dict(json.loads(json.dumps(stats.to_dict())))
    assert again == stats
    categorical = feature_stats("c", np.array(["a", "b", "b"], dtype=object))
    assert FeatureStats.from_dict(json.loads(json.dumps(categorical.to_dict()))) == categorical


# --- sample files ------------------------------------------------------------------------------


def test_sample_files_round_trip_without_pickle(tmp_path):
    columns = {
        "age": np.array([31.0, np.nan, 45.0]),
        "city": np.array(["rome", np.nan, "paris"], dtype=object),
        "od280/od315 ratio": np.array([1.5, 2.5, 3.5]),
        "count": np.array([1, 2, 3]),
        "flag": np.array([True, False, True]),
        "tag": np.array(["x", "yy", "zzz"]),
    }
    path = tmp_path / "reference_sample.npz"
    write_sample(path, columns, np.array(["yes", "no", "yes"], dtype=object))
    with np.load(path, allow_pickle=False) as archive:  # no object arrays inside
        assert all(archive[key].dtype != object for key in archive.files)
    read, target = read_sample(path)
    assert list(read) == list(columns)
    np.testing.assert_array_equal(read["age"], columns["age"])
    assert read["city"][0] == "rome"
    assert np.isnan(read["city"][1])
    assert read["city"][2] == "paris"
    assert read["count"].dtype == np.int64
    assert read["flag"].dtype == bool
    assert read["tag"].tolist() == ["x", "yy", "zzz"]
    assert target.tolist() == ["yes", "no", "yes"]
    assert zipfile.is_zipfile(path)


def test_numeric_targets_keep_their_type(tmp_path):
    path = tmp_path / "s.npz"
    write_sample(path, {"x": np.array([1.0, 2.0])}, np.array([3, 4]))
    assert read_sample(path)[1].dtype == np.int64
    write_sample(path, {}, np.array([0.5, 1.5]))
    columns, target = read_sample(path)
    assert columns == {}
    assert target.tolist() == [0.5, 1.5]


def test_columns_must_match_the_target_length(tmp_path):
    with pytest.raises(ValueError, match="'x' has 1 values"):
        write_sample(tmp_path / "s.npz", {"x": np.array([1.0])}, np.array([1, 2]))


def test_an_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="unknown feature kind 'ordinal'"):
        feature_stats("x", np.array([1.0]), "ordinal")


def test_a_reference_file_round_trips_and_an_npz_sample_still_reads(tmp_path: Path) -> None:
    columns = {
        "x": np.array([1.5, np.nan, 3.0]),
        "n": np.array([1, 2, 3]),
        "b": np.array([True, False, True]),
        "city": np.array(["rome", np.nan, "paris"], dtype=object),
    }
    held = {
        "x": np.array([9.0]),
        "n": np.array([7]),
        "b": np.array([False]),
        "city": np.array([np.nan], dtype=object),
    }
    path = tmp_path / "reference.parquet"
    write_reference(
        path,
        columns,
        np.array(["a", "b", "a"], dtype=object),
        row_count=30,
        holdout_columns=held,
        holdout_target=np.array(["b"], dtype=object),
        holdout_row_count=8,
        sketches={"city": feature_sketch(columns["city"])},
    )
    data = read_reference(path)
    assert list(data.columns) == list(columns)
    np.testing.assert_array_equal(data.columns["x"], columns["x"])
    assert data.columns["n"].dtype == np.int64
    assert data.columns["b"].dtype == bool
    assert data.columns["city"][0] == "rome"
    assert np.isnan(data.columns["city"][1])
    assert data.target.tolist() == ["a", "b", "a"]
    assert (data.row_count, data.holdout_row_count, data.holdout_sample_rows) == (30, 8, 1)
    assert data.holdout_columns["x"].tolist() == [9.0]
    assert np.isnan(data.holdout_columns["city"][0])
    assert data.sketches["city"] == {
        "count": 2,
        "missing_count": 1,
        "distinct_count": 2,
        "categories": [["paris", 1], ["rome", 1]],
        "truncated": False,
    }
    assert read_sample(path)[1].tolist() == ["a", "b", "a"]

    old = tmp_path / "reference_sample.npz"
    write_sample(old, columns, np.array([0, 1, 0]))
    former = read_reference(old)
    assert former.row_count == 0
    assert former.holdout_target is None
    assert not former.sketches
    np.testing.assert_array_equal(former.columns["x"], columns["x"])


def _whole_columns(rows: int) -> dict[str, tuple[np.ndarray, str]]:
    rng = np.random.default_rng(7)
    x = rng.lognormal(1.0, 0.7, rows)
    x[rng.random(rows) < 0.05] = np.nan
    city = rng.choice([f"c{i}" for i in range(150)], rows).astype(object)
    city[rng.random(rows) < 0.1] = np.nan
    return {
        "x": (x, "numeric"),
        "flag": (rng.integers(0, 2, rows).astype(np.float64), "binary"),
        "code": (rng.choice([3.0, 7.0, 11.0, 42.0], rows), "categorical"),
        "city": (city, "categorical"),
    }


@pytest.mark.parametrize("name", ["x", "flag", "code", "city"])
def test_statistics_from_a_sketch_are_those_of_the_whole_column(name: str) -> None:
    values, kind = _whole_columns(20_000)[name]
    whole = feature_stats(name, values, kind)
    sample = feature_stats(name, values[:300], kind)
    sketch = ColumnSketch.from_dict(json.loads(json.dumps(feature_sketch(values))))
    stats, fields = stats_from_sketch(sample, sketch)
    assert (stats.count, stats.missing_count, stats.distinct_count) == (
        whole.count,
        whole.missing_count,
        whole.distinct_count,
    )
    assert stats.categories == whole.categories
    assert [p for p, _ in stats.quantiles] == [p for p, _ in whole.quantiles]
    assert [v for _, v in stats.quantiles] == pytest.approx([v for _, v in whole.quantiles])
    assert (stats.mean, stats.std, stats.min, stats.max) == pytest.approx(
        (whole.mean, whole.std, whole.min, whole.max), rel=1e-12
    )
    assert stats.histogram.counts == whole.histogram.counts
    assert stats.histogram.bin_edges == pytest.approx(whole.histogram.bin_edges, rel=1e-12)
    expected = {"count", "missing_count", "distinct_count"}
    if kind != "categorical":
        expected |= {"mean", "std", "min", "max", "quantiles", "histogram"}
    if kind != "numeric":
        expected |= {"categories"}
    assert set(fields) == expected
    assert stats.kind == kind


def test_a_sketch_without_the_newer_figures_leaves_them_to_the_sample() -> None:
    values, _ = _whole_columns(5_000)["code"]
    raw = feature_sketch(values)
    for key in ("mean", "std", "distinct_count", "values"):
        del raw[key]
    sketch = ColumnSketch.from_dict(raw)
    assert not sketch.exact_counts
    sample = feature_stats("code", values[:100], "binary")
    stats, fields = stats_from_sketch(sample, sketch)
    assert set(fields) == {"count", "missing_count", "min", "max", "quantiles", "histogram"}
    assert (stats.mean, stats.std, stats.categories) == (
        sample.mean,
        sample.std,
        sample.categories,
    )
    assert stats.count == 5_000


def test_numeric_sketches_count_few_distinct_values_exactly() -> None:
    sketch = feature_sketch(np.array([2.0, 1.0, 2.0, np.nan, 1.5, 2.0]))
    assert sketch["values"] == [[1.0, 1], [1.5, 1], [2.0, 3]]
    assert (sketch["count"], sketch["missing_count"], sketch["distinct_count"]) == (5, 1, 3)
    assert sketch["mean"] == pytest.approx(1.7)
    many = feature_sketch(np.arange(5_000, dtype=np.float64))
    assert "values" not in many
    assert many["distinct_count"] == 5_000


@pytest.mark.parametrize(
    "broken",
    [
        {"count": 3},
        {"count": -1, "missing_count": 0, "categories": []},
        {"count": 1, "missing_count": 0, "categories": [["a", 5]]},
        {"count": 2, "missing_count": 0, "quantiles": [1.0, 2.0]},
        {"count": 2, "missing_count": 0, "values": [[1.0, 1], [1.0, 1]]},
        {"count": 2, "missing_count": 0, "mean": "x"},
        {"count": 1, "missing_count": 0, "categories": [[1, 1]]},
        {"count": 4, "missing_count": 0, "categories": [["a", 3]], "truncated": False},
    ],
)
def test_a_malformed_sketch_is_refused(broken: dict) -> None:
    with pytest.raises(ValueError, match=r"sketch|count|number|categor|quantile"):
        ColumnSketch.from_dict(broken)
