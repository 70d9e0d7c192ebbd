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

Reference files (``write_reference``, ``read_reference``) are Parquet files (``pyarrow``), the
format training registers since the reference stopped being a 1000-row sample:

* columns ``c{i}``, ``__target__`` and ``__holdout__`` (bool): a uniform sample of the training
  rows (``__holdout__`` false) followed by a uniform sample of the holdout rows (true), each
  bounded by the training setting ``reference_sample_rows``. Numbers are ``int64``/``float64``
  (NaN for a missing float), booleans ``bool``, text ``string`` with nulls where missing.
* schema metadata ``slipway.reference``, JSON: the column names, the real row counts of the
  training and holdout splits the samples were drawn from, and per feature a ``sketch`` of the
  whole column (both splits; files written before the holdout joined monitoring's data
  reference sketched the training split alone) (``feature_sketch``: present and missing counts
  and the number of distinct values; for numbers 101 quantiles, a 100-bin histogram, mean and
  standard deviation, and the exact count of every value when there are at most
  ``MAX_SKETCH_VALUES`` of them; for text the exact count of every category, up to
  ``MAX_SKETCH_CATEGORIES``). ``ColumnSketch`` reads one back, checked; sketches written before
  the mean, the standard deviation, the distinct count and the value counts were kept lack them
  (None).

``read_reference`` reads either format (by the file's first bytes): a ``.npz`` sample of a version
registered before the Parquet files has no holdout rows, no sketches and row count 0 (unknown).
"""

from __future__ import annotations

import itertools
import json
import math
import zipfile
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from slipway.ml.table_limits import LimitExceededError, TableLimits, check_parquet, read_bounded

__all__ = [
    "HISTOGRAM_BINS",
    "KINDS",
    "MAX_CATEGORIES",
    "QUANTILES",
    "ColumnSketch",
    "FeatureStats",
    "Histogram",
    "Kind",
    "ReferenceData",
    "feature_sketch",
    "feature_stats",
    "read_reference",
    "read_sample",
    "stats_from_sketch",
    "write_reference",
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
_HOLDOUT_KEY = "__holdout__"
_METADATA_KEY = b"slipway.reference"
_PARQUET_MAGIC = b"PAR1"
SKETCH_QUANTILES = 101  # 0 %, 1 %, ..., 100 %
SKETCH_BINS = 100
MAX_SKETCH_CATEGORIES = 10_000
# Distinct numbers whose exact counts a sketch keeps: enough for flags, counts and class-like
# codes (tested as categories), few enough that a column of measurements keeps none.
MAX_SKETCH_VALUES = 1_000


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


def sorted_histogram(
    ordered: npt.NDArray[np.float64], bins: int, low: float, high: float
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    """``np.histogram(values, bins, range=(low, high))`` of values already sorted, all within
    the range: the same edges, and the same counts (a value belongs to the bin whose left edge
    it is at or above and whose right edge it is below, the last bin's right edge included, as
    numpy settles a value its arithmetic puts on the wrong side of an edge), from one binary
    search per edge instead of a pass over every value."""
    edges = np.histogram_bin_edges(ordered[:0], bins, range=(low, high))
    below = np.searchsorted(ordered, edges[1:-1], side="left")
    counts = np.diff(np.concatenate(([0], below, [len(ordered)]))).astype(np.int64)
    return counts, edges


def sorted_quantiles(
    ordered: npt.NDArray[np.float64], quantiles: tuple[float, ...]
) -> npt.NDArray[np.float64]:
    """``np.quantile(ordered, quantiles)`` (its default, linear method) of values already
    sorted, with numpy's arithmetic step by step (so the same figures), without the partition
    numpy makes of every value even when they are in order."""
    count = len(ordered)
    q = np.asarray(quantiles, dtype=np.float64)
    virtual = (count - 1) * q
    previous = np.floor(virtual)
    following = previous + 1
    above = virtual >= count - 1
    previous[above] = -1
    following[above] = -1
    below = virtual < 0
    previous[below] = 0
    following[below] = 0
    gamma = np.asarray(virtual - previous, dtype=np.float64)
    a = ordered[previous.astype(np.intp)]
    b = ordered[following.astype(np.intp)]
    diff = np.subtract(b, a)
    result = np.asarray(np.add(a, diff * gamma))
    np.subtract(b, diff * (1 - gamma), out=result, where=gamma >= 0.5, casting="unsafe")
    return result


def feature_stats(
    name: str,
    values: npt.NDArray[Any],
    kind: str | None = None,
    *,
    ordered: npt.NDArray[np.float64] | None = None,
) -> FeatureStats:
    """Statistics of one column of values (1-D: numbers, text, or an object array of either).

    ``kind`` None infers it (see the module docstring); a given kind (``numeric``,
    ``categorical`` or ``binary``; ``ValueError`` otherwise) is kept as is. ``ordered``: the
    finite values sorted, when the caller has them already (used for an array of numbers, not
    for an object array, whose numbers are read here).
    """
    given = None if kind is None else _kind(kind)
    values = np.asarray(values).ravel()
    numbers = _as_numbers(values)
    if ordered is not None and values.dtype.kind not in "biuf":
        ordered = None
    if numbers is not None:
        missing = ~np.isfinite(numbers)
        present_numbers = numbers[~missing]
        present: npt.NDArray[Any] = present_numbers
        # One sort gives the distinct count and cheap quantiles (the same order statistics as
        # on the unsorted values, so the same figures): a report computes these for every
        # feature of the reference and the window.
        if ordered is None or len(ordered) != len(present_numbers):
            ordered = np.sort(present_numbers)
        distinct = int(np.count_nonzero(ordered[1:] != ordered[:-1])) + 1 if len(ordered) else 0
    else:
        missing = _text_missing(values)
        present = values[~missing]
        distinct = len({_category_label(v) for v in present.tolist()})
    if given is None:
        given = "binary" if distinct == 2 else ("numeric" if numbers is not None else "categorical")
    stats: dict[str, Any] = {}
    if ordered is not None and len(ordered) > 0 and given != "categorical":
        low, high = float(ordered[0]), float(ordered[-1])
        counts, edges = sorted_histogram(ordered, HISTOGRAM_BINS, low, high)
        stats = {
            "mean": float(present_numbers.mean()),
            "std": float(present_numbers.std(ddof=1)) if len(present_numbers) > 1 else 0.0,
            "min": low,
            "max": high,
            "quantiles": tuple(
                (p, float(q))
                for p, q in zip(QUANTILES, sorted_quantiles(ordered, QUANTILES), strict=True)
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


def _check_npz(path: Path, limits: TableLimits) -> None:
    """Refuse a ``.npz`` archive whose members unpack to more than ``limits`` allow; numpy
    reads no member past the size its entry declares."""
    size = path.stat().st_size
    if size > limits.max_decoded_bytes:
        raise LimitExceededError("bytes", size, limits.max_decoded_bytes, "max_decoded_bytes")
    with zipfile.ZipFile(path) as archive:
        members = archive.infolist()
    # A column (the target one too) is a member, beside its missing-value mask if any; one
    # more member holds the names.
    masks = sum(member.filename.endswith(_MISSING_SUFFIX + ".npy") for member in members)
    columns = len(members) - masks - 1
    if columns > limits.max_columns:
        raise LimitExceededError("columns", columns, limits.max_columns, "max_columns")
    unpacked = sum(member.file_size for member in members)
    if unpacked > limits.max_decoded_bytes:
        raise LimitExceededError(
            "bytes once decoded", unpacked, limits.max_decoded_bytes, "max_decoded_bytes"
        )


def _read_npz(path: Path) -> tuple[dict[str, npt.NDArray[Any]], npt.NDArray[Any]]:
    with np.load(path, allow_pickle=False) as archive:
        data = {key: archive[key] for key in archive.files}
    names = [str(name) for name in data[_COLUMNS_KEY].tolist()]
    columns = {name: _decode(f"c{i}", data) for i, name in enumerate(names)}
    return columns, _decode(_TARGET_KEY, data)


def read_sample(path: Path) -> tuple[dict[str, npt.NDArray[Any]], npt.NDArray[Any]]:
    """The columns (by name, in file order) and the target of a sample or reference file (its
    training rows)."""
    data = read_reference(path)
    return data.columns, data.target


# --- reference files (Parquet) -----------------------------------------------------------------


@dataclass(frozen=True)
class ReferenceData:
    """What a reference or sample file holds (see the module docstring)."""

    columns: dict[str, npt.NDArray[Any]]  # the training sample, by name, as ``read_sample``
    target: npt.NDArray[Any]
    row_count: int = 0  # training rows the sample was drawn from; 0 when unknown (npz)
    holdout_columns: dict[str, npt.NDArray[Any]] = field(default_factory=dict)
    holdout_target: npt.NDArray[Any] | None = None
    holdout_row_count: int = 0  # holdout rows the holdout sample was drawn from
    sketches: dict[str, dict[str, Any]] = field(default_factory=dict)  # by feature name

    @property
    def sample_rows(self) -> int:
        return len(self.target)

    @property
    def holdout_sample_rows(self) -> int:
        return 0 if self.holdout_target is None else len(self.holdout_target)


def feature_sketch(values: npt.NDArray[Any]) -> dict[str, Any]:
    """A compact, JSON-ready summary of a whole column: present and missing counts and the
    number of distinct present values; for numbers, quantiles at 0 %, 1 %, ..., 100 %, a
    ``SKETCH_BINS``-bin histogram, the mean and the sample standard deviation (``ddof=1``), and
    the exact count of each value when there are at most ``MAX_SKETCH_VALUES``; for text, the
    exact count of every category, most frequent first, ties in text order (``truncated`` when
    there were more than ``MAX_SKETCH_CATEGORIES``)."""
    values = np.asarray(values).ravel()
    numbers = _as_numbers(values)
    if numbers is not None:
        present = numbers[np.isfinite(numbers)]
        sketch: dict[str, Any] = {
            "count": len(present),
            "missing_count": len(numbers) - len(present),
            "distinct_count": 0,
        }
        if len(present):
            ordered = np.sort(present)
            counts, edges = np.histogram(ordered, bins=SKETCH_BINS)
            sketch["quantiles"] = np.quantile(
                ordered, np.linspace(0.0, 1.0, SKETCH_QUANTILES)
            ).tolist()
            sketch["histogram"] = {"bin_edges": edges.tolist(), "counts": counts.tolist()}
            sketch["mean"] = float(ordered.mean())
            sketch["std"] = float(ordered.std(ddof=1)) if len(ordered) > 1 else 0.0
            distinct, value_counts = np.unique(ordered, return_counts=True)
            sketch["distinct_count"] = len(distinct)
            if len(distinct) <= MAX_SKETCH_VALUES:
                sketch["values"] = [
                    [float(v), int(c)] for v, c in zip(distinct, value_counts, strict=True)
                ]
        return sketch
    missing = _text_missing(values)
    labels = [_category_label(v) for v in values[~missing].tolist()]
    unique, counts = np.unique(np.array(labels, dtype=str), return_counts=True)
    order = np.argsort(-counts, kind="stable")
    kept = order[:MAX_SKETCH_CATEGORIES]
    return {
        "count": len(labels),
        "missing_count": int(missing.sum()),
        "distinct_count": len(unique),
        "categories": [[str(unique[i]), int(counts[i])] for i in kept],
        "truncated": len(order) > len(kept),
    }


@dataclass(frozen=True)
class ColumnSketch:
    """A ``feature_sketch`` read back (``from_dict``), its figures typed and checked.

    ``numeric`` sketches have ``quantiles`` (at 0 %, 1 %, ..., 100 %), ``histogram`` and, when
    written with them, ``mean``, ``std`` and ``values`` (the exact count of each present number,
    None when there were too many or the sketch predates them); text sketches have
    ``categories``. ``distinct_count`` is None when the sketch predates it.
    """

    count: int  # present values
    missing_count: int
    numeric: bool
    distinct_count: int | None = None
    mean: float | None = None
    std: float | None = None
    quantiles: tuple[float, ...] = ()
    histogram: Histogram | None = None
    values: tuple[tuple[float, int], ...] | None = None  # numbers, ascending
    categories: tuple[tuple[str, int], ...] = ()  # text, most frequent first
    truncated: bool = False

    @property
    def exact_counts(self) -> bool:
        """Whether the count of every present value is known (``values`` or ``categories``)."""
        return self.values is not None if self.numeric else not self.truncated

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ColumnSketch:
        """``ValueError`` for anything but a sketch ``feature_sketch`` could have written."""
        try:
            count, missing = _count(data["count"]), _count(data["missing_count"])
            distinct = data.get("distinct_count")
            if "categories" in data:
                categories = tuple((str(v), _count(c)) for v, c in data["categories"])
                if any(not isinstance(v, str) for v, _ in data["categories"]):
                    raise ValueError("a category is not text")
                truncated = bool(data.get("truncated", False))
                held = sum(c for _, c in categories)
                if held > count or (held < count and not truncated):
                    raise ValueError("the categories do not hold the present values")
                return cls(
                    count=count,
                    missing_count=missing,
                    numeric=False,
                    distinct_count=None if distinct is None else _count(distinct),
                    categories=categories,
                    truncated=truncated,
                )
            quantiles = tuple(_finite(q) for q in data.get("quantiles", ()))
            histogram = data.get("histogram")
            values = data.get("values")
            sketch = cls(
                count=count,
                missing_count=missing,
                numeric=True,
                distinct_count=None if distinct is None else _count(distinct),
                mean=None if data.get("mean") is None else _finite(data["mean"]),
                std=None if data.get("std") is None else _finite(data["std"]),
                quantiles=quantiles,
                histogram=None
                if histogram is None
                else Histogram(
                    tuple(_finite(e) for e in histogram["bin_edges"]),
                    tuple(_count(c) for c in histogram["counts"]),
                ),
                values=None
                if values is None
                else tuple((_finite(v), _count(c)) for v, c in values),
            )
        except (KeyError, TypeError) as error:
            raise ValueError(f"not a column sketch: {error!r}") from None
        if count and len(quantiles) != SKETCH_QUANTILES:
            raise ValueError(f"a numeric sketch has {SKETCH_QUANTILES} quantiles")
        if any(b < a for a, b in itertools.pairwise(quantiles)):
            raise ValueError("the quantiles are not ascending")
        if sketch.histogram is not None and (
            len(sketch.histogram.bin_edges) != len(sketch.histogram.counts) + 1
            or sum(sketch.histogram.counts) != count
        ):
            raise ValueError("the histogram does not hold the present values")
        if sketch.values is not None and (
            sum(c for _, c in sketch.values) != count
            or any(b[0] <= a[0] for a, b in itertools.pairwise(sketch.values))
        ):
            raise ValueError("the value counts do not hold the present values once each")
        return sketch


def _top(pairs: list[tuple[str, int]]) -> tuple[tuple[str, int], ...]:
    """The ``MAX_CATEGORIES`` most frequent, ties in text order (as ``_categories``)."""
    return tuple(sorted(pairs, key=lambda pair: (-pair[1], pair[0]))[:MAX_CATEGORIES])


def stats_from_sketch(
    sample: FeatureStats, sketch: ColumnSketch
) -> tuple[FeatureStats, tuple[str, ...]]:
    """``sample`` (statistics of a sample of a column, as ``feature_stats`` gives them) with
    every figure the whole column's ``sketch`` gives exactly in its place, and the names of
    those fields.

    Exact: the counts; min, max and the ``QUANTILES`` (among the sketch's 101, same
    interpolation); the mean and standard deviation and the distinct count when the sketch has
    them; the categories from exact counts (text not ``truncated``, numbers with ``values``).
    The histogram is the sketch's, its ``SKETCH_BINS`` bins merged ``SKETCH_BINS //
    HISTOGRAM_BINS`` at a time: the same bins from min to max, a value lying on an inner edge
    excepted (both are equal-width bins computed in floating point).
    """
    kind = sample.kind
    fields: dict[str, Any] = {"count": sketch.count, "missing_count": sketch.missing_count}
    distinct = sketch.distinct_count
    if distinct is None and not sketch.numeric and sketch.exact_counts:
        distinct = len(sketch.categories)
    if distinct is not None:
        fields["distinct_count"] = distinct
    if sketch.numeric and kind != "categorical":
        if sketch.count == 0:
            fields |= {"mean": 0.0, "std": 0.0, "min": 0.0, "max": 0.0}
            fields |= {"quantiles": (), "histogram": Histogram((), ())}
        elif len(sketch.quantiles) == SKETCH_QUANTILES:
            step = SKETCH_QUANTILES - 1  # the sketch's quantiles are at i / step
            fields["min"], fields["max"] = sketch.quantiles[0], sketch.quantiles[-1]
            fields["quantiles"] = tuple((p, sketch.quantiles[round(p * step)]) for p in QUANTILES)
            if sketch.mean is not None and sketch.std is not None:
                fields["mean"], fields["std"] = sketch.mean, sketch.std
            histogram = sketch.histogram
            group = SKETCH_BINS // HISTOGRAM_BINS
            if histogram is not None and len(histogram.counts) == group * HISTOGRAM_BINS:
                counts = np.asarray(histogram.counts, dtype=np.int64).reshape(HISTOGRAM_BINS, -1)
                fields["histogram"] = Histogram(
                    histogram.bin_edges[::group], tuple(int(c) for c in counts.sum(axis=1))
                )
    if kind != "numeric" and sketch.exact_counts:
        if sketch.numeric:
            pairs = [(_category_label(v), c) for v, c in sketch.values or ()]
        else:
            pairs = list(sketch.categories)
        fields["categories"] = _top(pairs)
    whole = tuple(name for name in FeatureStats.__dataclass_fields__ if name in fields)
    return replace(sample, **fields), whole


def _count(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{value!r} is not a count")
    return value


def _finite(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{value!r} is not a finite number")
    return float(value)


def _arrow(values: npt.NDArray[Any]) -> Any:
    import pyarrow as pa  # type: ignore[import-untyped]  # (only the files need it)

    arrays: dict[str, npt.NDArray[Any]] = {}
    _encode("v", values, arrays)
    if "v" + _MISSING_SUFFIX in arrays:
        missing = arrays["v" + _MISSING_SUFFIX]
        return pa.array(
            [None if gone else v for v, gone in zip(arrays["v"].tolist(), missing, strict=True)],
            type=pa.string(),
        )
    return pa.array(arrays["v"])


def _numpy(column: Any) -> npt.NDArray[Any]:
    import pyarrow as pa

    if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
        return np.array([np.nan if v is None else v for v in column.to_pylist()], dtype=object)
    return np.asarray(column.to_numpy(zero_copy_only=False))


def write_reference(
    path: Path,
    columns: Mapping[str, npt.NDArray[Any]],
    target: npt.NDArray[Any],
    *,
    row_count: int,
    holdout_columns: Mapping[str, npt.NDArray[Any]] | None = None,
    holdout_target: npt.NDArray[Any] | None = None,
    holdout_row_count: int = 0,
    sketches: Mapping[str, Mapping[str, Any]] | None = None,
) -> None:
    """Write a reference file (see the module docstring); the holdout columns, when given, have
    the training columns' names."""
    import pyarrow as pa
    import pyarrow.parquet as pq  # type: ignore[import-untyped]

    names = list(columns)
    holdout_columns = holdout_columns or {}
    held = 0 if holdout_target is None else len(holdout_target)
    table: dict[str, Any] = {}
    for i, name in enumerate(names):
        if len(columns[name]) != len(target):
            raise ValueError(
                f"column {name!r} has {len(columns[name])} values, the target {len(target)}"
            )
        values = np.asarray(columns[name]).ravel()
        if held:
            values = np.concatenate([values, np.asarray(holdout_columns[name]).ravel()])
        table[f"c{i}"] = _arrow(values)
    all_target = np.asarray(target).ravel()
    if held and holdout_target is not None:
        all_target = np.concatenate([all_target, np.asarray(holdout_target).ravel()])
    table[_TARGET_KEY] = _arrow(all_target)
    table[_HOLDOUT_KEY] = pa.array(np.arange(len(all_target)) >= len(target))
    metadata = {
        "columns": names,
        "row_count": int(row_count),
        "holdout_row_count": int(holdout_row_count),
        "sketches": {name: dict(sketch) for name, sketch in (sketches or {}).items()},
    }
    arrow = pa.table(table).replace_schema_metadata({_METADATA_KEY: json.dumps(metadata)})
    pq.write_table(arrow, path, compression="zstd")


def read_reference(path: Path, limits: TableLimits | None = None) -> ReferenceData:
    """The contents of a reference file, or of a ``.npz`` sample file (see the module
    docstring). With ``limits``, a file from someone else's hands: it is measured before it is
    decoded (``slipway.ml.table_limits``; a ``.npz`` archive by its members' sizes), and
    ``LimitExceededError`` raised when it is over them."""
    with path.open("rb") as file:
        parquet = file.read(4) == _PARQUET_MAGIC
    if not parquet:
        if limits is not None:
            _check_npz(path, limits)
        columns, target = _read_npz(path)
        return ReferenceData(columns=columns, target=target)
    import pyarrow as pa
    import pyarrow.parquet as pq

    if limits is None:
        table = pq.read_table(path)
    else:
        data = read_bounded(path, limits)
        check_parquet(data, limits)
        table = pq.read_table(pa.BufferReader(data))
    metadata = json.loads(table.schema.metadata[_METADATA_KEY])
    holdout = np.asarray(table.column(_HOLDOUT_KEY).to_numpy(zero_copy_only=False), dtype=bool)
    names = [str(name) for name in metadata["columns"]]
    every = {name: _numpy(table.column(f"c{i}")) for i, name in enumerate(names)}
    all_target = _numpy(table.column(_TARGET_KEY))
    return ReferenceData(
        columns={name: values[~holdout] for name, values in every.items()},
        target=all_target[~holdout],
        row_count=int(metadata["row_count"]),
        holdout_columns={name: values[holdout] for name, values in every.items()}
        if holdout.any()
        else {},
        holdout_target=all_target[holdout] if holdout.any() else None,
        holdout_row_count=int(metadata.get("holdout_row_count", 0)),
        sketches=dict(metadata.get("sketches", {})),
    )
