"""Logged tensors decoded into numpy arrays."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt

from slipway.ml.tensors import NUMPY_TYPES, unpack_bytes
from slipway.services.monitoring.domain.entities import PredictionRecord, Tensor

Array = npt.NDArray[Any]
ITEM_BYTES = {"BOOL": 1, "INT32": 4, "INT64": 8, "FP32": 4, "FP64": 8}
LENGTH_PREFIX = 4  # packed BYTES elements: a 4-byte length before each


def decode_tensor(tensor: Tensor) -> Array:
    """A logged tensor as numbers (float64, NaN where masked) or text (None where masked)."""
    count = int(np.prod(tensor.shape)) if tensor.shape else 0
    name = tensor.data_type
    mask = (
        np.frombuffer(tensor.missing_mask, dtype=np.uint8).astype(bool)
        if tensor.missing_mask
        else None
    )
    if name == "BYTES":
        items = unpack_bytes(tensor.raw_contents, count)
        values: Array = np.array([i.decode(errors="replace") for i in items], dtype=object)
        if mask is not None:
            values[mask] = None
    else:
        values = np.frombuffer(tensor.raw_contents, dtype=NUMPY_TYPES[name]).astype(np.float64)
        if mask is not None:
            values = values.copy()
            values[mask] = np.nan
    return values.reshape(tuple(tensor.shape))


def tensor_fits(tensor: Tensor, rows: int, max_value_bytes: int | None = None) -> bool:
    # Called for every tensor of every record: the one-column case avoids min() and prod().
    shape = tensor.shape
    if len(shape) == 1:
        if shape[0] != rows or rows < 0:
            return False
        count = rows
    elif not shape or shape[0] != rows or min(shape) < 0:
        return False
    else:
        count = math.prod(shape)
    mask = tensor.missing_mask
    if mask and len(mask) != count:
        return False
    size = ITEM_BYTES.get(tensor.data_type)
    if size is not None:
        return len(tensor.raw_contents) == count * size
    if max_value_bytes is not None and len(tensor.raw_contents) > count * (
        LENGTH_PREFIX + max_value_bytes
    ):
        return False  # the record's size stays proportional to its rows
    return tensor.data_type == "BYTES"


def tensors_problem(record: PredictionRecord, max_value_bytes: int | None = None) -> str:
    """Why a record's tensors do not fit its row count and their datatypes ("" when they do):
    checked where stored records are read (see ``LoggedRecord``)."""
    rows = record.row_count
    for tensors in (record.inputs, record.outputs):
        for tensor in tensors:
            if not tensor_fits(tensor, rows, max_value_bytes):
                return (
                    f"tensor {tensor.name!r} does not match row_count and its datatype, "
                    "or its BYTES values are too long"
                )
    return ""


__all__ = ["decode_tensor", "tensor_fits", "tensors_problem"]
