"""Whether a fitted model predicts on rows with missing values: NaN numbers, and missing text
(``numpy.nan`` in a categorical column, as training reads an empty field and serving decodes an
element a request names missing).

scikit-learn answers this per estimator, and the answer moved between releases: imputers and
HistGradientBoosting always took NaN; decision trees, random forests and extra trees take it
since 1.4; linear models, SVMs, k-nearest neighbours and most others raise. For text it is the
encoder's answer: a ``OneHotEncoder(handle_unknown="ignore")`` or an imputer in front of the
encoder takes a missing category, a strict encoder raises. Rather than keep a list that ages, the
fitted model is asked: one complete row of its own training data with one numeric value set to
NaN, and the same row with one text value missing. Training records the answer in the
version's signature (true when every kind of feature the model has may be missing); serving asks
again at load (the model it loaded is the truth), per kind, and refuses a missing value of a
kind the model cannot take with INVALID_ARGUMENT.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt


@dataclass(frozen=True)
class MissingValueSupport:
    """Which kinds of feature a model predicts with when a value is missing. A kind the model
    does not have is False."""

    numbers: bool = False
    text: bool = False

    def every_kind(self, *, has_numbers: bool, has_text: bool) -> bool:
        """True when a value of each kind the model has may be missing (and it has one)."""
        if not (has_numbers or has_text):
            return False
        return (self.numbers or not has_numbers) and (self.text or not has_text)


def _text_columns(rows: npt.NDArray[Any]) -> list[int]:
    if rows.dtype.kind != "O":
        return []
    return [j for j in range(rows.shape[1]) if any(isinstance(v, str) for v in rows[:, j])]


def _complete_row(rows: npt.NDArray[Any]) -> npt.NDArray[Any]:
    """The first row without a missing value (a probe must fail only for the value it blanks),
    else the first row."""
    for i in range(len(rows)):
        row = rows[i]
        if all(v is not None and v == v for v in row.tolist()):  # NaN is unequal to itself
            return rows[i : i + 1].copy()
    return rows[:1].copy()


def _predicts(model: Any, probe: npt.NDArray[Any], column: int) -> bool:
    blanked = probe.copy()
    blanked[0, column] = np.nan
    try:
        model.predict(blanked)
    except (ValueError, TypeError):
        return False
    return True


def missing_value_support(model: Any, rows: npt.NDArray[Any]) -> MissingValueSupport:
    """Ask ``model`` to predict a row of ``rows`` (its own training rows, in signature order)
    with a numeric value set to NaN, and with a text value missing."""
    if len(rows) == 0:
        return MissingValueSupport()
    text = _text_columns(rows)
    numeric = [j for j in range(rows.shape[1]) if j not in text]
    probe = _complete_row(rows)
    if probe.dtype.kind not in "fO":
        probe = probe.astype(np.float64)
    return MissingValueSupport(
        numbers=bool(numeric) and _predicts(model, probe, numeric[0]),
        text=bool(text) and _predicts(model, probe, text[0]),
    )


def accepts_missing_values(model: Any, rows: npt.NDArray[Any]) -> bool:
    """What the signature records: whether ``model`` predicts when any of its features is
    missing (NaN numbers, missing text)."""
    if len(rows) == 0:
        return False
    text = _text_columns(rows)
    return missing_value_support(model, rows).every_kind(
        has_numbers=len(text) < rows.shape[1], has_text=bool(text)
    )
