"""The drift statistics computed from sorted columns are the ones of the unsorted values: the
normed Wasserstein distance is scipy's, the PSI bins count what a search per value counts, and the
kind inferred for numbers is the one ``feature_stats`` infers."""

import numpy as np
import pytest
from scipy import stats

from slipway.ml.profiles import feature_stats
from slipway.services.monitoring.stats.drift import feature_drift, psi


@pytest.mark.parametrize(
    "case", ["continuous", "ties", "shared values", "unequal sizes", "one value"]
)
def test_normed_wasserstein_is_scipys(case: str) -> None:
    rng = np.random.default_rng(11)
    reference, current = rng.normal(size=3000), rng.normal(0.4, 1.3, size=3000)
    if case == "ties":
        reference, current = np.round(reference, 1), np.round(current, 1)
    elif case == "shared values":
        current = np.concatenate([reference[:1500], current[:1500]])
    elif case == "unequal sizes":
        current = current[:1237]
    elif case == "one value":
        current = current[:1]
    result = feature_drift("x", reference, current)
    assert result.method == "wasserstein"
    expected = stats.wasserstein_distance(reference, current) / np.std(reference)
    assert result.statistic == pytest.approx(expected, rel=1e-12, abs=0)


def test_psi_bins_count_values_on_their_edges_to_the_right() -> None:
    rng = np.random.default_rng(12)
    reference = np.round(rng.normal(size=700), 1)  # many values on the quantile edges
    current = np.round(rng.normal(0.2, 1, size=500), 1)
    value, bins = psi(reference, current)
    inner = np.unique(np.quantile(reference, np.linspace(0, 1, 11)[1:-1]))
    shares = []
    for values in (reference, current):
        counts = np.bincount(np.searchsorted(inner, values, side="right"), minlength=len(inner) + 1)
        share = counts / counts.sum()
        shares.append(np.where(share == 0, 1e-4, share))
    expected = float(np.sum((shares[1] - shares[0]) * np.log(shares[1] / shares[0])))
    assert value == pytest.approx(expected, rel=1e-12)
    assert len(bins) == len(inner) + 1


@pytest.mark.parametrize(
    "values",
    [
        np.array([0.0, 1.0, 1.0, 0.0, np.nan]),  # two values and a missing one: binary
        np.array([-0.0, 0.0, 2.0]),  # -0 and 0 are one value
        np.array([3, 3, 3]),
        np.array([True, False, True]),
        np.arange(50) % 7,
    ],
    ids=["binary-with-nan", "signed-zero", "constant", "bool", "seven-values"],
)
def test_inferred_kind_of_numbers_is_feature_stats_kind(values: np.ndarray) -> None:
    assert feature_drift("x", values, values).kind == feature_stats("x", values).kind
