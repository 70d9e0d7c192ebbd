"""Data reconstruction error: a change of correlation with unchanged marginals is seen, while
each feature's own drift test stays quiet."""

from __future__ import annotations

import numpy as np

from slipway.services.monitoring.stats import drift
from slipway.services.monitoring.stats.multivariate import ReconstructionDrift


def _correlated(rng: np.random.Generator, n: int, rho: float) -> dict[str, np.ndarray]:
    """Four standard normal features: a and b correlated by ``rho``, c and d independent, and a
    category independent of them. Every marginal is the same whatever ``rho`` is."""
    a = rng.normal(size=n)
    b = rho * a + np.sqrt(1 - rho**2) * rng.normal(size=n)
    return {
        "a": a,
        "b": b,
        "c": rng.normal(size=n),
        "d": rng.normal(size=n),
        "colour": rng.choice(np.array(["red", "green", "blue"], dtype=object), n),
    }


def test_a_correlation_change_with_unchanged_marginals_is_over_the_threshold() -> None:
    rng = np.random.default_rng(17)
    reference = _correlated(rng, 10_000, 0.9)
    fitted = ReconstructionDrift.fit(reference, frozenset({"colour"}))
    same = fitted.measure(_correlated(rng, 2000, 0.9))
    assert not same.drifted, same
    flipped_columns = _correlated(rng, 2000, -0.9)
    flipped = fitted.measure(flipped_columns)
    assert flipped.drifted, flipped
    assert flipped.error > flipped.upper, flipped
    # Per feature, nothing moved: no feature drifts by the default tests.
    kinds: dict[str, drift.Kind] = {
        "a": "numeric",
        "b": "numeric",
        "c": "numeric",
        "d": "numeric",
        "colour": "categorical",
    }
    for name, kind in kinds.items():
        result = drift.feature_drift(name, reference[name], flipped_columns[name], kind)
        assert not result.drifted, result


def test_missing_and_unseen_values_are_filled_not_fatal() -> None:
    rng = np.random.default_rng(3)
    reference = _correlated(rng, 3000, 0.8)
    reference["a"][::10] = np.nan
    fitted = ReconstructionDrift.fit(reference, frozenset({"colour"}))
    window = _correlated(rng, 500, 0.8)
    window["colour"][:5] = "violet"
    window["colour"][5:10] = None
    window["b"][:20] = np.nan
    result = fitted.measure(window)
    assert np.isfinite(result.error)
    assert result.components >= 1


def test_unchanged_windows_stay_inside_the_band_with_a_reference_no_larger_than_them() -> None:
    """With 20 features and 1000 reference rows, the PCA fits its own rows better than new ones;
    the band comes from held-out reference errors, so unchanged 1000-row windows stay inside it
    (fitted in-sample, as NannyML does, every one of them was over it)."""
    drifted = 0
    for seed in range(50):
        rng = np.random.default_rng(seed)
        reference = {f"f{i}": rng.normal(size=1000) for i in range(20)}
        window = {f"f{i}": rng.normal(size=1000) for i in range(20)}
        drifted += ReconstructionDrift.fit(reference, frozenset()).measure(window).drifted
    assert drifted <= 2, drifted
