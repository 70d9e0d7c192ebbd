"""Estimator parameters as JSON values, for the outcome and the registry.

numpy scalars and arrays become Python values and lists, tuples become lists, and a NaN or
infinite float becomes its text (``"nan"``, ``"inf"``, ``"-inf"``: JSON has no such numbers;
``SimpleImputer(missing_values=nan)`` is common). Anything else (estimator objects, classes,
functions) has no JSON form and its parameter is left out.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

__all__ = ["json_params", "json_value"]


class _NoJsonError(Exception):
    pass


def _convert(value: Any) -> Any:
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, np.generic):
        value = value.item()
        if isinstance(value, bytes):
            raise _NoJsonError
        return _convert(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, np.ndarray) and value.dtype.kind in "biufU":
        return [_convert(item) for item in value.tolist()]
    if isinstance(value, list | tuple):
        return [_convert(item) for item in value]
    if isinstance(value, Mapping) and all(isinstance(key, str) for key in value):
        return {key: _convert(item) for key, item in value.items()}
    raise _NoJsonError


def json_value(value: Any) -> tuple[bool, Any]:
    """Whether ``value`` has a JSON form, and that form."""
    try:
        return True, _convert(value)
    except _NoJsonError:
        return False, None


def json_params(params: Mapping[str, Any]) -> dict[str, Any]:
    """The parameters that have a JSON form, converted; the others are left out."""
    result = {}
    for name, value in params.items():
        ok, converted = json_value(value)
        if ok:
            result[name] = converted
    return result
