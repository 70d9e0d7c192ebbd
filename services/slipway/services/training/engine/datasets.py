"""Training data: a CSV or Parquet file under the data root, or a dataset bundled with scikit-learn,
read into the plain arrays a model is fitted on.

Files are read with pyarrow, whole, once: the bytes that are hashed for the dataset reference are
the bytes that are parsed. A file is first measured against ``DatasetLimits``
(``slipway.ml.table_limits``): its size on disk from ``stat`` before a byte is read, then a
Parquet file's rows, columns and decoded size from its metadata, so neither a huge file nor a
small one that decodes to gigabytes is decoded.

A column's arrow type decides what it is. Integer, floating, decimal and boolean columns are
numeric; string columns are categorical. When the spec lists
``categorical_columns``, exactly those are categorical (their values become text) and every other
feature must be numeric or text that parses as numbers. Columns of other types (dates, for
instance) must be listed as categorical or left out.

The feature matrix ``X`` is ``float64`` when every feature is numeric (missing values NaN), else an
object array with Python floats in the numeric columns and ``str`` in the categorical ones
(missing categories ``numpy.nan``, which scikit-learn's encoders and imputers recognise). Serving
builds the same array from a request.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.compute as pc  # type: ignore[import-untyped]
import pyarrow.csv as pacsv  # type: ignore[import-untyped]
import pyarrow.parquet as pq  # type: ignore[import-untyped]
from sklearn import datasets as sk_datasets  # type: ignore[import-untyped]

from slipway.ml.table_limits import (
    LimitExceededError,
    TableLimits,
    check_parquet,
    check_shape,
    read_bounded,
)
from slipway.services.training.engine.outcome import DatasetReference, TrainingFailed
from slipway.services.training.engine.spec import BUNDLED_DATASETS, DatasetSpec

__all__ = [
    "BUNDLED_TASKS",
    "DEFAULT_LIMITS",
    "ColumnInfo",
    "DatasetFormatError",
    "DatasetInfo",
    "DatasetLimits",
    "DatasetPathError",
    "TrainingData",
    "describe",
    "feature_columns",
    "file_format",
    "is_categorical",
    "load",
    "resolve_path",
    "target_column",
]

Format = Literal["csv", "parquet"]
ColumnKind = Literal["numeric", "text", "other"]

BUNDLED_TARGET = "target"
BUNDLED_TASKS = {
    "iris": "classification",
    "wine": "classification",
    "breast_cancer": "classification",
    "diabetes": "regression",
    "digits": "classification",
}
_BUNDLED_LOADERS: dict[str, Callable[[], Any]] = {
    "iris": sk_datasets.load_iris,
    "wine": sk_datasets.load_wine,
    "breast_cancer": sk_datasets.load_breast_cancer,
    "diabetes": sk_datasets.load_diabetes,
    "digits": sk_datasets.load_digits,
}
_EXTENSIONS: dict[str, Format] = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}
_DESCRIBE_CACHE_SIZE = 8


# What a dataset file may hold (rows, columns, bytes on disk and decoded); the training
# settings ``--max-dataset-*`` set them.
DatasetLimits = TableLimits
_SETTINGS = {
    "max_rows": "max-dataset-rows",
    "max_columns": "max-dataset-columns",
    "max_decoded_bytes": "max-dataset-decoded-bytes",
}

DEFAULT_LIMITS = DatasetLimits()


class DatasetPathError(ValueError):
    """A dataset path that is absolute, leaves the data root, or names no file."""


class DatasetFormatError(ValueError):
    """A dataset file whose format is neither given nor known from its extension."""


@dataclass(frozen=True, eq=False)
class TrainingData:
    X: npt.NDArray[Any]  # (rows, features), see the module docstring
    y: npt.NDArray[Any]  # str labels (object), int64, float64 or bool
    feature_names: tuple[str, ...]
    categorical: tuple[bool, ...]  # per feature
    reference: DatasetReference
    columns: tuple[str, ...]  # every column of the source, target included


@dataclass(frozen=True)
class ColumnInfo:
    """What validation needs to know about one column; ``describe`` computes it."""

    name: str
    kind: ColumnKind
    type_name: str  # the arrow type, for messages
    missing_count: int  # null, or NaN in a floating column
    distinct_count: int  # distinct present values
    smallest_class: int  # occurrences of the rarest present value; 0 without values
    numeric_text: bool  # text whose present values all parse as numbers
    integral: bool  # numeric, every present value a whole number


@dataclass(frozen=True)
class DatasetInfo:
    uri: str
    row_count: int
    columns: tuple[ColumnInfo, ...]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns)

    def column(self, name: str) -> ColumnInfo | None:
        return next((column for column in self.columns if column.name == name), None)


# --- what the spec selects ---------------------------------------------------------------------


def target_column(spec: DatasetSpec) -> str:
    """The target's name: bundled datasets default to ``target``."""
    return spec.target_column or (BUNDLED_TARGET if spec.bundled else "")


def feature_columns(spec: DatasetSpec, columns: tuple[str, ...]) -> tuple[str, ...]:
    """The features, in order: as listed, or every column but the target."""
    if spec.feature_columns:
        return spec.feature_columns
    target = target_column(spec)
    return tuple(column for column in columns if column != target)


def is_categorical(spec: DatasetSpec, name: str, kind: ColumnKind) -> bool:
    if spec.categorical_columns:
        return name in spec.categorical_columns
    return kind == "text"


# --- locating files ----------------------------------------------------------------------------


def resolve_path(data_root: Path, relative: str) -> Path:
    """The file ``relative`` names under ``data_root``, with symbolic links resolved.

    ``DatasetPathError`` for an empty or absolute path, one with a ``..`` component, one that
    leaves the root through a symbolic link, and one that names no regular file.
    """
    if not relative:
        raise DatasetPathError("a dataset path is required")
    if "\x00" in relative:
        raise DatasetPathError("the dataset path contains a NUL character")
    path = Path(relative)
    if path.is_absolute() or path.drive or relative.startswith(("/", "\\")):
        raise DatasetPathError(f"{relative!r} is absolute; give a path relative to the data root")
    if ".." in path.parts or ".." in relative.split("\\"):
        raise DatasetPathError(f"{relative!r} contains '..'; paths stay inside the data root")
    root = data_root.resolve()
    try:
        resolved = (root / path).resolve()
        outside = not resolved.is_relative_to(root)
        is_file = not outside and resolved.is_file()
    except (OSError, RuntimeError):  # a name too long; a symbolic link loop (RuntimeError)
        outside, is_file = False, False
    if outside:
        raise DatasetPathError(f"{relative!r} leads outside the data root (a symbolic link)")
    if not is_file:
        raise DatasetPathError(f"{relative!r} is not a file under the data root")
    return resolved


def file_format(spec: DatasetSpec, path: Path) -> Format:
    if spec.format:
        return spec.format
    fmt = _EXTENSIONS.get(path.suffix.lower())
    if fmt is None:
        raise DatasetFormatError(
            f"cannot tell the format of {path.name!r} from its extension; "
            "set the format (csv or parquet)"
        )
    return fmt


def _uri(root: Path, path: Path) -> str:
    return f"file:{path.relative_to(root.resolve()).as_posix()}"


# --- reading -----------------------------------------------------------------------------------


def _bad_data(message: str) -> TrainingFailed:
    return TrainingFailed("bad_data", message)


def _over(uri: str, error: LimitExceededError) -> TrainingFailed:
    return _bad_data(f"{uri} has {error} (--{_SETTINGS[error.limit_field]})")


def _read_file(
    path: Path, fmt: Format, uri: str, limits: DatasetLimits = DEFAULT_LIMITS
) -> tuple[pa.Table, str]:
    """The table and the SHA-256 of the bytes it was parsed from."""
    try:
        # Refused from its size before a byte is read; a CSV decodes to about its own size.
        data = read_bounded(path, limits)
        if fmt == "parquet":
            check_parquet(data, limits)
            table = pq.read_table(pa.BufferReader(data))
        else:
            # Empty fields of text columns are missing values, as in numeric columns.
            table = pacsv.read_csv(
                pa.BufferReader(data),
                convert_options=pacsv.ConvertOptions(strings_can_be_null=True),
            )
            # Counted once parsed (a CSV has no metadata), still before any array is built.
            check_shape(table.num_rows, table.num_columns, limits)
    except LimitExceededError as exc:
        raise _over(uri, exc) from None
    except OSError as exc:
        if exc.strerror:
            raise _bad_data(f"cannot read {uri}: {exc.strerror}") from None
        raise _bad_data(f"cannot read {uri} as {fmt}: {_first_line(exc)}") from None
    except (pa.ArrowException, ValueError) as exc:
        raise _bad_data(f"cannot read {uri} as {fmt}: {_first_line(exc)}") from None
    return table, hashlib.sha256(data).hexdigest()


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:300] if text else type(exc).__name__


@functools.cache
def _bundled(name: str) -> tuple[pa.Table, str]:
    """A bundled dataset as a table, and the SHA-256 of a canonical encoding of it: the features
    as little-endian float64, the target, and the column names."""
    if name not in BUNDLED_DATASETS:
        raise ValueError(f"unknown bundled dataset {name!r}")
    bunch = _BUNDLED_LOADERS[name]()
    features = np.ascontiguousarray(bunch.data, dtype="<f8")
    target = np.ascontiguousarray(bunch.target)
    target = target.astype("<i8" if target.dtype.kind in "iu" else "<f8")
    names = [str(n) for n in bunch.feature_names]
    digest = hashlib.sha256()
    for part in (features.tobytes(), target.tobytes(), "\n".join([*names, BUNDLED_TARGET])):
        digest.update(part if isinstance(part, bytes) else part.encode())
    table = pa.table({**{n: features[:, j] for j, n in enumerate(names)}, BUNDLED_TARGET: target})
    return table, digest.hexdigest()


def _source(
    spec: DatasetSpec, data_root: Path, limits: DatasetLimits = DEFAULT_LIMITS
) -> tuple[pa.Table, DatasetReference]:
    if spec.bundled:
        table, sha256 = _bundled(spec.bundled)
        return table, DatasetReference(f"sklearn:{spec.bundled}", sha256, table.num_rows)
    path = resolve_path(data_root, spec.path)
    uri = _uri(data_root, path)
    table, sha256 = _read_file(path, file_format(spec, path), uri, limits)
    return table, DatasetReference(uri, sha256, table.num_rows)


# --- columns -----------------------------------------------------------------------------------


def _plain(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """Dictionary-encoded columns (Parquet categoricals) decoded to their values."""
    if pa.types.is_dictionary(column.type):
        return column.cast(column.type.value_type)
    return column


def _kind(data_type: pa.DataType) -> ColumnKind:
    if pa.types.is_dictionary(data_type):
        data_type = data_type.value_type
    if (
        pa.types.is_integer(data_type)
        or pa.types.is_floating(data_type)
        or pa.types.is_boolean(data_type)
        or pa.types.is_decimal(data_type)
        or pa.types.is_null(data_type)
    ):
        return "numeric"
    if (
        pa.types.is_string(data_type)
        or pa.types.is_large_string(data_type)
        or pa.types.is_string_view(data_type)
    ):
        return "text"
    return "other"


def _present(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """The column without nulls, and without NaN in a floating column."""
    present = pc.drop_null(column)
    if pa.types.is_floating(present.type):
        present = present.filter(pc.invert(pc.is_nan(present)))
    return present


def _parse_numbers(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """Text parsed as float64 (``pa.ArrowInvalid`` if a value is no number)."""
    return pc.cast(pc.utf8_trim_whitespace(column), pa.float64())


def _column_info(name: str, column: pa.ChunkedArray) -> ColumnInfo:
    column = _plain(column)
    kind = _kind(column.type)
    present = _present(column)
    counts = pc.value_counts(present).field("counts") if len(present) else pa.array([], pa.int64())
    numeric_text = False
    if kind == "text":
        try:
            _parse_numbers(present)
            numeric_text = True
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            numeric_text = False
    integral = kind == "numeric"
    if (
        integral
        and len(present)
        and (pa.types.is_floating(present.type) or pa.types.is_decimal(present.type))
    ):
        as_float = pc.cast(present, pa.float64())
        integral = bool(pc.all(pc.equal(pc.floor(as_float), as_float)).as_py())
    return ColumnInfo(
        name=name,
        kind=kind,
        type_name=str(column.type),
        missing_count=len(column) - len(present),
        distinct_count=len(counts),
        smallest_class=int(pc.min(counts).as_py()) if len(counts) else 0,
        numeric_text=numeric_text,
        integral=integral,
    )


def _numeric_feature(
    column: pa.ChunkedArray,
    name: str,
    kind: ColumnKind,
) -> npt.NDArray[np.float64]:
    if kind == "text":
        try:
            column = _parse_numbers(column)
        except pa.ArrowInvalid as exc:
            raise _bad_data(
                f"column {name!r} is not numeric ({_first_line(exc)}); list it in "
                "categorical_columns to treat it as categorical"
            ) from None
    elif kind == "other":
        raise _bad_data(
            f"column {name!r} has type {column.type}, neither numeric nor text; "
            "list it in categorical_columns or leave it out of the features"
        )
    values: npt.NDArray[np.float64] = column.cast(pa.float64()).fill_null(float("nan")).to_numpy()
    return values


def _text_values(column: pa.ChunkedArray) -> npt.NDArray[Any]:
    if _kind(column.type) != "text":
        column = pc.cast(column, pa.string())
    values: npt.NDArray[Any] = column.to_numpy(zero_copy_only=False).astype(object)
    values[column.is_null().to_numpy(zero_copy_only=False)] = np.nan
    return values


def _target(column: pa.ChunkedArray, name: str, categorical: bool) -> npt.NDArray[Any]:
    present = _present(column)
    if len(present) < len(column):
        raise _bad_data(
            f"the target column {name!r} has {len(column) - len(present)} missing "
            "values; drop those rows first"
        )
    kind = _kind(column.type)
    data_type = column.type
    if categorical or kind == "text":
        return _text_values(column)
    if kind == "other":
        raise _bad_data(
            f"the target column {name!r} has type {data_type}; it must be numeric or text"
        )
    if pa.types.is_boolean(data_type):
        result: npt.NDArray[Any] = column.to_numpy().astype(bool)
    elif pa.types.is_integer(data_type):
        try:
            result = column.cast(pa.int64()).to_numpy()
        except pa.ArrowInvalid as exc:
            raise _bad_data(f"the target column {name!r}: {_first_line(exc)}") from None
    else:
        result = column.cast(pa.float64()).to_numpy()
    return result


def load(
    spec: DatasetSpec, data_root: Path, limits: DatasetLimits = DEFAULT_LIMITS
) -> TrainingData:
    """The training data a spec names. ``TrainingFailed("bad_data")`` when the source cannot be
    read, is over ``limits`` or does not hold what the spec asks for; ``DatasetPathError`` and
    ``DatasetFormatError`` for a path or format that validation would have refused."""
    table, reference = _source(spec, data_root, limits)
    columns = tuple(str(name) for name in table.column_names)
    if len(set(columns)) != len(columns):
        duplicated = sorted({name for name in columns if columns.count(name) > 1})
        raise _bad_data(f"the dataset has duplicate column names: {', '.join(duplicated)}")
    target = target_column(spec)
    if target not in columns:
        raise _bad_data(f"the target column {target!r} is not in the dataset")
    features = feature_columns(spec, columns)
    missing = [name for name in features if name not in columns]
    if missing:
        raise _bad_data(f"feature columns not in the dataset: {', '.join(missing)}")
    if not features or target in features:
        raise _bad_data("the features must be at least one column other than the target")
    if table.num_rows == 0:
        raise _bad_data(f"{reference.uri} has no rows")
    categorical = tuple(is_categorical(spec, name, _kind(table[name].type)) for name in features)
    arrays = [
        _text_values(_plain(table[name]))
        if cat
        else _numeric_feature(_plain(table[name]), name, _kind(table[name].type))
        for name, cat in zip(features, categorical, strict=True)
    ]
    if any(categorical):
        matrix = np.empty((table.num_rows, len(features)), dtype=object)
        for j, values in enumerate(arrays):
            matrix[:, j] = values  # numeric columns become Python floats
    else:
        matrix = np.column_stack(arrays).astype(np.float64)
    y = _target(_plain(table[target]), target, target in spec.categorical_columns)
    return TrainingData(
        X=matrix,
        y=y,
        feature_names=features,
        categorical=categorical,
        reference=reference,
        columns=columns,
    )


# --- describing (for validation) ---------------------------------------------------------------


def _info(table: pa.Table, uri: str) -> DatasetInfo:
    return DatasetInfo(
        uri=uri,
        row_count=table.num_rows,
        columns=tuple(
            _column_info(str(name), table.column(i)) for i, name in enumerate(table.column_names)
        ),
    )


@functools.lru_cache(maxsize=_DESCRIBE_CACHE_SIZE)
def _file_info(
    path: Path, fmt: Format, uri: str, mtime_ns: int, size: int, limits: DatasetLimits
) -> DatasetInfo:
    # mtime_ns and size are part of the key only: a file that changed is read again.
    del mtime_ns, size
    table, _sha256 = _read_file(path, fmt, uri, limits)
    return _info(table, uri)


@functools.cache
def _bundled_info(name: str) -> DatasetInfo:
    return _info(_bundled(name)[0], f"sklearn:{name}")


def describe(
    spec: DatasetSpec, data_root: Path, limits: DatasetLimits = DEFAULT_LIMITS
) -> DatasetInfo:
    """Every column of the source with what validation checks. Files are read whole, and the
    result is kept for the last few files (keyed by path, modification time and size), so
    validating many jobs on one file reads it once.

    Raises like ``load``: ``DatasetPathError``, ``DatasetFormatError``, or
    ``TrainingFailed("bad_data")`` for a file that cannot be parsed or is over ``limits`` (a
    Parquet file is measured from its metadata before it is read).
    """
    if spec.bundled:
        return _bundled_info(spec.bundled)
    path = resolve_path(data_root, spec.path)
    fmt = file_format(spec, path)
    stat = path.stat()
    return _file_info(path, fmt, _uri(data_root, path), stat.st_mtime_ns, stat.st_size, limits)
