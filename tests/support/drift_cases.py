"""Drift cases with a known answer, generated from a seed, for checking drift verdicts.

Each ``DriftCase`` holds a reference and a current sample (column name -> 1-D array: numbers as
``float64`` with NaN for missing, categories as object arrays of ``str`` with ``None`` for
missing), the features that truly drifted, whether the dataset as a whole drifted, and a note on
why. ``evidently_differs`` names the features on which Evidently's default data drift preset is
expected to answer differently from the ground truth, and which documented difference of
Slipway's drift statistics (``slipway.services.monitoring.stats.drift``) is the reason; the case
``concept_drift_unchanged_inputs`` also carries a stream of predictions and labels
(``ConceptStream``) whose error rate jumps while the inputs stay put, and the case
``correlation_change`` changes the joint distribution of two features while every marginal
stays put (``multivariate_drifted``).

How the samples are drawn. Every value comes from a seeded ``numpy.random.Generator``, but by
stratified sampling: a sample of n numbers takes one uniform draw in each of the n strata
[i/n, (i+1)/n) of the unit interval and maps it through the inverse distribution function, and a
sample of categories holds each category exactly in proportion (largest remainders); both are then
shuffled. So a sample's empirical distribution lies within 1/n of its population, and a feature
whose population did not change gives a test nothing to find. With independent random draws a
test at the 5 % level flags an unchanged feature 5 % of the time by design, and over the dozens of
unchanged features here some verdict would be wrong by chance alone; stratification removes that
chance without choosing seeds. The changed features carry effects many times the tests'
resolution at the sample sizes used (the reasoning is beside each case), so the verdicts do not
hinge on the draw either.

The module needs numpy only (no pytest, no scipy), so a plain script can import it:
``from support.drift_cases import build_cases`` with ``tests/`` on ``sys.path``.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = [
    "CASE_NAMES",
    "CONTINGENCY",
    "DEFAULT_SEED",
    "MISSING_SHARE",
    "ConceptStream",
    "DriftCase",
    "build_cases",
    "case",
    "correlated_normals",
    "normal_quantile",
]

DEFAULT_SEED = 20_240_611

CONTINGENCY = "contingency chi-square"
"""Slipway tests categories with a two-sample chi-square test of homogeneity; Evidently runs a
goodness-of-fit test of the current counts against the reference proportions."""
MISSING_SHARE = "missing-share test"
"""Slipway compares the missing share of reference and current with a z-test; Evidently drops
missing values before testing."""

Column = npt.NDArray[Any]
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class ConceptStream:
    """Predictions and labels of the current window in time order; the labelling rule changes at
    ``change_at`` while the inputs keep their distribution."""

    predictions: FloatArray
    labels: FloatArray
    change_at: int

    @property
    def errors(self) -> FloatArray:
        """1.0 where the prediction is wrong, 0.0 where it is right."""
        return np.not_equal(self.predictions, self.labels).astype(np.float64)


@dataclass(frozen=True)
class DriftCase:
    name: str
    reference: Mapping[str, Column]
    current: Mapping[str, Column]
    drifted: frozenset[str]
    """Ground truth: the features whose distribution changed in a way that matters."""
    dataset_drifted: bool
    """Ground truth for the dataset (the share of drifted features against 0.5)."""
    note: str
    evidently_differs: Mapping[str, str] = field(default_factory=dict)
    """Feature -> the documented difference (``CONTINGENCY`` or ``MISSING_SHARE``) for which
    Evidently's default verdict on it is the opposite of the ground truth."""
    concept: ConceptStream | None = None
    multivariate_drifted: bool = False
    """Ground truth for the joint distribution of the numeric features (what the PCA
    reconstruction error measures): True where it changed though no marginal did."""

    @property
    def features(self) -> tuple[str, ...]:
        return tuple(self.reference)

    @property
    def evidently_drifted(self) -> frozenset[str]:
        """The features Evidently's default preset is expected to flag."""
        return self.drifted.symmetric_difference(self.evidently_differs)

    @property
    def evidently_dataset_drifted(self) -> bool:
        return len(self.evidently_drifted) / len(self.reference) >= 0.5


# --- sampling ----------------------------------------------------------------------------------

# Rational approximation of the standard normal quantile function (P. J. Acklam's coefficients;
# relative error below 1.2e-9, far finer than any sample here can resolve).
_A = (
    -3.969683028665376e01,
    2.209460984245205e02,
    -2.759285104469687e02,
    1.383577518672690e02,
    -3.066479806614716e01,
    2.506628277459239e00,
)
_B = (
    -5.447609879822406e01,
    1.615858368580409e02,
    -1.556989798598866e02,
    6.680131188771972e01,
    -1.328068155288572e01,
)
_C = (
    -7.784894002430293e-03,
    -3.223964580411365e-01,
    -2.400758277161838e00,
    -2.549732539343734e00,
    4.374664141464968e00,
    2.938163982698783e00,
)
_D = (7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e00, 3.754408661907416e00)
_TAIL = 0.02425


def _poly(coefficients: Sequence[float], x: FloatArray) -> FloatArray:
    result = np.zeros_like(x)
    for c in coefficients:
        result = result * x + c
    return result


def normal_quantile(p: npt.ArrayLike) -> FloatArray:
    """The standard normal quantile (inverse distribution function) of each p in (0, 1)."""
    p = np.asarray(p, dtype=np.float64)
    out = np.empty_like(p)
    low, high = p < _TAIL, p > 1 - _TAIL
    middle = ~(low | high)
    q = p[middle] - 0.5
    r = q * q
    out[middle] = q * _poly(_A, r) / (_poly(_B, r) * r + 1)
    for mask, sign, tail in ((low, 1.0, p[low]), (high, -1.0, 1 - p[high])):
        t = np.sqrt(-2 * np.log(tail))
        out[mask] = sign * _poly(_C, t) / (_poly(_D, t) * t + 1)
    return out


def _strata(rng: np.random.Generator, n: int) -> FloatArray:
    """One uniform draw in each of n equal strata of (0, 1), in random order."""
    u = (np.arange(n) + rng.random(n)) / n
    return rng.permutation(np.clip(u, 1e-12, 1 - 1e-12))


Sampler = Callable[[np.random.Generator, int], Column]


def normal(mean: float = 0.0, std: float = 1.0) -> Sampler:
    return lambda rng, n: mean + std * normal_quantile(_strata(rng, n))


def lognormal(mu: float = 0.0, sigma: float = 0.5, shift: float = 0.0) -> Sampler:
    return lambda rng, n: np.exp(mu + sigma * normal_quantile(_strata(rng, n))) + shift


def lognormal_std(mu: float, sigma: float) -> float:
    return math.sqrt((math.exp(sigma**2) - 1) * math.exp(2 * mu + sigma**2))


def uniform(low: float = 0.0, high: float = 1.0) -> Sampler:
    return lambda rng, n: low + (high - low) * _strata(rng, n)


def exponential(scale: float = 1.0, shift: float = 0.0) -> Sampler:
    return lambda rng, n: shift - scale * np.log1p(-_strata(rng, n))


def whole_numbers(low: int, high: int) -> Sampler:
    """Whole numbers low..high-1, equally likely, as floats (many ties, still numeric)."""
    return lambda rng, n: np.floor(low + (high - low) * _strata(rng, n))


def _exact_counts(probabilities: Sequence[float], n: int) -> npt.NDArray[np.int64]:
    """Counts summing to n, each as close to p * n as the total allows (largest remainders)."""
    share = np.asarray(probabilities, dtype=np.float64)
    share = share / share.sum()
    raw = share * n
    counts: npt.NDArray[np.int64] = np.floor(raw).astype(np.int64)
    order = np.argsort(-(raw - counts), kind="stable")
    counts[order[: n - int(counts.sum())]] += 1
    return counts


def categories(values: Sequence[str], probabilities: Sequence[float]) -> Sampler:
    def sample(rng: np.random.Generator, n: int) -> Column:
        column = np.repeat(np.array(values, dtype=object), _exact_counts(probabilities, n))
        return rng.permutation(column)

    return sample


def levels(values: Sequence[float], probabilities: Sequence[float]) -> Sampler:
    """A numeric feature with a few values (a rating, a 0/1 flag), as floats."""

    def sample(rng: np.random.Generator, n: int) -> Column:
        column = np.repeat(np.asarray(values, dtype=np.float64), _exact_counts(probabilities, n))
        return rng.permutation(column)

    return sample


def with_missing(sampler: Sampler, share: float) -> Sampler:
    """Exactly round(share * n) values, at random positions, replaced by NaN (numbers) or None."""

    def sample(rng: np.random.Generator, n: int) -> Column:
        column = sampler(rng, n)
        gone = rng.choice(n, size=round(share * n), replace=False)
        if column.dtype.kind == "f":
            column[gone] = np.nan
        else:
            column[gone] = None
        return column

    return sample


def correlated_normals(rho: float) -> Callable[[np.random.Generator, int], tuple[Column, Column]]:
    """Two standard normal columns whose rank correlation is about ``rho``, each with exactly
    the stratified marginal of ``normal()``: a pair is drawn as ``x`` and
    ``rho * x + sqrt(1 - rho**2) * z``, then the second column's stratified values are handed
    out in the rank order of that sum. So only the joint distribution depends on ``rho``."""

    def sample(rng: np.random.Generator, n: int) -> tuple[Column, Column]:
        first = normal()(rng, n)
        mixed = rho * first + math.sqrt(1 - rho**2) * normal()(rng, n)
        second = np.empty(n)
        second[np.argsort(mixed, kind="stable")] = np.sort(normal()(rng, n))
        return first, second

    return sample


def _draw(rng: np.random.Generator, specs: Mapping[str, Sampler], n: int) -> dict[str, Column]:
    return {name: sampler(rng, n) for name, sampler in specs.items()}


# --- the cases ---------------------------------------------------------------------------------

_SMALL_REFERENCE = 800  # at most 1000 present values: p-value tests (KS, chi-square, z)
_SMALL_CURRENT = 500
# KS at these sizes flags drift, at the 5 % level, once the largest gap between the two empirical
# distribution functions exceeds about 1.36 * sqrt(1/800 + 1/500) = 0.078. Stratified samples sit
# within 1/800 + 1/500 = 0.003 of their populations, so an unchanged feature shows a gap of at most
# 0.003, and every changed feature below has a population gap of 0.14 or more.


def _twenty_features() -> dict[str, Sampler]:
    """Twenty features of every kind the defaults tell apart."""
    return {
        "age": whole_numbers(18, 80),
        "income": lognormal(10.0, 0.5),
        "balance": normal(1_000.0, 250.0),
        "tenure_days": exponential(365.0),
        "score": normal(0.0, 1.0),
        "latency_ms": lognormal(3.0, 0.4),
        "utilisation": uniform(0.0, 1.0),
        "temperature": normal(21.0, 3.0),
        "basket_size": whole_numbers(1, 40),
        "discount": uniform(0.0, 0.3),
        "sessions": exponential(4.0, 1.0),
        "height_cm": normal(170.0, 9.0),
        "ratio": lognormal(-1.0, 0.3),
        "z_feature": normal(-5.0, 0.2),
        "rating": levels([1.0, 2.0, 3.0, 4.0], [0.1, 0.2, 0.3, 0.4]),
        "is_returning": levels([0.0, 1.0], [0.7, 0.3]),
        "color": categories(["red", "green", "blue"], [0.5, 0.3, 0.2]),
        "region": categories(
            ["north", "south", "east", "west", "central"], [0.3, 0.25, 0.2, 0.15, 0.1]
        ),
        "plan": categories(["basic", "premium"], [0.65, 0.35]),
        "channel": categories(["web", "app", "store", "phone"], [0.4, 0.3, 0.2, 0.1]),
    }


def _no_drift(rng: np.random.Generator) -> DriftCase:
    specs = _twenty_features()
    return DriftCase(
        name="no_drift",
        reference=_draw(rng, specs, _SMALL_REFERENCE),
        current=_draw(rng, specs, _SMALL_CURRENT),
        drifted=frozenset(),
        dataset_drifted=False,
        note="20 features (14 continuous or many-valued numbers, a 4-level rating, a 0/1 flag, "
        "four categorical) drawn from the same populations in reference and current.",
    )


def _mean_shift(rng: np.random.Generator) -> DriftCase:
    specs = _twenty_features()
    current = dict(specs)
    # Shifts of half a standard deviation: population KS gaps of 0.20 (normal), about 0.25
    # (lognormal, sigma 0.5) and 0.14 (uniform), against a 5 % critical gap of 0.078.
    current["score"] = normal(0.5, 1.0)
    current["income"] = lognormal(10.0, 0.5, shift=0.5 * lognormal_std(10.0, 0.5))
    current["utilisation"] = uniform(0.5 * math.sqrt(1 / 12), 1.0 + 0.5 * math.sqrt(1 / 12))
    return DriftCase(
        name="mean_shift_3_of_20",
        reference=_draw(rng, specs, _SMALL_REFERENCE),
        current=_draw(rng, current, _SMALL_CURRENT),
        drifted=frozenset({"score", "income", "utilisation"}),
        dataset_drifted=False,
        note="The twenty features; three (normal, lognormal, uniform) move by half a standard "
        "deviation. 3 of 20 is below the 50 % dataset threshold.",
    )


def _variance_change(rng: np.random.Generator) -> DriftCase:
    reference = {
        "wider": normal(0.0, 1.0),
        "narrower": normal(5.0, 2.0),
        "spread_uniform": uniform(0.0, 1.0),
        "steady": normal(3.0, 1.5),
        "steady_skewed": lognormal(0.0, 0.6),
        "steady_count": whole_numbers(0, 25),
        "color": categories(["red", "green", "blue"], [0.5, 0.3, 0.2]),
        "plan": categories(["basic", "premium"], [0.65, 0.35]),
    }
    current = dict(reference)
    # Same mean, standard deviation doubled or halved: population KS gap 0.16 each; the uniform
    # widened by half its range on each side: gap 0.17. All far above the 0.078 needed.
    current["wider"] = normal(0.0, 2.0)
    current["narrower"] = normal(5.0, 1.0)
    current["spread_uniform"] = uniform(-0.25, 1.25)
    return DriftCase(
        name="variance_change",
        reference=_draw(rng, reference, _SMALL_REFERENCE),
        current=_draw(rng, current, _SMALL_CURRENT),
        drifted=frozenset({"wider", "narrower", "spread_uniform"}),
        dataset_drifted=False,
        note="Three features keep their mean and change their spread (x2, x0.5, uniform range "
        "x1.5); a test of means would miss them, KS does not. 3 of 8 features.",
    )


def _categorical_frequency_change(rng: np.random.Generator) -> DriftCase:
    reference = {
        "channel": categories(["web", "app", "store", "phone"], [0.4, 0.3, 0.2, 0.1]),
        "plan": categories(["basic", "premium"], [0.7, 0.3]),
        "tier": levels([1.0, 2.0, 3.0], [0.5, 0.3, 0.2]),
        "region": categories(
            ["north", "south", "east", "west", "central"], [0.3, 0.25, 0.2, 0.15, 0.1]
        ),
        "color": categories(["red", "green", "blue"], [0.5, 0.3, 0.2]),
        "amount": lognormal(4.0, 0.7),
        "score": normal(0.0, 1.0),
    }
    current = dict(reference)
    # A reference of 5000 rows (over 1000), so the defaults use the Jensen-Shannon distance,
    # threshold 0.1. Natural-log distances (Evidently's and Slipway's): channel to uniform
    # 0.167, plan 0.7 -> 0.45 0.180, tier reversed 0.258. Unchanged categories are exact,
    # distance 0.
    current["channel"] = categories(["web", "app", "store", "phone"], [0.25, 0.25, 0.25, 0.25])
    current["plan"] = categories(["basic", "premium"], [0.45, 0.55])
    current["tier"] = levels([1.0, 2.0, 3.0], [0.2, 0.3, 0.5])
    return DriftCase(
        name="categorical_frequency_change",
        reference=_draw(rng, reference, 5_000),
        current=_draw(rng, current, 2_000),
        drifted=frozenset({"channel", "plan", "tier"}),
        dataset_drifted=False,
        note="Large reference (5000 rows): category frequencies change in a 4-category, a "
        "2-category and a 3-level numeric feature; Jensen-Shannon distances 0.17-0.26 "
        "(natural log) against 0.1. 3 of 7 features.",
    )


def _unseen_category(rng: np.random.Generator) -> DriftCase:
    reference = {
        "color": categories(["red", "green", "blue"], [0.5, 0.3, 0.2]),
        "plan": categories(["yes", "no"], [0.6, 0.4]),
        "device": categories(["ios", "android", "web"], [0.45, 0.35, 0.2]),
        "region": categories(
            ["north", "south", "east", "west", "central"], [0.3, 0.25, 0.2, 0.15, 0.1]
        ),
        "amount": lognormal(4.0, 0.7),
        "score": normal(0.0, 1.0),
        "visits": whole_numbers(0, 30),
    }
    current = dict(reference)
    # A new category taking 15 % of the window, and a binary feature gaining a third value at
    # 20 %: both tests see a category with (nearly) nothing expected and many observed.
    current["color"] = categories(["red", "green", "blue", "purple"], [0.425, 0.255, 0.17, 0.15])
    current["plan"] = categories(["yes", "no", "maybe"], [0.5, 0.3, 0.2])
    current_values = _draw(rng, current, _SMALL_CURRENT)
    # One stray value of a category never seen before among 500 unchanged ones. Evidently's
    # goodness-of-fit test expects 0 of it from the reference proportions, so its statistic is
    # infinite and p = 0: drift. The two-sample test sees one count against none in samples of
    # 800 and 500 (chi-square 1.6, 3 degrees of freedom, p = 0.66): no drift. One value in 500
    # does not change the feature's distribution, so the ground truth is "not drifted".
    device = current_values["device"]
    device[int(rng.integers(len(device)))] = "smart_tv"
    return DriftCase(
        name="unseen_category",
        reference=_draw(rng, reference, _SMALL_REFERENCE),
        current=current_values,
        drifted=frozenset({"color", "plan"}),
        dataset_drifted=False,
        note="A new category at 15 % (color), a binary feature gaining a third value at 20 % "
        "(plan), and a single stray new value in 500 (device), which only the "
        "goodness-of-fit chi-square flags.",
        evidently_differs={"device": CONTINGENCY},
    )


def _missing_values(rng: np.random.Generator) -> DriftCase:
    reference = {
        "income": lognormal(10.0, 0.5),
        "segment": categories(["a", "b", "c", "d"], [0.4, 0.3, 0.2, 0.1]),
        "score": with_missing(normal(0.0, 1.0), 0.05),
        "age": with_missing(normal(40.0, 10.0), 0.10),
        "balance": normal(1_000.0, 250.0),
        "visits": whole_numbers(0, 30),
        "region": categories(
            ["north", "south", "east", "west", "central"], [0.3, 0.25, 0.2, 0.15, 0.1]
        ),
        "plan": categories(["basic", "premium"], [0.65, 0.35]),
    }
    current = dict(reference)
    # income: none missing in the reference, 30 % in the current window, the present values
    # unchanged. segment: the same with 20 % None. The missing-share z-test gives |z| > 10 for
    # both; Evidently drops missing values first and sees two identical distributions.
    current["income"] = with_missing(lognormal(10.0, 0.5), 0.30)
    current["segment"] = with_missing(categories(["a", "b", "c", "d"], [0.4, 0.3, 0.2, 0.1]), 0.20)
    # age: 10 % missing on both sides and a shift of one standard deviation (KS gap 0.38).
    current["age"] = with_missing(normal(50.0, 10.0), 0.10)
    return DriftCase(
        name="missing_values",
        reference=_draw(rng, reference, _SMALL_REFERENCE),
        current=_draw(rng, current, _SMALL_CURRENT),
        drifted=frozenset({"income", "segment", "age"}),
        dataset_drifted=False,
        note="A numeric and a categorical feature start missing 30 % and 20 % of the time with "
        "unchanged present values (drifted: the feature as served changed; Evidently drops "
        "missing values and does not see it); a feature missing 5 % on both sides stays "
        "put; one missing 10 % on both sides also shifts. 3 of 8 features.",
        evidently_differs={"income": MISSING_SHARE, "segment": MISSING_SHARE},
    )


def _small_current(rng: np.random.Generator) -> DriftCase:
    reference = {
        "score": normal(0.0, 1.0),
        "amount": lognormal(4.0, 0.7),
        "balance": normal(1_000.0, 250.0),
        "latency_ms": lognormal(3.0, 0.4),
        "utilisation": uniform(0.0, 1.0),
        "visits": whole_numbers(0, 30),
        "rating": levels([1.0, 2.0, 3.0, 4.0], [0.1, 0.2, 0.3, 0.4]),
        "color": categories(["red", "green", "blue"], [0.6, 0.3, 0.1]),
        "plan": categories(["basic", "premium"], [0.8, 0.2]),
        "region": categories(["north", "south", "east", "west"], [0.4, 0.3, 0.2, 0.1]),
    }
    current = dict(reference)
    # n = 50 against 800: the 5 % KS critical gap is about 1.36 * sqrt(1/800 + 1/50) = 0.20. A
    # shift of 1.5 standard deviations makes the population gap 2 * Phi(0.75) - 1 = 0.55; even a
    # random (not stratified) window of 50 has a gap within +-0.07 (one standard error) of that, so
    # the test misses with probability below 1e-6. The categorical changes are as blunt: color
    # 0.6/0.3/0.1 -> 0.1/0.3/0.6 gives a chi-square of 146 against the reference proportions and
    # 112 as a two-sample test (2 degrees of freedom, p < 1e-24); plan 0.8 -> 0.2 a z near 9.7.
    # The unchanged features sit within 1/50 of their populations.
    current["score"] = normal(1.5, 1.0)
    current["balance"] = normal(1_000.0 + 1.5 * 250.0, 250.0)
    current["color"] = categories(["red", "green", "blue"], [0.1, 0.3, 0.6])
    current["plan"] = categories(["basic", "premium"], [0.2, 0.8])
    return DriftCase(
        name="small_current_n50",
        reference=_draw(rng, reference, _SMALL_REFERENCE),
        current=_draw(rng, current, 50),
        drifted=frozenset({"score", "balance", "color", "plan"}),
        dataset_drifted=False,
        note="A current window of 50 rows: two numeric features shifted by 1.5 standard "
        "deviations and two categorical ones with reversed frequencies, effects chosen so "
        "that a window of 50 detects them with near certainty. 4 of 10 features.",
    )


def _large_tiny_shift(rng: np.random.Generator) -> DriftCase:
    reference = {
        "score": normal(0.0, 1.0),
        "amount": lognormal(4.0, 0.7),
        "balance": normal(1_000.0, 250.0),
        "utilisation": uniform(0.0, 1.0),
        "color": categories(["red", "green", "blue"], [0.5, 0.3, 0.2]),
    }
    current = dict(reference)
    # A shift of 0.02 standard deviations. With 200,000 rows on each side it is statistically
    # real: the KS gap is 2 * Phi(0.01) - 1 = 0.008, sqrt(100,000) * 0.008 = 2.5, p near 1e-5. It
    # is also practically nothing: the normed Wasserstein distance is 0.02, a fifth of the 0.1 at
    # which the large-reference defaults speak of drift. Likewise color 0.50/0.30/0.20 ->
    # 0.51/0.30/0.19 (Jensen-Shannon 0.009). Ground truth: not drifted in a sense that matters,
    # which is why the defaults switch from p-values to distances for large references: with
    # enough rows every p-value test flags any difference at all.
    current["score"] = normal(0.02, 1.0)
    current["amount"] = lognormal(4.0, 0.7, shift=0.02 * lognormal_std(4.0, 0.7))
    current["color"] = categories(["red", "green", "blue"], [0.51, 0.3, 0.19])
    return DriftCase(
        name="large_tiny_shift",
        reference=_draw(rng, reference, 200_000),
        current=_draw(rng, current, 200_000),
        drifted=frozenset(),
        dataset_drifted=False,
        note="200,000 rows on each side; two numeric features shift by 0.02 standard deviations "
        "(KS p ~ 1e-5, normed Wasserstein 0.02) and a category share moves by one point: "
        "real but negligible, below the distance thresholds.",
    )


def _concept_drift(rng: np.random.Generator) -> DriftCase:
    n_reference, n_current, change_at = 5_000, 4_000, 2_000
    inputs = {"x1": normal(), "x2": normal(), "x3": normal(2.0, 0.5), "x4": uniform(-1.0, 1.0)}
    reference = _draw(rng, inputs, n_reference)
    current = _draw(rng, inputs, n_current)

    def noisy(labels: npt.NDArray[np.bool_], share: float) -> FloatArray:
        # Exactly round(share * n) labels flipped: 5 % label noise.
        flipped = labels.copy()
        flip = rng.choice(len(labels), size=round(share * len(labels)), replace=False)
        flipped[flip] = ~flipped[flip]
        return flipped.astype(np.float64)

    # The model learned y = [x1 + x2 > 0]. From change_at on, the world labels by [x1 - x2 > 0]
    # instead: the same 50 % of positives, the same inputs, but the two rules disagree whenever
    # |x2| > |x1|, half the time. The error rate goes from 5 % (label noise) to about 50 %.
    predictions = (current["x1"] + current["x2"] > 0).astype(np.float64)
    old_rule = current["x1"] + current["x2"] > 0
    new_rule = current["x1"] - current["x2"] > 0
    labels = noisy(np.where(np.arange(n_current) < change_at, old_rule, new_rule), 0.05)
    reference["prediction"] = (reference["x1"] + reference["x2"] > 0).astype(np.float64)
    reference["target"] = noisy(reference["x1"] + reference["x2"] > 0, 0.05)
    current["prediction"] = predictions
    current["target"] = labels
    return DriftCase(
        name="concept_drift_unchanged_inputs",
        reference=reference,
        current=current,
        drifted=frozenset(),
        dataset_drifted=False,
        note="Inputs, predictions and labels keep their distributions (reference 5000, current "
        "4000 rows), but halfway through the current window the labelling rule changes and "
        "the error rate jumps from 5 % to about 50 %: no data drift, concept drift that "
        "Page-Hinkley and ADWIN detect on the error stream.",
        concept=ConceptStream(predictions=predictions, labels=labels, change_at=change_at),
    )


def _majority_drifted(rng: np.random.Generator) -> DriftCase:
    reference = {
        "score": normal(0.0, 1.0),
        "spread": normal(10.0, 2.0),
        "rating": levels([1.0, 2.0, 3.0, 4.0], [0.4, 0.3, 0.2, 0.1]),
        "color": categories(["red", "green", "blue"], [0.5, 0.3, 0.2]),
        "plan": categories(["basic", "premium"], [0.7, 0.3]),
        "amount": lognormal(4.0, 0.7),
        "visits": whole_numbers(0, 30),
        "region": categories(
            ["north", "south", "east", "west", "central"], [0.3, 0.25, 0.2, 0.15, 0.1]
        ),
    }
    current = dict(reference)
    # Five of eight features change, each by far more than the tests need at 800/500 rows: a
    # shift of 0.8 standard deviations (KS gap 0.31), a spread x2.5 (gap 0.21), a reversed rating
    # and a reordered color (chi-square over 100), plan 0.7 -> 0.4 (z near 10).
    current["score"] = normal(0.8, 1.0)
    current["spread"] = normal(10.0, 5.0)
    current["rating"] = levels([1.0, 2.0, 3.0, 4.0], [0.1, 0.2, 0.3, 0.4])
    current["color"] = categories(["red", "green", "blue"], [0.2, 0.3, 0.5])
    current["plan"] = categories(["basic", "premium"], [0.4, 0.6])
    return DriftCase(
        name="majority_drifted",
        reference=_draw(rng, reference, _SMALL_REFERENCE),
        current=_draw(rng, current, _SMALL_CURRENT),
        drifted=frozenset({"score", "spread", "rating", "color", "plan"}),
        dataset_drifted=True,
        note="5 of 8 features drift (shift, spread, a rating's levels, a categorical's and a "
        "binary's frequencies): the share 0.625 passes the 50 % dataset threshold.",
    )


def _correlation_change(rng: np.random.Generator) -> DriftCase:
    def draw(rho: float, n: int) -> dict[str, Column]:
        first, second = correlated_normals(rho)(rng, n)
        return {"x1": first, "x2": second, **_draw(rng, {"x3": normal(), "x4": normal()}, n)}

    # A reference of 5000 rows (the distance tests) and a window of 1000. x1 and x2 move
    # together (rank correlation 0.9) in the reference and against each other (-0.9) in the
    # window; every marginal is the same stratified normal on both sides (normed Wasserstein
    # distance below 0.01 against 0.1). Standardised, the reference's variance lies along
    # x1 + x2 (1.9 of 4), x3 and x4 (1 each), and x1 - x2 (0.1): a PCA keeping 65 % keeps two
    # components and cannot rebuild the window's rows, whose variance along x1 - x2 is 1.9.
    return DriftCase(
        name="correlation_change",
        reference=draw(0.9, 5_000),
        current=draw(-0.9, 1_000),
        drifted=frozenset(),
        dataset_drifted=False,
        note="Two of four normal features flip their correlation from 0.9 to -0.9 (reference "
        "5000, current 1000 rows) while every marginal stays the same: no feature drifts, "
        "the joint distribution does (the PCA reconstruction error sees it).",
        multivariate_drifted=True,
    )


_BUILDERS: tuple[Callable[[np.random.Generator], DriftCase], ...] = (
    _no_drift,
    _mean_shift,
    _variance_change,
    _categorical_frequency_change,
    _unseen_category,
    _missing_values,
    _small_current,
    _large_tiny_shift,
    _concept_drift,
    _majority_drifted,
    _correlation_change,
)

CASE_NAMES: tuple[str, ...] = (
    "no_drift",
    "mean_shift_3_of_20",
    "variance_change",
    "categorical_frequency_change",
    "unseen_category",
    "missing_values",
    "small_current_n50",
    "large_tiny_shift",
    "concept_drift_unchanged_inputs",
    "majority_drifted",
    "correlation_change",
)


@functools.cache
def case(name: str, seed: int = DEFAULT_SEED) -> DriftCase:
    """One case by name; each case has a generator of its own (seed and case index), so a case
    does not depend on which others were built. Cached: do not modify the arrays."""
    index = CASE_NAMES.index(name)
    built = _BUILDERS[index](np.random.default_rng([seed, index]))
    if built.name != name:
        raise AssertionError(f"case {index} is {built.name}, expected {name}")
    return built


def build_cases(seed: int = DEFAULT_SEED) -> tuple[DriftCase, ...]:
    """All cases, in the order of ``CASE_NAMES``."""
    return tuple(case(name, seed) for name in CASE_NAMES)
