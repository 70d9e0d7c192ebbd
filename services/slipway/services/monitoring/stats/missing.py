"""Which values are missing: None and NaN in object arrays, and for numbers also the
infinities (as ``slipway.ml.profiles`` counts them)."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt


def none_or_nan(values: npt.NDArray[Any]) -> npt.NDArray[np.bool_]:
    """Where an object array holds None or NaN (NaN is the one value unequal to itself)."""
    equal: Any = np.equal  # numpy's stubs do not accept None as an operand
    return np.asarray(equal(values, None) | (values != values), dtype=np.bool_)


def missing(values: npt.NDArray[Any]) -> npt.NDArray[np.bool_]:
    """Where a column (float64, or an object array of text) has no usable value."""
    if values.dtype.kind == "f":
        return np.asarray(~np.isfinite(values))
    return none_or_nan(values)
