"""What can be a label of a version: its label space, from the registry's facts.

A classification version's labels are its classes (compared as text, so 1, 1.0 and "1" name the
same class); a regression version's are finite numbers. A missing value (masked, or NaN where a
number is expected) is no label at all and is always allowed: the row simply stays unlabeled.

The check runs twice. At ingest, a ground-truth entry whose values cannot be labels of a version
it joins is rejected with the reason (a sender can then fix its feed). At evaluation, rows whose
label slipped past that check (stored before it existed, or joined while the registry could not
say what the version's classes are) are left out of the metrics and counted, so that no stored
content can make a report fail.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from slipway.core.reasons import Reason
from slipway.services.monitoring.domain.entities import Tensor
from slipway.services.monitoring.domain.reference import Task, label_text
from slipway.services.monitoring.domain.tensors import decode_tensor


@dataclass(frozen=True)
class LabelSpace:
    """The labels version ``version`` can have; ``classes`` empty when the registry names none
    (then any class is accepted)."""

    version: str
    task: Task
    classes: frozenset[str] = frozenset()

    def value_problem(self, value: Any) -> Reason | None:
        """Why ``value`` (decoded, None where missing) cannot be a label; None when it can."""
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return None  # missing (a masked number decodes as NaN)
        if self.task == "classification":
            if self.classes and label_text(value) not in self.classes:
                return Reason.LABEL_UNKNOWN_CLASS
            return None
        try:
            number = float(value)
        except (TypeError, ValueError):
            return Reason.LABEL_NOT_NUMERIC
        return None if math.isfinite(number) else Reason.LABEL_NOT_FINITE

    def tensor_problem(self, tensor: Tensor) -> Reason | None:
        """Why a label tensor cannot hold labels of this version; None when it can."""
        try:
            values = decode_tensor(tensor._replace(missing_mask=b"")).ravel().tolist()
        except (ValueError, KeyError):
            return None  # unreadable tensors are the shape check's to refuse
        mask = (
            np.frombuffer(tensor.missing_mask, dtype=np.uint8).astype(bool).tolist()
            if tensor.missing_mask
            else []
        )
        for i, value in enumerate(values):
            if mask and i < len(mask) and mask[i]:
                continue
            if self.task == "regression" and isinstance(value, float) and math.isnan(value):
                return Reason.LABEL_NOT_FINITE  # an unmasked NaN is a value, not a gap
            problem = self.value_problem(value)
            if problem is not None:
                return problem
        return None


__all__ = ["LabelSpace"]
