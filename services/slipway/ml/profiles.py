"""Feature statistics and reference samples: what training data looked like, for monitoring.

The training service profiles the rows a model was fitted on; the monitoring service profiles live
windows of requests with the same functions, so the two are comparable number for number.

Statistics (``feature_stats``) mirror ``slipway.common.v1.FeatureStatistics``:

* A value is missing when it is ``None``, NaN or infinite (an infinity is no usable number for a
  mean or a histogram, and counting it as missing makes it visible).
* ``kind`` is inferred when not given: exactly two distinct present values make a ``binary``
  feature; otherwise text is ``categorical`` and numbers are ``numeric``. A numeric feature with a
  few distinct values stays numeric, since quantiles and histograms keep the order of the values
  and a chi-square test over their categories would not.
* The numeric fields (mean, sample standard deviation with ``ddof=1``, min, max, quantiles at
  ``QUANTILES`` with linear interpolation, histogram) are filled when the values are numbers and
  the kind is numeric or binary (the mean of a 0/1 feature is a rate); a categorical feature has
  only its categories, even when they are numbers (class labels). The histogram has
  ``HISTOGRAM_BINS`` equal-width bins from min to max, the last bin closed on the right
  (``numpy.histogram``); when all values are equal, numpy's convention widens the range to
  min - 0.5 .. max + 0.5. With no present value every numeric field is 0 and quantiles and
  histogram are empty.
* ``categories`` is filled for categorical and binary features: the ``MAX_CATEGORIES`` most
  frequent values as text (a whole float is written without its ``.0``, so ``1.0`` and ``1`` are
  the same category ``"1"``), most frequent first, ties in text order.

Reference sample files (``write_sample``, ``read_sample``) are ``.npz`` archives that
``numpy.load(..., allow_pickle=False)`` reads, since an object array would need pickle:

* ``__columns__``: the column names, in order, as a unicode array.
* ``c{i}`` for the i-th column and ``__target__`` for the target, encoded the same way: booleans as
  ``bool``, integers as ``int64``, floats as ``float64`` with NaN for missing. Text (a unicode,
  bytes or object array holding anything but numbers) becomes a fixed-width unicode array with
  ``""`` where a value is missing, and a companion ``bool`` array ``c{i}_missing`` (or
  ``__target___missing``) that is true there. An object array holding only numbers (and missing
  values) is stored as ``float64``.
* Keys are positions, not names, so that any column name is safe; ``read_sample`` maps them back.
  It returns text columns as object arrays of ``str`` with ``numpy.nan`` for missing values, the
  form the training engine feeds its models.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

__all__ = [
    "HISTOGRAM_BINS",
    "KINDS",
    "MAX_CATEGORIES",
    "QUANTILES",
    "FeatureStats",
    "Histogram",
    "Kind",
    "feature_stats",
    "read_sample",
    "write_sample",
]

Kind = Literal["numeric", "categorical", "binary"]
KINDS: tuple[Kind, ...] = ("numeric", "categorical", "binary")
QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
HISTOGRAM_BINS = 10
MAX_CATEGORIES = 100

_COLUMNS_KEY = "__columns__"
_TARGET_KEY = "__target__"
_MISSING_SUFFIX = "_missing"


@dataclass(frozen=True)
class Histogram:
    bin_edges: tuple[float, ...]  # ascending, one more than counts
    counts: tuple[int, ...]


@dataclass(frozen=True)
class FeatureStats:
    """Statistics of one feature (or output, or target) over a set of rows."""

    name: str
    kind: Kind
    count: int  # present values
    missing_count: int
    distinct_count: int  # distinct present values
    mean: float = 0.0
    std: float = 0.0  # sample standard deviation (ddof=1); 0 with fewer than two values
    min: float = 0.0
    max: float = 0.0
    quantiles: tuple[tuple[float, float], ...] = ()  # (probability, value)
    histogram: Histogram = Histogram((), ())
    categories: tuple[tuple[str, int], ...] = ()  # (value, count), most frequent first

    def to_dict(self) -> dict[str, Any]:
        """JSON types only (tuples become lists when serialised)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FeatureStats:
        histogram = data.get("histogram") or {}
        return cls(
            name=str(data["name"]),
            kind=_kind(data["kind"]),
            count=int(data["count"]),
            missing_count=int(data["missing_count"]),
            distinct_count=int(data["distinct_count"]),
            mean=float(data.get("mean", 0.0)),
            std=float(data.get("std", 0.0)),
            min=float(data.get("min", 0.0)),
            max=float(data.get("max", 0.0)),
            quantiles=tuple((float(p), float(v)) for p, v in data.get("quantiles", ())),
            histogram=Histogram(
                tuple(float(e) for e in histogram.get("bin_edges", ())),
                tuple(int(c) for c in histogram.get("counts", ())),
            ),
            categories=tuple((str(v), int(c)) for v, c in data.get("categories", ())),
        )


def _kind(value: object) -> Kind:
    for kind in KINDS:
        if value == kind:
            return kind
    raise ValueError(f"unknown feature kind {value!r}; expected one of {', '.join(KINDS)}")


# --- statistics --------------------------------------------------------------------------------


def _as_numbers(values: npt.NDArray[Any]) -> npt.NDArray[np.float64] | None:
    """The values as floats (NaN for missing), or None when they are not all numbers."""
    if values.dtype.kind in "biuf":
        return values.astype(np.float64)
    if values.dtype.kind != "O":
        return None
    numbers = np.fromiter(
        (
            (isinstance(v, int | float | np.number) and not isinstance(v, bool | np.bool_))
            or v is None
            for v in values
        ),
        dtype=bool,
        count=len(values),
    )
    if not numbers.all():
        return None
    return np.array([np.nan if v is None else v for v in values], dtype=np.float64)


def _category_label(value: Any) -> str:
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return str(value)


def _text_missing(values: npt.NDArray[Any]) -> npt.NDArray[np.bool_]:
    if values.dtype.kind != "O":
        return np.zeros(len(values), dtype=bool)
    return np.fromiter(
        (v is None or (isinstance(v, float | np.floating) and math.isnan(v)) for v in values),
        dtype=bool,
        count=len(values),
    )


def _categories(present: npt.NDArray[Any]) -> tuple[tuple[str, int], ...]:
    if len(present) == 0:
        return ()
    labels = np.array([_category_label(v) for v in present.tolist()], dtype=str)
    unique, counts = np.unique(labels, return_counts=True)  # unique is sorted: ties in text order
    order = np.argsort(-counts, kind="stable")[:MAX_CATEGORIES]
    return tuple((str(unique[i]), int(counts[i])) for i in order)


def feature_stats(name: str, values: npt.NDArray[Any], kind: str | None = None) -> FeatureStats:
    """Statistics of one column of values (1-D: numbers, text, or an object array of either).

    ``kind`` None infers it (see the module docstring); a given kind (``numeric``,
    ``categorical`` or ``binary``; ``ValueError`` otherwise) is kept as is.
    """
    given = None if kind is None else _kind(kind)
    values = np.asarray(values).ravel()
    numbers = _as_numbers(values)
    if numbers is not None:
        missing = ~np.isfinite(numbers)
        present_numbers = numbers[~missing]
        present: npt.NDArray[Any] = present_numbers
        distinct = len(np.unique(present_numbers))
    else:
        missing = _text_missing(values)
        present = values[~missing]
        distinct = len({_category_label(v) for v in present.tolist()})
    if given is None:
        given = "binary" if distinct == 2 else ("numeric" if numbers is not None else "categorical")
    stats: dict[str, Any] = {}
    if numbers is not None and len(present_numbers) > 0 and given != "categorical":
        low, high = float(present_numbers.min()), float(present_numbers.max())
        counts, edges = np.histogram(present_numbers, bins=HISTOGRAM_BINS, range=(low, high))
        stats = {
            "mean": float(present_numbers.mean()),
            "std": float(present_numbers.std(ddof=1)) if len(present_numbers) > 1 else 0.0,
            "min": low,
            "max": high,
            "quantiles": tuple(
                (p, float(q))
                for p, q in zip(QUANTILES, np.quantile(present_numbers, QUANTILES), strict=True)
            ),
            "histogram": Histogram(tuple(float(e) for e in edges), tuple(int(c) for c in counts)),
        }
    if given != "numeric":
        stats["categories"] = _categories(present)
    return FeatureStats(
        name=name,
        kind=given,
        count=len(present),
        missing_count=int(missing.sum()),
        distinct_count=distinct,
        **stats,
    )


# --- reference sample files --------------------------------------------------------------------


def _encode(key: str, values: npt.NDArray[Any], arrays: dict[str, npt.NDArray[Any]]) -> None:
    values = np.asarray(values).ravel()
    kind = values.dtype.kind
    if kind == "b":
        arrays[key] = values.astype(bool)
    elif kind in "iu":
        arrays[key] = values.astype(np.int64)
    elif kind == "f":
        arrays[key] = values.astype(np.float64)
    elif kind == "O" and (numbers := _as_numbers(values)) is not None:
        arrays[key] = numbers
    elif kind in "OUS":
        missing = _text_missing(values)
        text = ["" if gone else _text(v) for v, gone in zip(values.tolist(), missing, strict=True)]
        arrays[key] = np.array(text, dtype=str) if text else np.array([], dtype="<U1")
        arrays[key + _MISSING_SUFFIX] = missing
    else:
        raise ValueError(f"cannot store a {values.dtype} column in a sample file")


def _text(value: Any) -> str:
    return value.decode("utf-8", errors="replace") if isinstance(value, bytes) else str(value)


def _decode(key: str, archive: Mapping[str, npt.NDArray[Any]]) -> npt.NDArray[Any]:
    values = archive[key]
    if values.dtype.kind != "U":
        return values
    missing = archive[key + _MISSING_SUFFIX].astype(bool)
    result = values.astype(object)
    result[missing] = np.nan
    return result


def write_sample(
    path: Path, columns: Mapping[str, npt.NDArray[Any]], target: npt.NDArray[Any]
) -> None:
    """Write the columns (all the same length as ``target``) and the target as a sample file."""
    names = list(columns)
    arrays: dict[str, npt.NDArray[Any]] = {
        _COLUMNS_KEY: np.array(names, dtype=str) if names else np.array([], dtype="<U1")
    }
    for i, name in enumerate(names):
        if len(columns[name]) != len(target):
            raise ValueError(
                f"column {name!r} has {len(columns[name])} values, the target {len(target)}"
            )
        _encode(f"c{i}", columns[name], arrays)
    _encode(_TARGET_KEY, target, arrays)
    with path.open("wb") as file:
        np.savez_compressed(file, **arrays)  # type: ignore[arg-type]


def read_sample(path: Path) -> tuple[dict[str, npt.NDArray[Any]], npt.NDArray[Any]]:
    """The columns (by name, in file order) and the target of a sample file."""
    with np.load(path, allow_pickle=False) as archive:
        data = {key: archive[key] for key in archive.files}
    names = [str(name) for name in data[_COLUMNS_KEY].tolist()]
    columns = {name: _decode(f"c{i}", data) for i, name in enumerate(names)}
    return columns, _decode(_TARGET_KEY, data)
