"""Evidently 0.7's default data drift verdicts, restated independently with numpy and scipy.

What ``Report([DataDriftPreset()])`` decides for each column when given no options, as read from
Evidently 0.7's published source (``legacy/calculations/stattests/registry.py``'s default choice,
the ``ks``, ``z``, ``chisquare``, ``wasserstein`` and ``jensenshannon`` tests, and
``legacy/calculations/data_drift.py``), rewritten here without pandas and without Evidently:

* Column type, inferred from the *current* data (the report takes its data definition from the
  current dataset): float numbers are numerical; integers are categorical with at most 10 distinct
  values, numerical otherwise; booleans are categorical; text is categorical unless more than half
  of its present values are distinct (then it is text, which this oracle does not cover).
* Missing values (None, NaN, and infinities for numbers) are dropped from both sides first.
* The test, from the reference's present row count and the number of distinct present values of
  reference and current *together*:

  - reference of at most 1000 rows: a numerical column with more than 5 distinct values gets
    ``ks`` (``scipy.stats.ks_2samp``, drift when p <= 0.05); a categorical column, or a numerical
    one with at most 5 distinct values, gets ``z`` with at most 2 of them (a pooled
    two-proportion z-test on the share of the first value in sorted order; p = 1 when both sides
    hold the same single value; drift when p < 0.05) and ``chisquare`` with more
    (``scipy.stats.chisquare`` of the current counts against the reference counts scaled to the
    current size, over the union of values; drift when p < 0.05).
  - larger reference: a numerical column with more than 5 distinct values gets ``wasserstein``
    (``scipy.stats.wasserstein_distance`` divided by the larger of the reference's standard
    deviation, ``ddof=0``, and 0.001; drift when >= 0.1); any other gets ``jensenshannon``
    (``scipy.spatial.distance.jensenshannon`` of the value frequencies over the union of values,
    with scipy's default **natural logarithm**; drift when >= 0.1).

* The dataset drifts when the share of drifted columns is >= 0.5.

``deviations`` switches on Slipway's documented differences, one at a time or together, to show
that a difference between Slipway's verdict and Evidently's is the documented one:
``CONTINGENCY`` (the two-sample chi-square test of homogeneity, ``scipy.stats.chi2_contingency``
without continuity correction, drift when p <= 0.05, in place of the goodness-of-fit test) and
``MISSING_SHARE`` (a pooled two-proportion z-test of the missing shares, drift when p <= 0.05, on
top of the value test; a side with no present value then skips the value test instead of
failing).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import stats  # type: ignore[import-untyped]
from scipy.spatial.distance import jensenshannon  # type: ignore[import-untyped]

from support.drift_cases import CONTINGENCY, MISSING_SHARE

__all__ = [
    "ColumnVerdict",
    "DatasetVerdict",
    "column_type",
    "column_verdict",
    "dataset_verdict",
]

SMALL_REFERENCE_MAX = 1000
FEW_VALUES_MAX = 5
INTEGER_CATEGORIES_MAX = 10
P_THRESHOLD = 0.05
DISTANCE_THRESHOLD = 0.1
DRIFT_SHARE = 0.5

_KNOWN_DEVIATIONS = frozenset({CONTINGENCY, MISSING_SHARE})


@dataclass(frozen=True)
class ColumnVerdict:
    name: str
    column_type: str  # "numerical" or "categorical"
    method: str  # "ks", "z", "chisquare", "wasserstein", "jensenshannon" (or "contingency")
    score: float  # p-value or distance
    drifted: bool


@dataclass(frozen=True)
class DatasetVerdict:
    columns: Mapping[str, ColumnVerdict]
    share: float
    drifted: bool

    @property
    def drifted_features(self) -> frozenset[str]:
        return frozenset(name for name, verdict in self.columns.items() if verdict.drifted)


def _missing_mask(values: npt.NDArray[Any]) -> npt.NDArray[np.bool_]:
    if values.dtype.kind == "f":
        return np.asarray(~np.isfinite(values), dtype=np.bool_)
    if values.dtype.kind == "O":
        return np.array(
            [v is None or (isinstance(v, float) and not np.isfinite(v)) for v in values.tolist()],
            dtype=np.bool_,
        )
    return np.zeros(len(values), dtype=np.bool_)


def _present(values: npt.NDArray[Any]) -> npt.NDArray[Any]:
    values = np.asarray(values).ravel()
    return values[~_missing_mask(values)]


def column_type(current: npt.NDArray[Any]) -> str:
    """Evidently's inferred type of a column, from the current data."""
    values = np.asarray(current).ravel()
    kind = values.dtype.kind
    if kind == "f":
        return "numerical"
    if kind in "iu":
        return "categorical" if len(np.unique(values)) <= INTEGER_CATEGORIES_MAX else "numerical"
    if kind == "b":
        return "categorical"
    present = _present(values)
    if kind in "OU" and len(present) and all(isinstance(v, str) for v in present.tolist()):
        if len(set(present.tolist())) > 0.5 * len(present):
            raise NotImplementedError("a text column: Evidently tests it another way")
        return "categorical"
    raise NotImplementedError(f"a column of dtype {values.dtype} has no Evidently type here")


def _union_counts(
    reference: npt.NDArray[Any], current: npt.NDArray[Any]
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Counts of each value of the union (sorted) in reference and current."""
    keys, inverse = np.unique(np.concatenate([reference, current]), return_inverse=True)
    ref_counts = np.bincount(inverse[: len(reference)], minlength=len(keys))
    cur_counts = np.bincount(inverse[len(reference) :], minlength=len(keys))
    return ref_counts.astype(np.float64), cur_counts.astype(np.float64)


def _z_test(reference: npt.NDArray[Any], current: npt.NDArray[Any]) -> float:
    ref_values, cur_values = set(reference.tolist()), set(current.tolist())
    if len(ref_values) == 1 and ref_values == cur_values:
        return 1.0
    first = sorted(ref_values | cur_values)[0]
    n1, n2 = len(reference), len(current)
    p1 = float(np.sum(reference != first)) / n1  # the share of "not the first value"
    p2 = float(np.sum(current != first)) / n2
    pooled = (p1 * n1 + p2 * n2) / (n1 + n2)
    variance = pooled * (1 - pooled) * (1 / n1 + 1 / n2)
    if variance <= 0:
        return float("nan")  # Evidently divides by zero here; NaN < 0.05 is no drift
    z = (p1 - p2) / np.sqrt(variance)
    return float(2 * (1 - stats.norm.cdf(abs(z))))


def _two_proportions_p(hits_a: int, total_a: int, hits_b: int, total_b: int) -> float:
    if total_a == 0 or total_b == 0:
        return 1.0
    pooled = (hits_a + hits_b) / (total_a + total_b)
    variance = pooled * (1 - pooled) * (1 / total_a + 1 / total_b)
    if variance <= 0:
        return 1.0
    z = (hits_a / total_a - hits_b / total_b) / np.sqrt(variance)
    return float(2 * stats.norm.sf(abs(z)))


def _value_verdict(
    name: str, kind: str, ref: npt.NDArray[Any], cur: npt.NDArray[Any], contingency: bool
) -> ColumnVerdict:
    distinct = len(np.unique(np.concatenate([ref, cur])))
    few = kind == "categorical" or distinct <= FEW_VALUES_MAX
    if len(ref) <= SMALL_REFERENCE_MAX:
        if not few:
            p = float(stats.ks_2samp(ref.astype(np.float64), cur.astype(np.float64)).pvalue)
            return ColumnVerdict(name, kind, "ks", p, p <= P_THRESHOLD)
        if distinct <= 2:
            p = _z_test(ref, cur)
            return ColumnVerdict(name, kind, "z", p, p < P_THRESHOLD)
        ref_counts, cur_counts = _union_counts(ref, cur)
        if contingency:
            p = float(
                stats.chi2_contingency(np.vstack([ref_counts, cur_counts]), correction=False).pvalue
            )
            return ColumnVerdict(name, kind, "contingency", p, p <= P_THRESHOLD)
        expected = ref_counts * (len(cur) / len(ref))
        with np.errstate(divide="ignore", invalid="ignore"):
            p = float(stats.chisquare(cur_counts, expected).pvalue)
        return ColumnVerdict(name, kind, "chisquare", p, p < P_THRESHOLD)
    if not few:
        ref_numbers, cur_numbers = ref.astype(np.float64), cur.astype(np.float64)
        scale = max(float(np.std(ref_numbers)), 0.001)
        distance = float(stats.wasserstein_distance(ref_numbers, cur_numbers)) / scale
        return ColumnVerdict(name, kind, "wasserstein", distance, distance >= DISTANCE_THRESHOLD)
    ref_counts, cur_counts = _union_counts(ref, cur)
    distance = float(jensenshannon(ref_counts / len(ref), cur_counts / len(cur)))
    return ColumnVerdict(name, kind, "jensenshannon", distance, distance >= DISTANCE_THRESHOLD)


def column_verdict(
    name: str,
    reference: npt.NDArray[Any],
    current: npt.NDArray[Any],
    deviations: Collection[str] = (),
) -> ColumnVerdict:
    """Evidently's default verdict on one column, with the named deviations switched on."""
    unknown = set(deviations) - _KNOWN_DEVIATIONS
    if unknown:
        raise ValueError(f"unknown deviations {sorted(unknown)}")
    reference, current = np.asarray(reference).ravel(), np.asarray(current).ravel()
    kind = column_type(current)
    ref, cur = _present(reference), _present(current)
    missing_drifted = False
    if MISSING_SHARE in deviations:
        missing_p = _two_proportions_p(
            len(reference) - len(ref), len(reference), len(current) - len(cur), len(current)
        )
        missing_drifted = missing_p <= P_THRESHOLD
        if len(ref) == 0 or len(cur) == 0:
            return ColumnVerdict(name, kind, "missing share", missing_p, missing_drifted)
    elif len(ref) == 0 or len(cur) == 0:
        raise ValueError(f"column {name!r} has no present value on one side; Evidently refuses")
    verdict = _value_verdict(name, kind, ref, cur, CONTINGENCY in deviations)
    if missing_drifted and not verdict.drifted:
        return ColumnVerdict(name, kind, verdict.method, verdict.score, True)
    return verdict


def dataset_verdict(
    reference: Mapping[str, npt.NDArray[Any]],
    current: Mapping[str, npt.NDArray[Any]],
    deviations: Collection[str] = (),
) -> DatasetVerdict:
    """Evidently's default verdicts on every reference column and on the dataset."""
    columns = {
        name: column_verdict(name, reference[name], current[name], deviations) for name in reference
    }
    share = sum(v.drifted for v in columns.values()) / len(columns) if columns else 0.0
    return DatasetVerdict(
        columns=columns, share=share, drifted=bool(columns) and share >= DRIFT_SHARE
    )
