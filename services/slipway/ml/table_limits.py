"""Limits on a table file read from someone else's hands: a training dataset, a version's
reference file. Checked before the values are decoded, so a hostile file is refused at the cost
of its metadata, not of what it promises.

A file is first measured by its size on disk (``read_bounded``: a file over the limit is refused
from ``stat`` without reading a byte, and no more than the limit is ever read). A Parquet file is
then measured from its metadata (``check_parquet``): its rows, its columns and its decoded size
can promise far more memory than the file weighs (a 1 MB file of identical long strings once took
training to 3.9 GB while only being validated). A CSV decodes to about its own size, so its size
on disk is its check; its rows and columns are counted once parsed (``check_shape``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "DEFAULT_TABLE_LIMITS",
    "LimitExceededError",
    "TableLimits",
    "check_parquet",
    "check_shape",
    "read_bounded",
]


@dataclass(frozen=True)
class TableLimits:
    """What one table file may hold."""

    max_rows: int = 10_000_000
    max_columns: int = 2_000
    max_decoded_bytes: int = 1024**3
    """The file's bytes on disk, and its columns' values once decoded (a string column as all
    its strings), as arrow holds them; the arrays built from them take a few times more."""


DEFAULT_TABLE_LIMITS = TableLimits()


class LimitExceededError(ValueError):
    """A file over one of its ``TableLimits``; ``limit_field`` names the field exceeded, so the
    caller can name the setting behind it."""

    def __init__(self, what: str, value: int, limit: int, limit_field: str) -> None:
        super().__init__(f"{value} {what}, more than the {limit} allowed")
        self.what = what
        self.value = value
        self.limit = limit
        self.limit_field = limit_field


def read_bounded(path: Path, limits: TableLimits) -> bytes:
    """The bytes of ``path``, refused (``LimitExceededError``) from its size on disk when over
    ``max_decoded_bytes`` before any is read; a file that grows while read is cut at the limit
    and refused too. ``OSError`` when it cannot be read."""
    with path.open("rb") as file:
        size = os.fstat(file.fileno()).st_size
        if size > limits.max_decoded_bytes:
            raise LimitExceededError("bytes", size, limits.max_decoded_bytes, "max_decoded_bytes")
        data = file.read(limits.max_decoded_bytes + 1)
    if len(data) > limits.max_decoded_bytes:
        raise LimitExceededError("bytes", len(data), limits.max_decoded_bytes, "max_decoded_bytes")
    return data


def check_shape(rows: int, columns: int, limits: TableLimits) -> None:
    """Refuse a table of more rows or columns than ``limits``."""
    if rows > limits.max_rows:
        raise LimitExceededError("rows", rows, limits.max_rows, "max_rows")
    if columns > limits.max_columns:
        raise LimitExceededError("columns", columns, limits.max_columns, "max_columns")


# Bytes per value of Parquet's physical types, as decoded (a string's offset for BYTE_ARRAY).
_WIDTHS = {
    "BOOLEAN": 1,
    "INT32": 4,
    "INT64": 8,
    "INT96": 12,
    "FLOAT": 4,
    "DOUBLE": 8,
    "BYTE_ARRAY": 4,
}


def check_parquet(data: Any, limits: TableLimits) -> None:
    """Refuse a Parquet file (its bytes, or anything ``pyarrow.parquet.ParquetFile`` opens) over
    ``limits`` from its metadata, before decoding any value. ``pyarrow.ArrowException`` when it
    is no Parquet file.

    The decoded size counts each column chunk as its uncompressed size or its values times
    their width, whichever is larger. Strings stored in a dictionary decode to their value
    repeated per row, which no metadata field gives: those columns are read still encoded, one
    column of one row group at a time (its indices and dictionary, bounded by the rows and the
    uncompressed sizes just checked), and their decoded length summed from them.
    """
    import pyarrow as pa  # type: ignore[import-untyped]  # (only the files need it)
    import pyarrow.parquet as pq  # type: ignore[import-untyped]

    source = pa.BufferReader(data) if isinstance(data, bytes | bytearray | memoryview) else data
    parquet = pq.ParquetFile(source)
    meta = parquet.metadata
    check_shape(meta.num_rows, meta.num_columns, limits)
    decoded = 0
    strings: set[str] = set()
    for group in range(meta.num_row_groups):
        row_group = meta.row_group(group)
        for index in range(row_group.num_columns):
            chunk = row_group.column(index)
            width = _WIDTHS.get(chunk.physical_type, 0)
            decoded += max(int(chunk.total_uncompressed_size), chunk.num_values * width)
            if chunk.physical_type == "BYTE_ARRAY" and chunk.has_dictionary_page:
                strings.add(chunk.path_in_schema)
    names = [name for name in parquet.schema_arrow.names if name in strings]
    if decoded <= limits.max_decoded_bytes and names:
        again = pa.BufferReader(data) if isinstance(source, pa.BufferReader) else data
        decoded += _dictionary_strings(
            pq.ParquetFile(again, read_dictionary=names), names, limits.max_decoded_bytes - decoded
        )
    if decoded > limits.max_decoded_bytes:
        raise LimitExceededError(
            "bytes once decoded", decoded, limits.max_decoded_bytes, "max_decoded_bytes"
        )


def _dictionary_strings(encoded: Any, names: list[str], budget: int) -> int:
    """The decoded length of the dictionary-encoded string columns ``names``, summed one column
    of one row group at a time; stops once over ``budget``."""
    import pyarrow as pa
    import pyarrow.compute as pc  # type: ignore[import-untyped]

    total = 0
    for group in range(encoded.metadata.num_row_groups):
        for name in names:
            column = encoded.read_row_group(group, columns=[name]).column(0)
            for piece in column.chunks:
                if pa.types.is_dictionary(piece.type):
                    lengths = pc.binary_length(piece.dictionary).take(piece.indices)
                    total += int(pc.sum(lengths).as_py() or 0)
            if total > budget:
                return total
    return total
