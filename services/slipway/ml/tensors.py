"""Tensor element types and the raw BYTES encoding, shared by every service that moves tensors
(serving's protocol edge, its prediction logs, training's signatures, monitoring).

Names follow the Open Inference Protocol (`FP32`, `BYTES`, ...); ``DATA_TYPES`` maps them to
``slipway.common.v1.DataType``. A raw BYTES tensor is each element as a 4-byte little-endian
length followed by that many bytes, as in the protocol.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from typing import Any

import numpy as np

from slipway.common.v1 import tensor_pb2

DATA_TYPES: dict[str, tensor_pb2.DataType.ValueType] = {
    "BOOL": tensor_pb2.DATA_TYPE_BOOL,
    "INT32": tensor_pb2.DATA_TYPE_INT32,
    "INT64": tensor_pb2.DATA_TYPE_INT64,
    "FP32": tensor_pb2.DATA_TYPE_FP32,
    "FP64": tensor_pb2.DATA_TYPE_FP64,
    "BYTES": tensor_pb2.DATA_TYPE_BYTES,
}
DATA_TYPE_NAMES: dict[int, str] = {value: name for name, value in DATA_TYPES.items()}

NUMPY_TYPES: dict[str, np.dtype[Any]] = {
    "BOOL": np.dtype("?"),
    "UINT8": np.dtype("u1"),
    "INT8": np.dtype("i1"),
    "INT16": np.dtype("<i2"),
    "INT32": np.dtype("<i4"),
    "INT64": np.dtype("<i8"),
    "UINT16": np.dtype("<u2"),
    "UINT32": np.dtype("<u4"),
    "UINT64": np.dtype("<u8"),
    "FP16": np.dtype("<f2"),
    "FP32": np.dtype("<f4"),
    "FP64": np.dtype("<f8"),
}
"""The little-endian numpy type of each fixed-size protocol datatype."""

_LENGTH = struct.Struct("<I")


def pack_bytes(items: Iterable[bytes]) -> bytes:
    """Elements in the raw BYTES encoding."""
    return b"".join(_LENGTH.pack(len(item)) + item for item in items)


def unpack_bytes(buffer: bytes, count: int) -> list[bytes]:
    """``count`` elements of a raw BYTES buffer; ValueError when it does not hold exactly them."""
    items: list[bytes] = []
    offset = 0
    for _ in range(count):
        if offset + 4 > len(buffer):
            raise ValueError("raw BYTES content is shorter than its shape")
        (length,) = _LENGTH.unpack_from(buffer, offset)
        offset += 4
        if offset + length > len(buffer):
            raise ValueError("raw BYTES element overruns the content")
        items.append(buffer[offset : offset + length])
        offset += length
    if offset != len(buffer):
        raise ValueError("raw BYTES content is longer than its shape")
    return items
