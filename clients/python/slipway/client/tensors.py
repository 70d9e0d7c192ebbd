"""numpy arrays to Open Inference Protocol tensors and back, and labels as Slipway tensors.

Requests carry their values in ``raw_input_contents`` (little-endian bytes; BYTES elements as a
4-byte little-endian length and the bytes), as tritonclient sends them; responses are read
whether the service answered raw or with typed contents.

Missing values: NaN in a floating-point array is sent as NaN; ``None`` (or NaN) in a text or
object array is sent as an empty placeholder element named in the input's ``missing_elements``
parameter (a JSON array of flat element positions), which serving reads as missing.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
import numpy.typing as npt

from slipway.client.requests import model_name, timestamp
from slipway.common.v1 import tensor_pb2
from slipway.inference.v2 import grpc_service_pb2 as pb
from slipway.monitoring.v1 import prediction_record_pb2

Array = npt.NDArray[Any]
Inputs = Array | Mapping[str, npt.ArrayLike]
"""What ``predict`` takes: an ``[N, F]`` matrix with the features in signature order, or one
``[N]`` column per feature, named as in the signature."""

MATRIX_INPUT = "input-0"
MISSING_ELEMENTS = "missing_elements"
"""The input parameter naming the positions of its missing elements."""

_NUMERIC = {
    "b": {1: "BOOL"},
    "i": {1: "INT8", 2: "INT16", 4: "INT32", 8: "INT64"},
    "u": {1: "UINT8", 2: "UINT16", 4: "UINT32", 8: "UINT64"},
    "f": {2: "FP16", 4: "FP32", 8: "FP64"},
}
_DTYPES: dict[str, np.dtype[Any]] = {
    "BOOL": np.dtype("?"),
    "INT8": np.dtype("i1"),
    "INT16": np.dtype("<i2"),
    "INT32": np.dtype("<i4"),
    "INT64": np.dtype("<i8"),
    "UINT8": np.dtype("u1"),
    "UINT16": np.dtype("<u2"),
    "UINT32": np.dtype("<u4"),
    "UINT64": np.dtype("<u8"),
    "FP16": np.dtype("<f2"),
    "FP32": np.dtype("<f4"),
    "FP64": np.dtype("<f8"),
}
_CONTENTS = {
    "BOOL": "bool_contents",
    "INT8": "int_contents",
    "INT16": "int_contents",
    "INT32": "int_contents",
    "INT64": "int64_contents",
    "UINT8": "uint_contents",
    "UINT16": "uint_contents",
    "UINT32": "uint_contents",
    "UINT64": "uint64_contents",
    "FP32": "fp32_contents",
    "FP64": "fp64_contents",
    "BYTES": "bytes_contents",
}
_SLIPWAY_TYPES = {
    "BOOL": tensor_pb2.DATA_TYPE_BOOL,
    "INT32": tensor_pb2.DATA_TYPE_INT32,
    "INT64": tensor_pb2.DATA_TYPE_INT64,
    "FP32": tensor_pb2.DATA_TYPE_FP32,
    "FP64": tensor_pb2.DATA_TYPE_FP64,
    "BYTES": tensor_pb2.DATA_TYPE_BYTES,
}
_LENGTH = struct.Struct("<I")


def datatype(array: Array) -> str:
    """The protocol datatype of an array: numbers by kind and size, text and objects BYTES."""
    kind = array.dtype.kind
    if kind in "OUS":
        return "BYTES"
    name = _NUMERIC.get(kind, {}).get(array.dtype.itemsize)
    if name is None:
        raise ValueError(f"arrays of dtype {array.dtype} cannot be sent; use numbers or text")
    return name


def _element(value: object) -> bytes:
    return value if isinstance(value, bytes) else str(value).encode()


def pack_bytes(items: Sequence[bytes]) -> bytes:
    """Elements in the raw BYTES encoding."""
    return b"".join(_LENGTH.pack(len(item)) + item for item in items)


def unpack_bytes(buffer: bytes, count: int) -> list[bytes]:
    """``count`` elements of a raw BYTES buffer; ValueError when it holds other than that."""
    items: list[bytes] = []
    offset = 0
    for _ in range(count):
        if offset + _LENGTH.size > len(buffer):
            raise ValueError("raw BYTES content is shorter than its shape")
        (length,) = _LENGTH.unpack_from(buffer, offset)
        offset += _LENGTH.size
        if offset + length > len(buffer):
            raise ValueError("raw BYTES element overruns the content")
        items.append(buffer[offset : offset + length])
        offset += length
    if offset != len(buffer):
        raise ValueError("raw BYTES content is longer than its shape")
    return items


def _is_missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and value != value)  # NaN


def missing_positions(array: Array) -> list[int]:
    """The flat positions of the missing (None or NaN) elements of a text or object array."""
    if array.dtype.kind != "O":
        return []
    return [i for i, v in enumerate(array.ravel().tolist()) if _is_missing(v)]


def raw_contents(array: Array, name: str) -> bytes:
    """An array's values as raw contents of datatype ``name``; a missing text element is empty
    (the input's ``missing_elements`` parameter names it)."""
    if name == "BYTES":
        return pack_bytes([b"" if _is_missing(v) else _element(v) for v in array.ravel().tolist()])
    return np.ascontiguousarray(array, dtype=_DTYPES[name]).tobytes()


def infer_request(
    model: str, x: Inputs, *, version: str = "", outputs: Sequence[str] | None, request_id: str = ""
) -> pb.ModelInferRequest:
    """A ModelInfer request for ``x``; ``outputs`` None asks for every output of the model."""
    request = pb.ModelInferRequest(model_name=model, model_version=version, id=request_id)
    if isinstance(x, Mapping):
        if not x:
            raise ValueError("x holds no columns")
        columns = {name: np.asarray(values) for name, values in x.items()}
    else:
        matrix = np.asarray(x)
        if matrix.ndim != 2:
            raise ValueError(
                f"x must be an [N, F] matrix (got shape {list(matrix.shape)}); "
                "pass a dict of [N] columns to send one input per feature"
            )
        columns = {MATRIX_INPUT: matrix}
    for name, values in columns.items():
        kind = datatype(values)
        tensor = request.inputs.add(name=name, datatype=kind, shape=list(values.shape))
        missing = missing_positions(values) if kind == "BYTES" else []
        if missing:
            tensor.parameters[MISSING_ELEMENTS].string_param = json.dumps(missing)
        request.raw_input_contents.append(raw_contents(values, kind))
    for output in outputs or ():
        request.outputs.add(name=output)
    return request


def _decode(tensor: pb.ModelInferResponse.InferOutputTensor, raw: bytes | None) -> Array:
    shape = tuple(tensor.shape)
    count = int(np.prod(shape, dtype=np.int64)) if shape else 1
    if tensor.datatype == "BYTES":
        items = (
            unpack_bytes(raw, count) if raw is not None else list(tensor.contents.bytes_contents)
        )
        values = np.empty(len(items), dtype=object)
        values[:] = [_text(item) for item in items]
        return values.reshape(shape)
    dtype = _DTYPES.get(tensor.datatype)
    if dtype is None:
        raise ValueError(f"output {tensor.name!r} has the unknown datatype {tensor.datatype!r}")
    if raw is not None:
        return np.frombuffer(raw, dtype=dtype).reshape(shape)
    return np.asarray(getattr(tensor.contents, _CONTENTS[tensor.datatype]), dtype=dtype).reshape(
        shape
    )


def _text(item: bytes) -> str | bytes:
    try:
        return item.decode()
    except UnicodeDecodeError:
        return item


@dataclass(frozen=True)
class Prediction:
    """What a model answered: its outputs as numpy arrays, and which version answered."""

    outputs: dict[str, Array]
    """By output name: ``predict`` ``[N]``, ``predict_proba`` ``[N, classes]``."""
    model_version: str
    """The version that answered, e.g. ``"3"``."""
    id: str
    """The request id the service logged (and monitoring joins ground truth on)."""
    class_labels: dict[str, list[Any]] = field(default_factory=dict)
    """By output name, the class of each ``predict_proba`` column."""


def prediction(reply: pb.ModelInferResponse) -> Prediction:
    """The numpy outputs of a ModelInfer response, raw or typed."""
    raw = list(reply.raw_output_contents)
    outputs: dict[str, Array] = {}
    labels: dict[str, list[Any]] = {}
    for index, tensor in enumerate(reply.outputs):
        outputs[tensor.name] = _decode(tensor, raw[index] if raw else None)
        if "class_labels" in tensor.parameters:
            labels[tensor.name] = list(json.loads(tensor.parameters["class_labels"].string_param))
    return Prediction(outputs, reply.model_version, reply.id, labels)


def slipway_tensor(name: str, values: npt.ArrayLike) -> tensor_pb2.Tensor:
    """A ``slipway.common.v1.Tensor`` (raw contents) from an array; None in text is missing."""
    array = np.asarray(values)
    if array.dtype.kind in "iu":
        array, kind = array.astype(np.int64), "INT64"
    elif array.dtype.kind == "f":
        array, kind = array.astype(np.float64), "FP64"
    else:
        kind = datatype(array)
        if kind not in _SLIPWAY_TYPES:
            raise ValueError(f"arrays of dtype {array.dtype} cannot be sent as labels")
    message = tensor_pb2.Tensor(name=name, data_type=_SLIPWAY_TYPES[kind], shape=list(array.shape))
    if kind == "BYTES":
        flat = array.ravel().tolist()
        message.raw_contents = pack_bytes([b"" if v is None else _element(v) for v in flat])
        missing = np.array([v is None for v in flat], dtype=np.uint8)
        if missing.any():
            message.missing_mask = missing.tobytes()
    else:
        message.raw_contents = raw_contents(array, kind)
    return message


def ground_truth(
    request_id: str, labels: npt.ArrayLike, *, model: str = "", time: datetime | None = None
) -> prediction_record_pb2.GroundTruth:
    """The true labels of an earlier prediction, joined on its request id (``Prediction.id``).

    ``labels`` holds one label per row of that request: numbers or text.
    """
    truth = prediction_record_pb2.GroundTruth(
        request_id=request_id,
        model=model_name(model) if model else "",
        labels=slipway_tensor("label", labels),
    )
    stamp = timestamp(time)
    if stamp is not None:
        truth.label_time.CopyFrom(stamp)
    return truth
