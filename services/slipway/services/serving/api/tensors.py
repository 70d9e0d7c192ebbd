"""Open Inference Protocol tensors to numpy rows and numpy outputs back, without per-element
Python loops for numbers: raw contents are read with ``np.frombuffer`` and written with
``tobytes``; typed contents go through one ``np.asarray``.

Two request shapes are understood: one ``[N, F]`` tensor holding every feature in signature
order (any name), or one ``[N]`` (or ``[N, 1]``) tensor per feature, named as in the signature.
A single tensor of another shape ([F], [1, N, F]) is INVALID_SHAPE saying which shape was
expected.
Every problem is INVALID_ARGUMENT with a BadRequest field violation naming the input.

Missing values. A floating-point element that is NaN is missing. Any element, of any datatype,
is missing when the input's ``missing_elements`` parameter names it: a ``string_param``
holding a JSON array of the elements' flat, row-major positions in the tensor (``"[0, 7]"``);
the value sent at such a position is a placeholder (an empty string, 0) and is never read. The
protocol has no null element (``bytes_contents`` is a list of bytes, raw contents a dense
buffer) and routes such extensions through parameters, as Triton's binary data extension does;
an empty string is a value some data have, so it is not taken to mean "missing". A missing
number becomes NaN, a missing text ``numpy.nan``: what training reads for an empty field, so
the model's imputer or encoder sees the same thing in both places. A model that cannot predict
without a value of that kind (``ServedModel.missing``) refuses it: NaN contents with
``NON_FINITE_INPUT``, named elements with ``MISSING_VALUE_REFUSED``.

Two bounds keep one request from filling the prediction log: the request ``id`` is at most
``MAX_ID_CHARS`` printable characters (monitoring stores ids of that length, and the id is the
join key of ground truth), and each BYTES element at most ``Limits.max_value_bytes`` bytes (a
categorical value is a short name; a megabyte is an abuse, stored with every logged row).
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from slipway.core.errors import FieldViolation, InvalidArgumentError
from slipway.core.reasons import Reason
from slipway.core.request_ids import MAX_REQUEST_ID_CHARS, request_id_fits
from slipway.inference.v2 import grpc_service_pb2 as pb
from slipway.ml.missing_values import MissingValueSupport
from slipway.ml.tensors import NUMPY_TYPES, pack_bytes, unpack_bytes
from slipway.services.serving.domain.inference import InputReader, Inputs
from slipway.services.serving.domain.served import InputSpec, OutputSpec, ServedModel, VersionInfo
from slipway.services.serving.domain.statistics import RequestClock

CONTENTS = {
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
NUMERIC_INPUTS = frozenset(
    {
        "FP32",
        "FP64",
        "INT32",
        "INT64",
        "BOOL",
        "INT8",
        "INT16",
        "UINT8",
        "UINT16",
        "UINT32",
        "UINT64",
        "FP16",
    }
)


MAX_ID_CHARS = MAX_REQUEST_ID_CHARS
MISSING_ELEMENTS = "missing_elements"
"""The input parameter naming the tensor's missing elements (see the module's docstring)."""


@dataclass(frozen=True)
class Limits:
    """What one request may carry (the serving settings of the same names)."""

    max_rows: int
    max_value_bytes: int
    max_stream_in_flight: int = 16  # requests of one ModelStreamInfer stream worked on at once


@dataclass(frozen=True)
class DecodedRequest:
    rows: npt.NDArray[Any]
    raw: bool  # the request used raw_input_contents: answer the same way


def _bad(field: str, description: str, reason: Reason) -> InvalidArgumentError:
    return InvalidArgumentError(
        f"{field}: {description}",
        reason=reason,
        field_violations=[FieldViolation(field, description)],
    )


def _field(index: int, tensor: pb.ModelInferRequest.InferInputTensor) -> str:
    return f"inputs[{index}] ({tensor.name})" if tensor.name else f"inputs[{index}]"


def _count(shape: Sequence[int], field: str) -> int:
    if any(d < 0 for d in shape):
        raise _bad(field, f"shape {list(shape)} has a negative dimension", Reason.INVALID_SHAPE)
    return int(np.prod(shape, dtype=np.int64)) if shape else 1


def _split_bytes(buffer: bytes, count: int, field: str) -> list[bytes]:
    try:
        return unpack_bytes(buffer, count)
    except ValueError as exc:
        raise _bad(field, str(exc), Reason.INVALID_CONTENTS) from None


def check_id(request_id: str) -> None:
    """Refuse an inference request id that is too long or not printable text (the rule every
    service applies to request ids)."""
    if request_id_fits(request_id):
        return
    if len(request_id) > MAX_ID_CHARS:
        raise _bad(
            "id",
            f"is {len(request_id)} characters; at most {MAX_ID_CHARS}",
            Reason.INVALID_REQUEST_ID,
        )
    raise _bad("id", "must be printable text", Reason.INVALID_REQUEST_ID)


def _check_lengths(values: Sequence[bytes], field: str, max_value_bytes: int) -> None:
    longest = max(map(len, values), default=0)
    if longest > max_value_bytes:
        raise _bad(
            field,
            f"holds a {longest}-byte value; BYTES values are at most {max_value_bytes} bytes",
            Reason.VALUE_TOO_LONG,
        )


Mask = npt.NDArray[np.bool_]


def _missing_mask(index: int, tensor: pb.ModelInferRequest.InferInputTensor, count: int) -> Mask:
    """Where the input's ``missing_elements`` parameter marks an element missing."""
    mask = np.zeros(count, dtype=np.bool_)
    if MISSING_ELEMENTS not in tensor.parameters:
        return mask
    field = f"{_field(index, tensor)}.parameters[{MISSING_ELEMENTS}]"
    parameter = tensor.parameters[MISSING_ELEMENTS]
    shape = 'must be a string_param holding a JSON array of element positions, e.g. "[0, 7]"'
    if parameter.WhichOneof("parameter_choice") != "string_param":
        raise _bad(field, shape, Reason.INVALID_CONTENTS)
    # Bounded before parsing: a position is at most 20 digits and a separator.
    if len(parameter.string_param) > 2 + 22 * count:
        raise _bad(
            field, f"names more positions than the {count} elements", Reason.INVALID_CONTENTS
        )
    try:
        positions = json.loads(parameter.string_param)
    except ValueError:
        raise _bad(field, shape, Reason.INVALID_CONTENTS) from None
    if not isinstance(positions, list) or not all(type(p) is int for p in positions):
        raise _bad(field, shape, Reason.INVALID_CONTENTS)
    outside = next((p for p in positions if not 0 <= p < count), None)
    if outside is not None:
        raise _bad(
            field,
            f"position {outside} is outside the tensor's {count} elements",
            Reason.INVALID_CONTENTS,
        )
    mask[np.asarray(positions, dtype=np.int64)] = True
    return mask


MISSING_HEADERS = {False: "slipway-missing-numbers", True: "slipway-missing-text"}
"""ModelMetadata's response headers (initial metadata) saying whether the model predicts with a
missing number (any non-BYTES input) or a missing text (a BYTES input): "accepted" or
"refused". The protocol's ModelMetadataResponse has no parameters to carry it."""


def missing_headers(
    inputs: Sequence[InputSpec], missing: MissingValueSupport
) -> tuple[tuple[str, str], ...]:
    """The ``MISSING_HEADERS`` for a model with ``inputs``: one per kind of input it has."""
    kinds = sorted({spec.categorical for spec in inputs})
    accepted = {False: missing.numbers, True: missing.text}
    return tuple(
        (MISSING_HEADERS[kind], "accepted" if accepted[kind] else "refused") for kind in kinds
    )


def _refuse_missing(field: str, marked: int, kind: str) -> InvalidArgumentError:
    return _bad(
        field,
        f"names {marked} missing {kind} value(s), which this model cannot predict without "
        f"(it has no imputer for them)",
        Reason.MISSING_VALUE_REFUSED,
    )


def _numbers_with_missing(
    values: npt.NDArray[Any], mask: Mask, field: str, missing: MissingValueSupport
) -> npt.NDArray[Any]:
    """Numbers with the marked elements NaN, once the model is known to take them."""
    if not mask.any():
        _check_numbers(values, field, missing.numbers)
        return values
    if not missing.numbers:
        raise _refuse_missing(field, int(mask.sum()), "number")
    numbers = values.astype(np.float64)  # a copy: raw contents are read-only
    numbers[mask] = np.nan
    _check_numbers(numbers, field, missing.numbers)
    return numbers


def _text_with_missing(
    values: npt.NDArray[Any], mask: Mask, field: str, missing: MissingValueSupport
) -> npt.NDArray[Any]:
    """Text with the marked elements ``numpy.nan``, once the model is known to take them."""
    if not mask.any():
        return values
    if not missing.text:
        raise _refuse_missing(field, int(mask.sum()), "text")
    values[mask] = np.nan
    return values


def _tensor(
    index: int,
    tensor: pb.ModelInferRequest.InferInputTensor,
    raw: bytes | None,
    max_value_bytes: int,
) -> npt.NDArray[Any]:
    """The tensor's values as a flat array (object array of str for BYTES)."""
    field = _field(index, tensor)
    datatype = tensor.datatype
    count = _count(tensor.shape, field)
    if datatype == "BYTES":
        values = (
            _split_bytes(raw, count, field)
            if raw is not None
            else list(tensor.contents.bytes_contents)
        )
        if len(values) != count:
            raise _bad(
                field,
                f"holds {len(values)} values; shape {list(tensor.shape)} needs {count}",
                Reason.INVALID_SHAPE,
            )
        _check_lengths(values, field, max_value_bytes)
        try:
            return np.array([v.decode() for v in values], dtype=object)
        except UnicodeDecodeError:
            raise _bad(field, "BYTES values must be UTF-8 text", Reason.INVALID_CONTENTS) from None
    dtype = NUMPY_TYPES.get(datatype)
    if dtype is None:
        raise _bad(field, f"unknown datatype {datatype!r}", Reason.INVALID_DATATYPE)
    if raw is not None:
        if len(raw) != count * dtype.itemsize:
            raise _bad(
                field,
                f"raw content is {len(raw)} bytes; shape {list(tensor.shape)} of "
                f"{datatype} needs {count * dtype.itemsize}",
                Reason.INVALID_SHAPE,
            )
        return np.frombuffer(raw, dtype=dtype)
    contents = CONTENTS.get(datatype)
    if contents is None:  # FP16: the protocol has no typed field for it
        raise _bad(
            field,
            f"{datatype} values have no typed contents; send them in raw_input_contents",
            Reason.INVALID_CONTENTS,
        )
    values = getattr(tensor.contents, contents)
    if len(values) != count:
        raise _bad(
            field,
            f"holds {len(values)} values; shape {list(tensor.shape)} needs {count}",
            Reason.INVALID_SHAPE,
        )
    try:
        return np.asarray(values, dtype=dtype)
    except OverflowError:
        # INT8, INT16, UINT8 and UINT16 travel in 32-bit fields, which hold wider values.
        raise _bad(
            field, f"holds a value outside the range of {datatype}", Reason.INVALID_CONTENTS
        ) from None


def _check_numbers(values: npt.NDArray[Any], field: str, accepts_nan: bool) -> None:
    if values.dtype.kind != "f":
        return
    finite = np.isfinite(values)
    if finite.all():
        return
    if np.isinf(values).any():
        raise _bad(field, "holds an infinite value", Reason.NON_FINITE_INPUT)
    if not accepts_nan:
        raise _bad(
            field,
            "holds NaN, which this model cannot take (it has no imputer)",
            Reason.NON_FINITE_INPUT,
        )


def decode(
    request: pb.ModelInferRequest,
    info: VersionInfo,
    *,
    limits: Limits,
    missing: MissingValueSupport,
) -> DecodedRequest:
    """The rows a request carries, in the signature's column order."""
    tensors = request.inputs
    if not tensors:
        raise _bad("inputs", "at least one input tensor is required", Reason.MISSING_INPUT)
    raw_contents = request.raw_input_contents
    raw = len(raw_contents) > 0
    if raw and len(raw_contents) != len(tensors):
        raise _bad(
            "raw_input_contents",
            f"has {len(raw_contents)} entries for {len(tensors)} inputs",
            Reason.INVALID_CONTENTS,
        )
    if raw:  # the protocol forbids both forms in one request (Triton refuses it too)
        for i, tensor in enumerate(tensors):
            if tensor.HasField("contents"):
                raise _bad(
                    f"inputs[{i}].contents",
                    "must be empty when raw_input_contents is used",
                    Reason.INVALID_CONTENTS,
                )
    single = len(tensors) == 1 and len(tensors[0].shape) == 2
    names = [spec.name for spec in info.inputs]
    if len(tensors) == 1 and not single and tensors[0].name not in names:
        # Not one of the features, and not [N, F]: a flattened [F] or a batched [1, N, F]
        # matrix. Say which shape was expected rather than that the name is unknown.
        tensor = tensors[0]
        raise _bad(
            _field(0, tensor),
            f"shape {list(tensor.shape)}: one tensor holding every feature is [N, "
            f"{len(names)}] (N rows of {', '.join(names)}), e.g. [1, {len(names)}] for one "
            "row; or send one [N] tensor per feature, named as the feature",
            Reason.INVALID_SHAPE,
        )
    if single and (len(info.inputs) > 1 or tensors[0].name != info.inputs[0].name):
        rows = _matrix(tensors[0], raw_contents[0] if raw else None, info, limits, missing)
    else:
        rows = _columns(tensors, raw_contents if raw else None, info, limits, missing)
    return DecodedRequest(rows, raw)


def reader(
    request: pb.ModelInferRequest, *, limits: Limits, clock: RequestClock | None = None
) -> InputReader:
    """Reads ``request`` for the version the domain chooses to answer it, telling ``clock``
    which version that is and how long reading took."""

    def read(served: ServedModel) -> Inputs:
        if clock is None:
            decoded = decode(request, served.info, limits=limits, missing=served.missing)
            return Inputs(decoded.rows, requested_outputs(request, served.output_names))
        clock.chosen(served.info)
        started = time.perf_counter_ns()
        decoded = decode(request, served.info, limits=limits, missing=served.missing)
        inputs = Inputs(decoded.rows, requested_outputs(request, served.output_names))
        clock.read(served.info, len(decoded.rows), time.perf_counter_ns() - started)
        return inputs

    return read


MATRIX_INPUT_HEADER = "slipway-matrix-input"
"""ModelMetadata's response header giving the shape of the single-tensor form, ``[-1, F]``."""


def matrix_shape(info: VersionInfo) -> list[int]:
    """The shape of the one ``[N, F]`` tensor that may carry every feature."""
    return [-1, len(info.inputs)]


def _check_rows(count: int, field: str, max_rows: int) -> None:
    if count > max_rows:
        raise _bad(
            field,
            f"{count} rows exceed this server's limit of {max_rows} per request",
            Reason.TOO_MANY_ROWS,
        )


def _matrix(
    tensor: pb.ModelInferRequest.InferInputTensor,
    raw: bytes | None,
    info: VersionInfo,
    limits: Limits,
    missing: MissingValueSupport,
) -> npt.NDArray[Any]:
    field = _field(0, tensor)
    rows, width = tensor.shape
    if width != len(info.inputs):
        raise _bad(
            field,
            f"has {width} features per row; the model takes {len(info.inputs)} "
            f"({', '.join(i.name for i in info.inputs)})",
            Reason.WRONG_FEATURE_COUNT,
        )
    _check_rows(rows, field, limits.max_rows)
    if not info.categorical and tensor.datatype not in NUMERIC_INPUTS:
        raise _bad(
            field,
            f"datatype {tensor.datatype} cannot feed numeric features; use "
            "FP32, FP64, INT32, INT64 or BOOL",
            Reason.INVALID_DATATYPE,
        )
    values = _tensor(0, tensor, raw, limits.max_value_bytes)
    marked = _missing_mask(0, tensor, len(values))
    if info.categorical:
        if tensor.datatype != "BYTES":
            raise _bad(
                field,
                "this model has categorical inputs: send them as BYTES, one "
                "tensor per feature, or the whole matrix as BYTES",
                Reason.INVALID_DATATYPE,
            )
        matrix = values.reshape(rows, width)
        mask = marked.reshape(rows, width)
        out = np.empty((rows, width), dtype=object)
        for j, spec in enumerate(info.inputs):
            if spec.categorical:
                out[:, j] = _text_with_missing(matrix[:, j], mask[:, j], field, missing)
                continue
            column = np.where(mask[:, j], "nan", matrix[:, j])  # placeholders are not read
            try:
                numbers = column.astype(np.float64)
            except ValueError:
                raise _bad(
                    field,
                    f"column {j} ({spec.name}) must hold numbers",
                    Reason.INVALID_CONTENTS,
                ) from None
            out[:, j] = _numbers_with_missing(numbers, mask[:, j], field, missing)
        return out
    return _numbers_with_missing(values, marked, field, missing).reshape(rows, width)


def _columns(
    tensors: Sequence[pb.ModelInferRequest.InferInputTensor],
    raw: Sequence[bytes] | None,
    info: VersionInfo,
    limits: Limits,
    missing: MissingValueSupport,
) -> npt.NDArray[Any]:
    position = {spec.name: j for j, spec in enumerate(info.inputs)}
    seen: dict[str, npt.NDArray[Any]] = {}
    rows = -1
    for index, tensor in enumerate(tensors):
        field = _field(index, tensor)
        j = position.get(tensor.name)
        if j is None:
            raise _bad(
                field,
                f"unknown input {tensor.name!r}; the model takes "
                f"{', '.join(position)} (or one [N, {len(position)}] tensor)",
                Reason.UNKNOWN_INPUT,
            )
        if tensor.name in seen:
            raise _bad(field, f"input {tensor.name!r} is given twice", Reason.DUPLICATE_INPUT)
        shape = list(tensor.shape)
        if not (len(shape) == 1 or (len(shape) == 2 and shape[1] == 1)):
            raise _bad(
                field, f"shape {shape}: a per-feature input is [N] or [N, 1]", Reason.INVALID_SHAPE
            )
        if rows >= 0 and shape[0] != rows:
            raise _bad(
                field, f"has {shape[0]} rows; the other inputs have {rows}", Reason.INVALID_SHAPE
            )
        rows = shape[0]
        _check_rows(rows, field, limits.max_rows)
        spec = info.inputs[j]
        if spec.categorical and tensor.datatype != "BYTES":
            raise _bad(
                field, f"{spec.name} is categorical: send it as BYTES", Reason.INVALID_DATATYPE
            )
        if not spec.categorical and tensor.datatype not in NUMERIC_INPUTS:
            raise _bad(
                field,
                f"{spec.name} is numeric: datatype {tensor.datatype} cannot feed it",
                Reason.INVALID_DATATYPE,
            )
        values = _tensor(index, tensor, None if raw is None else raw[index], limits.max_value_bytes)
        marked = _missing_mask(index, tensor, len(values))
        seen[tensor.name] = (
            _text_with_missing(values, marked, field, missing)
            if spec.categorical
            else _numbers_with_missing(values, marked, field, missing)
        )
    absent = [name for name in position if name not in seen]
    if absent:
        raise _bad("inputs", f"missing input(s) {', '.join(absent)}", Reason.MISSING_INPUT)
    if info.categorical:
        out = np.empty((rows, len(position)), dtype=object)
        for name, j in position.items():
            column = seen[name]
            out[:, j] = column if info.inputs[j].categorical else column.astype(np.float64)
        return out
    return (
        np.column_stack([seen[name].astype(np.float64, copy=False) for name in position])
        if len(position) > 1
        else seen[next(iter(position))].astype(np.float64).reshape(rows, 1)
    )


def requested_outputs(request: pb.ModelInferRequest, available: Sequence[str]) -> list[str]:
    if not request.outputs:
        return list(available)
    names = []
    for index, output in enumerate(request.outputs):
        if output.name not in available:
            raise _bad(
                f"outputs[{index}]",
                f"unknown output {output.name!r}; this model has {', '.join(available)}",
                Reason.UNKNOWN_OUTPUT,
            )
        if output.name not in names:
            names.append(output.name)
    return names


def _labels_parameter(spec: OutputSpec) -> pb.InferParameter:
    return pb.InferParameter(string_param=json.dumps(list(spec.class_labels)))


def encode(
    response: pb.ModelInferResponse,
    name: str,
    values: npt.NDArray[Any],
    spec: OutputSpec | None,
    raw: bool,
) -> None:
    """Append output ``name`` to ``response``, raw when the request was raw."""
    datatype = spec.datatype if spec is not None else "FP64"
    tensor = response.outputs.add(name=name, datatype=datatype, shape=list(values.shape))
    if spec is not None and spec.class_labels:
        tensor.parameters["class_labels"].CopyFrom(_labels_parameter(spec))
    if datatype == "BYTES":
        items = [str(v).encode() for v in values.ravel().tolist()]
        if raw:
            response.raw_output_contents.append(pack_bytes(items))
        else:
            tensor.contents.bytes_contents.extend(items)
        return
    dtype = NUMPY_TYPES[datatype]
    array = np.ascontiguousarray(values, dtype=dtype)
    if raw:
        response.raw_output_contents.append(array.tobytes())
    else:
        getattr(tensor.contents, CONTENTS[datatype]).extend(array.ravel().tolist())
