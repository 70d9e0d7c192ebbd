"""Typed values (`slipway.common.v1.Value`) to and from plain Python, keeping the type:
``1``, ``1.0``, ``"1"`` and ``True`` stay distinct both ways; and times as Timestamps."""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from google.protobuf import struct_pb2
from google.protobuf.timestamp_pb2 import Timestamp

from slipway.common.v1 import value_pb2

MAX_DEPTH = 16


class ValueTypeError(ValueError):
    """A value that has no typed representation (or an unset one)."""


def to_pb(value: Any, _depth: int = 0) -> value_pb2.Value:
    """Python (None, bool, int, float, str, list/tuple, str-keyed dict; numpy scalars through
    ``item()``) to a Value."""
    if _depth > MAX_DEPTH:
        raise ValueTypeError("value nested too deeply")
    if hasattr(value, "item") and not isinstance(value, (list, tuple, dict)):
        value = value.item()  # numpy scalar
    if value is None:
        return value_pb2.Value(null_value=struct_pb2.NULL_VALUE)
    if isinstance(value, bool):
        return value_pb2.Value(bool_value=value)
    if isinstance(value, int):
        return value_pb2.Value(int_value=value)
    if isinstance(value, float):
        return value_pb2.Value(double_value=value)
    if isinstance(value, str):
        return value_pb2.Value(string_value=value)
    if isinstance(value, (list, tuple)):
        return value_pb2.Value(
            list_value=value_pb2.ValueList(values=[to_pb(v, _depth + 1) for v in value])
        )
    if isinstance(value, Mapping):
        if not all(isinstance(k, str) for k in value):
            raise ValueTypeError("map keys must be strings")
        return value_pb2.Value(
            map_value=value_pb2.ValueMap(values={k: to_pb(v, _depth + 1) for k, v in value.items()})
        )
    raise ValueTypeError(f"{type(value).__name__} has no typed value representation")


def from_pb(message: value_pb2.Value, *, finite: bool = False, _depth: int = 0) -> Any:
    """A Value to Python; ``finite`` refuses NaN and infinities."""
    if _depth > MAX_DEPTH:
        raise ValueTypeError("value nested too deeply")
    kind = message.WhichOneof("kind")
    if kind is None:
        raise ValueTypeError("value is not set")
    if kind == "null_value":
        return None
    if kind == "double_value":
        if finite and not math.isfinite(message.double_value):
            raise ValueTypeError("must be a finite number")
        return message.double_value
    if kind == "list_value":
        return [from_pb(v, finite=finite, _depth=_depth + 1) for v in message.list_value.values]
    if kind == "map_value":
        return {
            k: from_pb(v, finite=finite, _depth=_depth + 1)
            for k, v in message.map_value.values.items()
        }
    return getattr(message, kind)


def map_to_pb(values: Mapping[str, Any]) -> dict[str, value_pb2.Value]:
    """A str-keyed dict to a ``map<string, Value>``, skipping values with no representation."""
    out: dict[str, value_pb2.Value] = {}
    for key, value in values.items():
        try:
            out[key] = to_pb(value)
        except ValueTypeError:
            continue
    return out


# google.protobuf.Timestamp's documented range, 0001-01-01 to 9999-12-31: what datetime holds.
MIN_TIMESTAMP_SECONDS, MAX_TIMESTAMP_SECONDS = -62_135_596_800, 253_402_300_799


def valid_timestamp(stamp: Timestamp) -> bool:
    """Whether ``stamp`` is a real instant; converting any other one to a datetime raises."""
    return (
        MIN_TIMESTAMP_SECONDS <= stamp.seconds <= MAX_TIMESTAMP_SECONDS
        and 0 <= stamp.nanos < 1_000_000_000
    )


def timestamp(value: datetime | None) -> Timestamp | None:
    """A Timestamp for an aware datetime (None stays None: an unset field)."""
    if value is None:
        return None
    stamp = Timestamp()
    stamp.FromDatetime(value)
    return stamp
