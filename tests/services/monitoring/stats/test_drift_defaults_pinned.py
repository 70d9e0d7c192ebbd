"""The documented drift thresholds, pinned by cases on either side of them.

Each p-value method gets one case whose p-value (computed here with scipy, independently of the
product) lies in (0.01, 0.05], which must drift, and one in (0.05, 0.10], which must not: so the
default moving to 0.01 or to 0.10 fails a test. Each distance method gets one case just above its
0.1 threshold and one just below it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
import pytest
from scipy import stats
from scipy.spatial.distance import jensenshannon

from slipway.services.monitoring.stats.drift import DriftConfig, feature_drift

Case = tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]


def test_the_documented_defaults() -> None:
    config = DriftConfig()
    assert dict(config.method_thresholds) == {
        "ks": 0.05,
        "chisquare": 0.05,
        "ztest": 0.05,
        "wasserstein": 0.1,
        "jensenshannon": 0.1,
        "psi": 0.1,
    }
    assert config.missing_threshold == 0.05
    assert config.dataset_threshold == 0.5
    assert config.small_reference_max == 1000
    assert config.low_cardinality_max == 5


def _first(cases: Iterable[Case], score: Callable[[Case], float], low: float, high: float) -> Case:
    """The first case whose independently computed score lies in (low, high]."""
    for case in cases:
        if low < score(case) <= high:
            return case
    raise AssertionError(f"no case scored in ({low}, {high}]")


# --- p-value methods ------------------------------------------------------------------------


def _ks_cases() -> Iterable[Case]:
    reference = np.random.default_rng(0).normal(size=500)
    base = np.random.default_rng(1).normal(size=300)
    for step in range(400):
        yield reference, base + step * 0.002


def _ks_p(case: Case) -> float:
    return float(stats.ks_2samp(case[0], case[1]).pvalue)


def _chisquare_cases() -> Iterable[Case]:
    reference = np.array(["a"] * 300 + ["b"] * 300 + ["c"] * 400, dtype=object)
    for a in range(120, 181):  # 180 of 600 is the reference's share
        current = np.array(["a"] * a + ["b"] * 180 + ["c"] * (420 - a), dtype=object)
        yield reference, current


def _chisquare_p(case: Case) -> float:
    categories = ["a", "b", "c"]
    table = [[int(np.sum(side == c)) for c in categories] for side in case]
    return float(stats.chi2_contingency(table, correction=False).pvalue)


def _ztest_cases() -> Iterable[Case]:
    reference = np.array(["no"] * 700 + ["yes"] * 300, dtype=object)
    for yes in range(120, 260):
        yield reference, np.array(["no"] * (600 - yes) + ["yes"] * yes, dtype=object)


def _ztest_p(case: Case) -> float:
    """Two proportions, pooled variance, two-sided."""
    hits = [int(np.sum(side == "no")) for side in case]
    totals = [len(side) for side in case]
    pooled = sum(hits) / sum(totals)
    spread = np.sqrt(pooled * (1 - pooled) * (1 / totals[0] + 1 / totals[1]))
    z = (hits[0] / totals[0] - hits[1] / totals[1]) / spread
    return float(2 * stats.norm.sf(abs(z)))


P_VALUE_METHODS = [
    ("ks", "numeric", _ks_cases, _ks_p),
    ("chisquare", "categorical", _chisquare_cases, _chisquare_p),
    ("ztest", "binary", _ztest_cases, _ztest_p),
]


@pytest.mark.parametrize(("method", "kind", "cases", "p_value"), P_VALUE_METHODS)
def test_a_p_value_between_one_and_five_percent_drifts(
    method: str,
    kind: str,
    cases: Callable[[], Iterable[Case]],
    p_value: Callable[[Case], float],
) -> None:
    reference, current = _first(cases(), p_value, 0.01, 0.05)
    result = feature_drift("x", reference, current, kind=kind)  # type: ignore[arg-type]
    assert result.method == method
    assert result.p_value == pytest.approx(p_value((reference, current)), rel=1e-6)
    assert result.drifted


@pytest.mark.parametrize(("method", "kind", "cases", "p_value"), P_VALUE_METHODS)
def test_a_p_value_between_five_and_ten_percent_does_not_drift(
    method: str,
    kind: str,
    cases: Callable[[], Iterable[Case]],
    p_value: Callable[[Case], float],
) -> None:
    reference, current = _first(cases(), p_value, 0.05, 0.10)
    result = feature_drift("x", reference, current, kind=kind)  # type: ignore[arg-type]
    assert result.method == method
    assert result.p_value == pytest.approx(p_value((reference, current)), rel=1e-6)
    assert not result.drifted


# --- distance methods -----------------------------------------------------------------------


def _wasserstein_cases() -> Iterable[Case]:
    reference = np.random.default_rng(2).normal(size=5000)
    base = np.random.default_rng(3).normal(size=2000)
    for step in range(300):
        yield reference, base + step * 0.001


def _wasserstein(case: Case) -> float:
    return float(stats.wasserstein_distance(case[0], case[1]) / np.std(case[0]))


def _jensenshannon_cases() -> Iterable[Case]:
    reference = np.array(["a"] * 1500 + ["b"] * 1500 + ["c"] * 2000, dtype=object)
    for a in range(500, 1400, 5):
        current = np.array(["a"] * a + ["b"] * 500 + ["c"] * (1500 - a), dtype=object)
        yield reference, current


def _jensenshannon(case: Case) -> float:
    categories = ["a", "b", "c"]
    shares = [np.array([np.sum(side == c) for c in categories]) / len(side) for side in case]
    return float(jensenshannon(shares[0], shares[1]))


DISTANCE_METHODS = [
    ("wasserstein", "numeric", _wasserstein_cases, _wasserstein),
    ("jensenshannon", "categorical", _jensenshannon_cases, _jensenshannon),
]


@pytest.mark.parametrize(("method", "kind", "cases", "distance"), DISTANCE_METHODS)
def test_a_distance_just_over_its_threshold_drifts_and_one_just_under_does_not(
    method: str,
    kind: str,
    cases: Callable[[], Iterable[Case]],
    distance: Callable[[Case], float],
) -> None:
    under = _first(cases(), distance, 0.07, 0.095)
    over = _first(cases(), distance, 0.1, 0.13)
    for (reference, current), drifts in ((under, False), (over, True)):
        result = feature_drift("x", reference, current, kind=kind)  # type: ignore[arg-type]
        assert result.method == method
        assert result.statistic == pytest.approx(distance((reference, current)), rel=1e-6)
        assert result.drifted is drifts
