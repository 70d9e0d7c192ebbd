import math

import numpy as np
import pytest
from scipy import stats

from slipway.services.monitoring.stats.drift import (
    DriftConfig,
    WholeColumn,
    dataset_drift,
    feature_drift,
    psi,
)


def test_ks_false_positive_rate_is_near_alpha():
    drifted = 0
    for seed in range(50):
        rng = np.random.default_rng(seed)
        result = feature_drift("x", rng.normal(size=500), rng.normal(size=300))
        assert result.method == "ks"
        drifted += result.drifted
    assert drifted / 50 < 0.10


def test_ks_detects_a_mean_shift():
    rng = np.random.default_rng(1)
    result = feature_drift("x", rng.normal(size=500), rng.normal(0.5, 1, size=300))
    assert result.method == "ks"
    assert result.drifted
    assert result.p_value is not None
    assert result.p_value < 0.001
    assert result.psi > 0.1
    assert len(result.psi_bins) == 10
    assert result.psi_bins[0].startswith("[-inf")
    assert result.psi_bins[-1].endswith("inf)")


def test_large_reference_uses_normed_wasserstein_and_it_is_scale_invariant():
    rng = np.random.default_rng(2)
    reference, current = rng.normal(size=5000), rng.normal(0.3, 1, size=2000)
    result = feature_drift("x", reference, current)
    scaled = feature_drift("x", reference * 1000 + 7, current * 1000 + 7)
    assert result.method == "wasserstein"
    assert result.p_value is None
    assert result.drifted
    assert result.statistic == pytest.approx(scaled.statistic, rel=1e-9)
    assert result.statistic == pytest.approx(0.3, abs=0.06)
    same = feature_drift("x", reference, rng.normal(size=2000))
    assert not same.drifted
    assert same.statistic < 0.1


def test_new_category_is_detected_and_same_distribution_is_not():
    rng = np.random.default_rng(3)
    reference = rng.choice(["a", "b", "c"], size=600, p=[0.5, 0.3, 0.2])
    result = feature_drift("c", reference, rng.choice(["a", "b", "c"], size=400, p=[0.5, 0.3, 0.2]))
    assert result.kind == "categorical"
    assert result.method == "chisquare"
    assert not result.drifted
    shifted = feature_drift(
        "c", reference, rng.choice(["a", "b", "c", "d"], size=400, p=[0.4, 0.2, 0.2, 0.2])
    )
    assert shifted.drifted
    assert shifted.p_value is not None
    assert shifted.p_value < 1e-6
    assert "d" in shifted.psi_bins


def test_contingency_test_is_less_anti_conservative_than_goodness_of_fit():
    # Small reference: 12 a / 8 b; current 40 a / 60 b.
    reference = np.array(["a"] * 12 + ["b"] * 8)
    current = np.array(["a"] * 40 + ["b"] * 60)
    gof = stats.chisquare([40, 60], f_exp=[60, 40]).pvalue
    result = feature_drift("c", reference, current, kind="categorical")
    assert result.method == "chisquare"
    assert gof < 0.001  # goodness of fit treats 60 % as exact
    assert result.p_value is not None
    assert result.p_value > 0.05
    expected = stats.chi2_contingency([[12, 8], [40, 60]], correction=False).pvalue
    assert result.p_value == pytest.approx(expected)


def test_binary_uses_the_two_proportion_z_test():
    rng = np.random.default_rng(4)
    reference = (rng.random(800) < 0.3).astype(int)
    same = feature_drift("b", reference, (rng.random(500) < 0.3).astype(int))
    changed = feature_drift("b", reference, (rng.random(500) < 0.45).astype(int))
    assert same.kind == "binary"
    assert same.method == "ztest"
    assert not same.drifted
    assert changed.drifted
    assert changed.p_value is not None
    assert 0 <= changed.p_value < 0.001


def test_large_reference_categorical_uses_natural_log_jensen_shannon():
    rng = np.random.default_rng(5)
    reference = rng.choice(["a", "b"], size=3000, p=[0.5, 0.5]).astype(object)
    disjoint = feature_drift(
        "c", reference, np.array(["z"] * 100, dtype=object), kind="categorical"
    )
    assert disjoint.method == "jensenshannon"
    # Natural logarithm (as Evidently): disjoint supports are at distance sqrt(ln 2).
    assert disjoint.statistic == pytest.approx(np.sqrt(np.log(2)))
    same = feature_drift("c", reference, rng.choice(["a", "b"], size=1000), kind="categorical")
    assert 0 <= same.statistic < 0.1
    assert not same.drifted


def test_low_cardinality_numbers_are_tested_as_categories():
    rng = np.random.default_rng(6)
    small = feature_drift("n", rng.integers(0, 4, 300), rng.integers(0, 4, 300))
    large = feature_drift("n", rng.integers(0, 4, 3000), rng.integers(0, 4, 300))
    assert small.kind == "numeric"
    assert small.method == "chisquare"
    assert large.method == "jensenshannon"


def test_psi_of_a_hand_computed_example():
    # Categories as bins: reference 50/50, current 25/75.
    value, bins = psi(np.array(["a", "a", "b", "b"]), np.array(["a", "b", "b", "b"]))
    expected = (0.25 - 0.5) * math.log(0.25 / 0.5) + (0.75 - 0.5) * math.log(0.75 / 0.5)
    assert value == pytest.approx(expected)
    assert bins == ("a", "b")
    # An empty bin gets 1e-4.
    value, _ = psi(np.array(["a", "b"]), np.array(["a", "a"]))
    expected = (1 - 0.5) * math.log(1 / 0.5) + (1e-4 - 0.5) * math.log(1e-4 / 0.5)
    assert value == pytest.approx(expected)


def test_numeric_psi_uses_reference_quantile_bins():
    reference = np.arange(100, dtype=float)
    value, bins = psi(reference, reference.copy())
    assert value == pytest.approx(0.0)
    assert len(bins) == 10
    shifted, _ = psi(reference, reference + 50)
    assert shifted > 1


def test_missing_share_change_is_drift_even_with_identical_present_values():
    rng = np.random.default_rng(7)
    values = rng.normal(size=400)
    current = values.copy()
    current[:100] = np.nan
    result = feature_drift("x", values, current)
    assert not result.value_drifted
    assert result.reference_missing_share == 0
    assert result.current_missing_share == 0.25
    assert result.missing_drifted
    assert result.drifted
    assert result.current_count == 300


def test_text_missing_values_are_counted():
    reference = np.array(["a", "b"] * 100, dtype=object)
    current = np.array(["a", None, "b", float("nan")] * 50, dtype=object)
    result = feature_drift("c", reference, current)
    assert result.current_missing_share == 0.5
    assert result.missing_drifted


def test_overrides_per_feature_and_per_kind():
    rng = np.random.default_rng(8)
    reference, current = rng.normal(size=300), rng.normal(size=300)
    config = DriftConfig(feature_methods={"x": "wasserstein"}, feature_thresholds={"x": 0.0})
    result = feature_drift("x", reference, current, config=config)
    assert result.method == "wasserstein"
    assert result.threshold == 0.0
    assert result.drifted
    by_kind = DriftConfig(
        small_reference_methods={"numeric": "psi"}, kind_thresholds={"numeric": 10.0}
    )
    result = feature_drift("x", reference, current, config=by_kind)
    assert result.method == "psi"
    assert result.threshold == 10.0
    assert not result.drifted


def test_dataset_drift_share_and_verdict():
    rng = np.random.default_rng(9)
    reference = {
        "a": rng.normal(size=400),
        "b": rng.normal(size=400),
        "c": rng.choice(["x", "y"], size=400),
        "d": rng.normal(size=400),
    }
    current = {
        "a": rng.normal(2, 1, size=300),
        "b": rng.normal(2, 1, size=300),
        "c": rng.choice(["x", "y"], size=300),
        "d": rng.normal(size=300),
    }
    result = dataset_drift(reference, current)
    assert result.drifted_features == ("a", "b")
    assert result.drifted_share == 0.5
    assert result.drifted
    assert not dataset_drift(reference, current, config=DriftConfig(dataset_threshold=0.6)).drifted
    with pytest.raises(ValueError, match="lacks"):
        dataset_drift(reference, {"a": current["a"]})


def test_prediction_drift_uses_the_same_function():
    rng = np.random.default_rng(10)
    outputs = rng.choice([0, 1, 2], size=500, p=[0.6, 0.3, 0.1])
    result = feature_drift(
        "prediction", outputs, rng.choice([0, 1, 2], size=500, p=[0.2, 0.3, 0.5])
    )
    assert result.method == "chisquare"
    assert result.drifted


def test_partial_overrides_fall_back_to_defaults_and_unknown_kinds_are_refused():
    config = DriftConfig(small_reference_methods={"numeric": "psi"}, method_thresholds={})
    result = feature_drift(
        "c", np.array(["a", "b", "c"] * 10), np.array(["a", "b", "c"] * 10), config=config
    )
    assert result.method == "chisquare"
    assert result.threshold == 0.05
    with pytest.raises(ValueError, match="kind"):
        feature_drift("x", np.arange(10), np.arange(10), kind="ordinal")  # type: ignore[arg-type]


def test_exact_counts_of_the_whole_column_stand_for_the_reference_in_tests_of_categories():
    rng = np.random.default_rng(21)
    whole = rng.choice(["a", "b", "c", "d"], size=20_000, p=[0.4, 0.3, 0.2, 0.1]).astype(object)
    whole[rng.random(20_000) < 0.05] = None
    sample, current = whole[:300], rng.choice(["a", "b", "c", "d"], size=800).astype(object)
    present = [v for v in whole if v is not None]
    values, counts = np.unique(np.array(present, dtype=str), return_counts=True)
    column = WholeColumn(len(present), len(whole) - len(present), len(values), values, counts)
    for config in (DriftConfig(), DriftConfig(small_reference_max=-1)):
        result = feature_drift("c", sample, current, "categorical", config, whole=column)
        direct = feature_drift("c", whole, current, "categorical", config)
        assert (result.method, result.reference_count) == (direct.method, direct.reference_count)
        assert result.statistic == pytest.approx(direct.statistic, rel=1e-12)
        assert result.psi == pytest.approx(direct.psi, rel=1e-12)
        assert result.reference_missing_share == direct.reference_missing_share
        assert result.missing_p_value == pytest.approx(direct.missing_p_value)
        assert result.reference_whole
    # A numeric test needs the values: the sample, whatever the whole column says.
    numbers = rng.normal(size=5_000)
    numeric = feature_drift(
        "x", numbers[:400], rng.normal(size=500), "numeric", whole=WholeColumn(5_000, 0)
    )
    assert (numeric.method, numeric.reference_count, numeric.reference_whole) == (
        "wasserstein",
        400,
        False,
    )


def test_a_value_repeated_in_the_reference_is_matched_across_float32_rounding():
    rng = np.random.default_rng(22)
    levels = np.array([0.1, 0.2, 0.3, 0.7, 0.9, 1.0 / 3.0])
    reference, current = rng.choice(levels, 400), rng.choice(levels, 600)
    rounded = current.astype(np.float32).astype(np.float64)
    assert not feature_drift("p", reference, current, "numeric").drifted
    exact = feature_drift("p", reference, rounded, "numeric", DriftConfig(snap_tolerance=0.0))
    assert exact.drifted  # every tie split
    matched = feature_drift("p", reference, rounded, "numeric")
    assert not matched.drifted
    assert matched.statistic == feature_drift("p", reference, current, "numeric").statistic
    # A continuous column repeats no value: compared exactly.
    continuous = rng.normal(size=400)
    near = rng.normal(size=300).astype(np.float32).astype(np.float64)
    assert (
        feature_drift("x", continuous, near).statistic
        == feature_drift("x", continuous, near, config=DriftConfig(snap_tolerance=0.0)).statistic
    )
