"""Data drift of one feature and of a dataset: reference sample against a current window.

The same functions measure prediction drift (pass the model outputs as the column) and target
drift (pass the labels). Defaults follow Evidently's data drift preset, with two deliberate
differences marked below.

Choice of method (``DriftConfig``), from the feature's kind (given, or inferred from the reference
with ``slipway.ml.profiles.feature_stats``) and the size of the reference (present values):

* reference of at most ``small_reference_max`` (1000) values:

  * ``numeric`` with more than ``low_cardinality_max`` (5) distinct reference values: ``ks``,
    the two-sample Kolmogorov-Smirnov test (``scipy.stats.ks_2samp``); drift when p <= 0.05.
  * ``categorical``, and numeric with at most 5 distinct values: ``chisquare``, a two-sample
    chi-square test of homogeneity (``scipy.stats.chi2_contingency`` on the 2 x K table of
    reference and current counts over the union of categories, no Yates correction); drift when
    p <= 0.05. *Difference from Evidently*, which runs a goodness-of-fit test
    (``scipy.stats.chisquare``) of the current counts against frequencies expected from the
    reference proportions. That test treats the reference proportions as exact, ignores the
    sampling noise of the reference, and so reports drift too often when the reference is small;
    the contingency test accounts for both samples. A category seen only in the current window
    gives the goodness-of-fit test an expected count of zero (undefined); here it simply is a
    column of the table.
  * ``binary``: ``ztest``, a two-proportion z-test (pooled variance) on the share of the first
    category in sorted order; drift when p <= 0.05. When the current window brings a third
    category the method becomes ``chisquare``.

* larger reference:

  * ``numeric`` with more than 5 distinct values: ``wasserstein``, the normed Wasserstein
    distance: ``scipy.stats.wasserstein_distance`` divided by the reference's standard deviation
    (``ddof=0``), so it does not depend on the feature's unit; drift when >= 0.1. A constant
    reference (deviation 0) gives 0 when the current values equal it and infinity otherwise.
  * ``categorical``, ``binary`` and numeric with at most 5 distinct values: ``jensenshannon``, the
    Jensen-Shannon distance (``scipy.spatial.distance.jensenshannon`` with its default natural
    logarithm, as Evidently computes it, so it lies in [0, sqrt(ln 2)] = [0, 0.833]) between the
    category frequency vectors aligned on the union of categories; drift when >= 0.1.

* ``psi`` can be chosen as a method too (drift when >= 0.1).

PSI, the population stability index sum((c - r) * ln(c / r)) over bins of the current (c) and
reference (r) shares, is reported with every result, whatever the method. Bins
(``FeatureDrift.psi_bins`` names them): for a numeric feature, ``psi_bins`` (10) quantile bins of
the reference (edges at the reference's 10 %, 20 %, ... quantiles, repeated edges merged, the
outer bins open to -inf and +inf, each bin closed on the left); for other kinds, one bin per
category of the union. An empty bin's share becomes ``psi_epsilon`` (1e-4) so the logarithm stays
finite.

Missing values (None, NaN, infinities for numbers; None and NaN for text) are left out of the
value test, but never silently: the missing share of reference and current is reported and a
two-proportion z-test compares them. When its p-value is <= ``missing_threshold`` (0.05) the
feature counts as drifted (``missing_drifted``) even when the present values agree. *Difference
from Evidently*, which drops missing values before testing. When either side has no present value,
the value test is not run (statistic NaN, no p-value, no value drift) and only the missing-share
test can flag the feature.

The whole reference column (``WholeColumn``, optional): a sample of a large training set is what
the value tests see, but what training kept of the whole column is used where it is exact. Its
present and missing counts give the missing share and its test, and choose the method (the
size, and the distinct values of a numeric feature). When it holds the exact count of every
value (a categorical column, or a numeric one with few distinct values), every test of
categories (``chisquare``, ``ztest``, ``jensenshannon``, the PSI of categories) runs on those
counts, so it sees the whole reference, not a sample of it (``FeatureDrift.reference_whole``).
The numeric tests (``ks``, ``wasserstein``, the PSI's quantile bins) need the values and run on
the sample.

Values that repeat in the reference (the class probabilities of a tree model, a rating, a flag) are
matched across rounding (``snap_tolerance``): a current number within 1e-5 of the reference's
scale (its largest absolute value) of a reference value seen at least twice there counts as that
value. *Difference from Evidently*, which compares floats exactly: a model's outputs computed by
another runtime (ONNX Runtime computes in float32), or a feature sent as FP32, differ from the
reference's float64 in the last places, and every tie of the reference then splits. With 300
holdout rows and undrifted traffic, the prediction drift of a depth-3 tree or a 5-neighbour
classifier logged in float32 was flagged on every one of 40 seeds, a random forest's on 23 %.
A continuous column has no repeated value and is compared exactly.

A dataset drifts when the share of drifted features is >= ``dataset_threshold`` (0.5).

Thresholds: per method (``method_thresholds``), overridden per kind (``kind_thresholds``), and per
feature (``feature_thresholds``); methods: per kind and reference size, overridden per feature
(``feature_methods``). A mapping that leaves a kind or method out falls back to the default. A
method with a p-value flags drift when p <= threshold; a distance when distance >= threshold.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
from scipy import stats  # type: ignore[import-untyped]
from scipy.spatial.distance import jensenshannon  # type: ignore[import-untyped]

from slipway.ml.profiles import KINDS, Kind, feature_stats
from slipway.services.monitoring.stats.missing import none_or_nan

__all__ = [
    "METHODS",
    "DatasetDrift",
    "DriftConfig",
    "FeatureDrift",
    "Method",
    "WholeColumn",
    "dataset_drift",
    "feature_drift",
    "psi",
]

Method = Literal["ks", "chisquare", "ztest", "wasserstein", "jensenshannon", "psi"]
METHODS: tuple[Method, ...] = ("ks", "chisquare", "ztest", "wasserstein", "jensenshannon", "psi")
_P_VALUE_METHODS = frozenset({"ks", "chisquare", "ztest"})
_NUMERIC_METHODS = frozenset({"ks", "wasserstein"})
_CATEGORY_METHODS = frozenset({"chisquare", "ztest", "jensenshannon"})

FloatArray = npt.NDArray[np.float64]


def _small_defaults() -> dict[Kind, Method]:
    return {"numeric": "ks", "categorical": "chisquare", "binary": "ztest"}


def _large_defaults() -> dict[Kind, Method]:
    return {"numeric": "wasserstein", "categorical": "jensenshannon", "binary": "jensenshannon"}


def _threshold_defaults() -> dict[Method, float]:
    return {
        "ks": 0.05,
        "chisquare": 0.05,
        "ztest": 0.05,
        "wasserstein": 0.1,
        "jensenshannon": 0.1,
        "psi": 0.1,
    }


@dataclass(frozen=True)
class DriftConfig:
    """How drift is measured; the defaults are described in the module docstring."""

    small_reference_max: int = 1000
    """References with at most this many present values use ``small_reference_methods``."""
    low_cardinality_max: int = 5
    """A numeric feature with at most this many distinct reference values is tested as a
    categorical one."""
    small_reference_methods: Mapping[Kind, Method] = field(default_factory=_small_defaults)
    """Method per kind for a small reference."""
    large_reference_methods: Mapping[Kind, Method] = field(default_factory=_large_defaults)
    """Method per kind for a large reference."""
    method_thresholds: Mapping[Method, float] = field(default_factory=_threshold_defaults)
    """Threshold per method (p-value at or below, or distance at or above, means drift)."""
    kind_thresholds: Mapping[Kind, float] = field(default_factory=dict)
    """Threshold per kind, over the method's."""
    feature_methods: Mapping[str, Method] = field(default_factory=dict)
    """Method per feature name, over the kind's."""
    feature_thresholds: Mapping[str, float] = field(default_factory=dict)
    """Threshold per feature name, over everything else."""
    missing_threshold: float = 0.05
    """p-value at or below which a change in the missing share is drift."""
    dataset_threshold: float = 0.5
    """Share of drifted features at or above which the dataset drifts."""
    psi_bins: int = 10
    """Quantile bins of the reference for the PSI of a numeric feature."""
    psi_epsilon: float = 1e-4
    """Share given to an empty PSI bin."""
    snap_tolerance: float = 1e-5
    """Distance, relative to the reference's largest absolute value, within which a current
    number counts as a value repeated in the reference (0: compare exactly)."""


@dataclass(frozen=True)
class FeatureDrift:
    """Drift of one feature; counts and shares exclude nothing but say what was missing."""

    name: str
    kind: Kind
    method: Method
    statistic: float  # test statistic or distance; NaN when a side has no present value
    p_value: float | None  # None for distances
    threshold: float
    value_drifted: bool  # the present values drifted
    psi: float
    psi_bins: tuple[str, ...]  # e.g. "[-inf, 0.5)", "[0.5, 1.25)", ... or category labels
    reference_missing_share: float
    current_missing_share: float
    missing_p_value: float
    missing_drifted: bool
    reference_count: int  # present values
    current_count: int
    psi_edges: tuple[float, ...] = ()
    """The numeric PSI bins' edges, -inf first and inf last (empty for categories)."""
    reference_whole: bool = False
    """The value test ran on the exact counts of the whole reference column (``WholeColumn``),
    not on the sample: ``reference_count`` is then the whole column's."""
    reference_sorted: FloatArray | None = field(default=None, repr=False, compare=False)
    """The present reference numbers, sorted (None for text): what the statistic sorted, for a
    caller that needs the order too (a report's feature statistics)."""
    current_sorted: FloatArray | None = field(default=None, repr=False, compare=False)

    @property
    def drifted(self) -> bool:
        return self.value_drifted or self.missing_drifted


@dataclass(frozen=True)
class DatasetDrift:
    features: tuple[FeatureDrift, ...]
    drifted_share: float
    drifted: bool
    threshold: float

    @property
    def drifted_features(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.features if f.drifted)


@dataclass(frozen=True, eq=False)
class WholeColumn:
    """What is known exactly of the whole reference column a sample was drawn from (see the
    module docstring): present and missing counts, the number of distinct present values (None
    when unknown) and, when known, every distinct present value (``values``: text, or float64
    numbers) with its count (``counts``, aligned)."""

    count: int
    missing: int
    distinct: int | None = None
    values: npt.NDArray[Any] | None = None
    counts: npt.NDArray[np.int64] | None = None

    @property
    def exact(self) -> bool:
        return self.values is not None and self.counts is not None


# --- values ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Column:
    """The present values of a column, with how many were missing.

    A numeric column is sorted once, on first use, for everything that needs order (distinct
    count, Wasserstein, PSI quantiles and bin counts): each of these depends only on the values,
    not on their order, so the results are those of the unsorted values.
    """

    present: npt.NDArray[Any]  # float64 when numeric, str otherwise
    missing: int
    total: int

    @property
    def numeric(self) -> bool:
        return self.present.dtype.kind == "f"

    @cached_property
    def ordered(self) -> FloatArray:
        """The present numbers, sorted."""
        return np.sort(self.present)

    @cached_property
    def distinct(self) -> int:
        """The number of distinct present values."""
        if not self.numeric:
            return len(np.unique(self.present))
        ordered = self.ordered
        return int(np.count_nonzero(ordered[1:] != ordered[:-1])) + 1 if len(ordered) else 0


def _column(values: npt.NDArray[Any] | Any) -> _Column:
    array = np.asarray(values).ravel()
    if array.dtype.kind in "biuf":
        numbers = np.asarray(array, dtype=np.float64)  # no copy of float64 values
        finite = np.isfinite(numbers)
        if finite.all():  # the usual case: no copy of the values for a mask
            return _Column(numbers, 0, len(array))
        return _Column(numbers[finite], int((~finite).sum()), len(array))
    if array.dtype.kind == "O":
        as_float = _object_numbers(array)
        if as_float is not None:
            finite = np.isfinite(as_float)
            return _Column(as_float[finite], int((~finite).sum()), len(array))
        missing = none_or_nan(array)
        return _Column(array[~missing].astype(str), int(missing.sum()), len(array))
    return _Column(array.astype(str), 0, len(array))


def _snapped(
    current: _Column, reference: _Column, whole: WholeColumn | None, tolerance: float
) -> _Column:
    """``current`` with each number within ``tolerance`` (relative to the reference's scale)
    of a value repeated in the reference replaced by that value (module docstring)."""
    if tolerance <= 0 or not (current.numeric and reference.numeric) or not len(current.present):
        return current
    if whole is not None and whole.values is not None and whole.counts is not None:
        if whole.values.dtype.kind != "f":
            return current
        values, counts = whole.values, whole.counts
    else:
        ordered = reference.ordered
        if reference.distinct == len(ordered):  # no value repeats (cached for the method)
            return current
        values, counts = np.unique(ordered, return_counts=True)
    repeated = values[counts >= 2]
    if not len(repeated):
        return current
    scale = max(abs(float(values[0])), abs(float(values[-1])))  # values ascend
    cur = current.present
    at = np.searchsorted(repeated, cur)
    below = repeated[np.clip(at - 1, 0, len(repeated) - 1)]
    above = repeated[np.clip(at, 0, len(repeated) - 1)]
    nearest = np.where(np.abs(cur - below) <= np.abs(above - cur), below, above)
    close = (np.abs(nearest - cur) <= tolerance * scale) & (nearest != cur)
    if not close.any():
        return current
    return _Column(np.where(close, nearest, cur), current.missing, current.total)


def _object_numbers(array: npt.NDArray[Any]) -> FloatArray | None:
    try:
        numbers = np.array([np.nan if v is None else v for v in array], dtype=np.float64)
    except (TypeError, ValueError):
        return None
    if any(isinstance(v, str | bytes) for v in array):
        return None
    return numbers


def _aligned_counts(
    reference: _Column, current: _Column
) -> tuple[npt.NDArray[Any], npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Categories of the union (sorted) and the count of each in reference and current."""
    ref, cur = reference.present, current.present
    if ref.dtype.kind != cur.dtype.kind:  # numbers on one side, text on the other
        ref, cur = ref.astype(str), cur.astype(str)
    categories, inverse = np.unique(np.concatenate([ref, cur]), return_inverse=True)
    size = len(categories)
    ref_counts = np.bincount(inverse[: len(ref)], minlength=size).astype(np.int64)
    cur_counts = np.bincount(inverse[len(ref) :], minlength=size).astype(np.int64)
    return categories, ref_counts, cur_counts


def _labels(values: npt.NDArray[Any]) -> npt.NDArray[Any]:
    """Values as category labels: numbers as ``_category_name`` writes them (``1.0`` as
    ``"1"``), text as it is."""
    if values.dtype.kind != "f":
        return values.astype(str)
    unique, inverse = np.unique(values, return_inverse=True)
    names = np.array([_category_name(v) for v in unique.tolist()] or [""], dtype=str)
    return names[inverse] if len(values) else np.array([], dtype=str)


def _counts(
    reference: _Column, current: _Column, whole: WholeColumn | None
) -> tuple[npt.NDArray[Any], npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """``_aligned_counts``, with the whole column's exact counts as the reference's when
    ``whole`` has them."""
    if whole is None or whole.values is None or whole.counts is None:
        return _aligned_counts(reference, current)
    keys, cur = whole.values, current.present
    if keys.dtype.kind != cur.dtype.kind:  # numbers on one side, text on the other
        keys, cur = _labels(keys), _labels(cur)
    categories, inverse = np.unique(np.concatenate([keys, cur]), return_inverse=True)
    size = len(categories)
    ref_counts = np.zeros(size, dtype=np.int64)
    np.add.at(ref_counts, inverse[: len(keys)], whole.counts)
    cur_counts = np.bincount(inverse[len(keys) :], minlength=size).astype(np.int64)
    return categories, ref_counts, cur_counts


def _category_name(value: Any) -> str:
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value)


# --- tests and distances -----------------------------------------------------------------------


def _two_proportions(hits_a: int, total_a: int, hits_b: int, total_b: int) -> tuple[float, float]:
    """Pooled two-proportion z statistic and its two-sided p-value (0, 1 when undefined)."""
    if total_a == 0 or total_b == 0:
        return 0.0, 1.0
    pooled = (hits_a + hits_b) / (total_a + total_b)
    variance = pooled * (1 - pooled) * (1 / total_a + 1 / total_b)
    if variance <= 0:
        return 0.0, 1.0
    z = (hits_a / total_a - hits_b / total_b) / float(np.sqrt(variance))
    return z, float(2 * stats.norm.sf(abs(z)))


def _shares(counts: npt.NDArray[np.int64], epsilon: float) -> FloatArray:
    total = counts.sum()
    shares = counts / total if total > 0 else np.zeros(len(counts))
    return np.where(shares == 0, epsilon, shares).astype(np.float64)


def psi(
    reference: npt.NDArray[Any],
    current: npt.NDArray[Any],
    *,
    numeric: bool | None = None,
    bins: int = 10,
    epsilon: float = 1e-4,
) -> tuple[float, tuple[str, ...]]:
    """Population stability index of the present values and the names of its bins.

    Numeric values (``numeric`` None decides from the values) use ``bins`` quantile bins of the
    reference, others one bin per category (see the module docstring).
    """
    ref, cur = _column(reference), _column(current)
    if numeric is None:
        numeric = ref.numeric and cur.numeric
    value, names, _ = _psi(ref, cur, numeric=numeric, bins=bins, epsilon=epsilon)
    return value, names


def _psi(
    ref: _Column,
    cur: _Column,
    *,
    numeric: bool,
    bins: int,
    epsilon: float,
    whole: WholeColumn | None = None,
) -> tuple[float, tuple[str, ...], tuple[float, ...]]:
    """(PSI, the bins' names, the numeric bins' edges or ()); categories are counted in
    ``whole`` when it has exact counts."""
    edges: list[float] = []
    if numeric and ref.numeric and cur.numeric:
        if len(ref.present) == 0 or len(cur.present) == 0:
            return float("nan"), (), ()
        inner = np.unique(np.quantile(ref.ordered, np.linspace(0, 1, bins + 1)[1:-1]))
        ref_counts, cur_counts = _bin_counts(ref.ordered, inner), _bin_counts(cur.ordered, inner)
        edges = [-np.inf, *inner.tolist(), np.inf]
        names = tuple(f"[{edges[i]:g}, {edges[i + 1]:g})" for i in range(len(edges) - 1))
    else:
        counted = whole if whole is not None and whole.exact else None
        if (counted.count if counted else len(ref.present)) == 0 or len(cur.present) == 0:
            return float("nan"), (), ()
        categories, ref_counts, cur_counts = _counts(ref, cur, counted)
        names = tuple(_category_name(c) for c in categories.tolist())
    r, c = _shares(ref_counts, epsilon), _shares(cur_counts, epsilon)
    return float(np.sum((c - r) * np.log(c / r))), names, tuple(edges)


def _bin_counts(ordered: FloatArray, inner: FloatArray) -> npt.NDArray[np.int64]:
    """How many of the sorted values fall in each bin [-inf, e0), [e0, e1), ..., [ek, inf)."""
    below = np.searchsorted(ordered, inner, side="left")  # values under each edge
    return np.diff(np.concatenate(([0], below, [len(ordered)]))).astype(np.int64)


def _wasserstein(ref: _Column, cur: _Column) -> float:
    """``scipy.stats.wasserstein_distance`` of the present values, from the sorted columns.

    The same sum as scipy's: sum over the merged sorted values of |F_ref - F_cur| times the gap
    to the next value, each CDF counting the values at or below. Merging two sorted runs replaces
    scipy's two argsorts, its sort of both samples together and its two searches, the bulk of
    its time on large samples. Where a value repeats, the count here can stop inside the run of
    equal values, but the gap there is 0, so every term, and the sum, is scipy's.
    """
    u, v = ref.ordered, cur.ordered
    both = np.concatenate((u, v))
    order = np.argsort(both, kind="stable")  # a merge of two sorted runs
    merged = both[order]
    # Buffers are reused once their values are no longer needed: on large samples, fresh
    # memory (page faults) costs as much as the arithmetic.
    gaps = np.subtract(merged[1:], merged[:-1], out=both[:-1])
    u_at_or_below = np.cumsum(order[:-1] < len(u), out=order[:-1])
    v_at_or_below = np.arange(1, len(merged))
    np.subtract(v_at_or_below, u_at_or_below, out=v_at_or_below)
    u_cdf = np.divide(u_at_or_below, len(u), out=merged[:-1])
    distance = np.divide(v_at_or_below, len(v))
    np.subtract(u_cdf, distance, out=distance)
    return float(_dot(np.abs(distance, out=distance), gaps))


def _dot(a: FloatArray, b: FloatArray) -> Any:
    # Not BLAS (``np.vecdot``, ``np.dot``): OpenBLAS hands even a short dot product to its
    # threads, and on two cores shared with other work waking them took 9-12 ms for 20,000
    # values that one core sums in 0.02 ms; the report spent two thirds of its time there.
    # ``einsum`` sums in one thread with its own loop; every term is >= 0, so the order of the
    # sum moves the result by a few units in the last place at most (scipy's is BLAS's).
    return np.einsum("i,i->", a, b)


def _measure(
    method: Method,
    ref: _Column,
    cur: _Column,
    config: DriftConfig,
    whole: WholeColumn | None = None,
) -> tuple[float, float | None]:
    if method in _NUMERIC_METHODS and not (ref.numeric and cur.numeric):
        raise ValueError(f"method {method} needs numbers on both sides")
    if method == "ks":
        result = stats.ks_2samp(ref.present, cur.present)
        return float(result.statistic), float(result.pvalue)
    if method == "wasserstein":
        distance = _wasserstein(ref, cur)
        scale = float(np.std(ref.present))
        if scale > 0:
            return distance / scale, None
        return (0.0 if distance == 0 else float("inf")), None
    if method == "psi":
        value, _, _ = _psi(
            ref,
            cur,
            numeric=ref.numeric,
            bins=config.psi_bins,
            epsilon=config.psi_epsilon,
            whole=whole,
        )
        return value, None
    _, ref_counts, cur_counts = _counts(ref, cur, whole)
    if method == "jensenshannon":
        # Natural logarithm, as Evidently: the same 0.1 threshold then gives the same verdicts.
        distance = jensenshannon(ref_counts / ref_counts.sum(), cur_counts / cur_counts.sum())
        return float(distance), None
    if method == "ztest":
        z, p = _two_proportions(
            int(ref_counts[0]), int(ref_counts.sum()), int(cur_counts[0]), int(cur_counts.sum())
        )
        return z, p
    # chisquare
    if len(ref_counts) < 2:
        return 0.0, 1.0
    result = stats.chi2_contingency(np.vstack([ref_counts, cur_counts]), correction=False)
    return float(result.statistic), float(result.pvalue)


def _choose(
    name: str, kind: Kind, ref: _Column, config: DriftConfig, whole: WholeColumn | None = None
) -> Method:
    if name in config.feature_methods:
        return config.feature_methods[name]
    effective: Kind = kind
    distinct = whole.distinct if whole is not None and whole.distinct is not None else None
    if distinct is None:
        distinct = ref.distinct
    if kind == "numeric" and (not ref.numeric or distinct <= config.low_cardinality_max):
        effective = "categorical"
    small = (whole.count if whole is not None else len(ref.present)) <= config.small_reference_max
    methods = config.small_reference_methods if small else config.large_reference_methods
    defaults = _small_defaults() if small else _large_defaults()
    return methods.get(effective, defaults[effective])


def _threshold(name: str, kind: Kind, method: Method, config: DriftConfig) -> float:
    if name in config.feature_thresholds:
        return config.feature_thresholds[name]
    if kind in config.kind_thresholds:
        return config.kind_thresholds[kind]
    return config.method_thresholds.get(method, _threshold_defaults()[method])


def _inferred_kind(name: str, reference: npt.NDArray[Any], ref: _Column) -> Kind:
    """``feature_stats(name, reference).kind``; for a numeric array that is ``binary`` with
    exactly two distinct present values and ``numeric`` otherwise, known here from the sorted
    column without computing the rest of the statistics."""
    array = np.asarray(reference).ravel()
    if array.dtype.kind in "biuf":
        return "binary" if ref.distinct == 2 else "numeric"
    return feature_stats(name, array).kind


def feature_drift(
    name: str,
    reference: npt.NDArray[Any],
    current: npt.NDArray[Any],
    kind: Kind | None = None,
    config: DriftConfig | None = None,
    *,
    keep_sorted: bool = False,
    whole: WholeColumn | None = None,
) -> FeatureDrift:
    """Drift of one column (1-D: numbers, text, or an object array of either); with
    ``keep_sorted`` the result holds the sorted present numbers of both sides too (for a caller
    that needs them next, not for results that are kept: they are as large as the columns).
    ``whole``: what is known of the whole reference column ``reference`` samples (see the
    module docstring)."""
    config = config or DriftConfig()
    if kind is not None and kind not in KINDS:
        raise ValueError(f"unknown feature kind {kind!r}; expected one of {', '.join(KINDS)}")
    ref, cur = _column(reference), _column(current)
    cur = _snapped(cur, ref, whole, config.snap_tolerance)
    if kind is None:
        kind = _inferred_kind(name, reference, ref)
    method = _choose(name, kind, ref, config, whole)
    threshold = _threshold(name, kind, method, config)
    # The whole column's counts stand for the reference in every test of categories.
    exact = (
        whole is not None
        and whole.exact
        and (
            method in _CATEGORY_METHODS
            or (method == "psi" and not (ref.numeric and cur.numeric))  # a PSI of categories
        )
    )
    counted = whole if exact else None
    reference_count = whole.count if whole is not None and exact else len(ref.present)
    if reference_count == 0 or len(cur.present) == 0:
        statistic, p_value, value_drifted = float("nan"), None, False
    else:
        if method == "ztest" and len(_counts(ref, cur, counted)[0]) > 2:
            method = "chisquare"  # a third category appeared: compare all of them
        statistic, p_value = _measure(method, ref, cur, config, counted)
        if method in _P_VALUE_METHODS:
            value_drifted = p_value is not None and p_value <= threshold
        else:
            value_drifted = statistic >= threshold
    psi_value, psi_bins, psi_edges = _psi(
        ref,
        cur,
        numeric=kind == "numeric",
        bins=config.psi_bins,
        epsilon=config.psi_epsilon,
        whole=whole,
    )
    ref_missing, ref_total = ref.missing, ref.total
    if whole is not None:
        ref_missing, ref_total = whole.missing, whole.count + whole.missing
    _, missing_p = _two_proportions(ref_missing, ref_total, cur.missing, cur.total)
    return FeatureDrift(
        name=name,
        kind=kind,
        method=method,
        statistic=statistic,
        p_value=p_value,
        threshold=threshold,
        value_drifted=bool(value_drifted),
        psi=psi_value,
        psi_bins=psi_bins,
        reference_missing_share=ref_missing / ref_total if ref_total else 0.0,
        current_missing_share=cur.missing / cur.total if cur.total else 0.0,
        missing_p_value=missing_p,
        missing_drifted=missing_p <= config.missing_threshold,
        reference_count=reference_count,
        current_count=len(cur.present),
        psi_edges=psi_edges,
        reference_whole=exact,
        reference_sorted=ref.ordered if keep_sorted and ref.numeric else None,
        current_sorted=cur.ordered if keep_sorted and cur.numeric else None,
    )


def dataset_drift(
    reference: Mapping[str, npt.NDArray[Any]],
    current: Mapping[str, npt.NDArray[Any]],
    kinds: Mapping[str, Kind] | None = None,
    config: DriftConfig | None = None,
) -> DatasetDrift:
    """Drift of every reference column; ``current`` must hold each of them."""
    config = config or DriftConfig()
    absent = [name for name in reference if name not in current]
    if absent:
        raise ValueError(f"current data lacks the columns {', '.join(absent)}")
    kinds = kinds or {}
    features = tuple(
        feature_drift(name, reference[name], current[name], kinds.get(name), config)
        for name in reference
    )
    share = sum(f.drifted for f in features) / len(features) if features else 0.0
    return DatasetDrift(
        features=features,
        drifted_share=share,
        drifted=bool(features) and share >= config.dataset_threshold,
        threshold=config.dataset_threshold,
    )
