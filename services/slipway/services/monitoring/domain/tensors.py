"""Logged tensors decoded into numpy arrays."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from slipway.ml.tensors import NUMPY_TYPES, unpack_bytes
from slipway.services.monitoring.domain.entities import Tensor

Array = npt.NDArray[Any]


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


__all__ = ["decode_tensor"]
