"""A loaded model version, ready to predict: its signature, the model object, and what it can
take.

Everything here is plain Python and numpy; the registry's messages are converted at the edge
(``sources/registry``) and the protocol's tensors in ``api/tensors``.
"""

from __future__ import annotations

import functools
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from slipway.ml.compiled import CompiledModel
from slipway.ml.missing_values import MissingValueSupport
from slipway.ml.model_files import predict_is_argmax

PREDICT = "predict"
PREDICT_PROBA = "predict_proba"


@dataclass(frozen=True)
class InputSpec:
    name: str
    datatype: str  # protocol datatype the model was trained on: FP64 or BYTES
    categories: tuple[str, ...] = ()

    @property
    def categorical(self) -> bool:
        return self.datatype == "BYTES"


@dataclass(frozen=True)
class OutputSpec:
    name: str
    datatype: str
    shape: tuple[int, ...]
    class_labels: tuple[Any, ...] = ()


@dataclass(frozen=True)
class VersionInfo:
    """What serving needs to know about a registry version."""

    model_id: str
    number: int
    inputs: tuple[InputSpec, ...]
    outputs: tuple[OutputSpec, ...]
    artifact_sha256: str
    artifact_format: str
    framework_versions: dict[str, str]
    sample_sha256: str = ""

    @property
    def name(self) -> str:
        return f"models/{self.model_id}/versions/{self.number}"

    @functools.cached_property
    def categorical(self) -> bool:  # asked on every request: computed once
        return any(i.categorical for i in self.inputs)

    def output(self, name: str) -> OutputSpec | None:
        return next((o for o in self.outputs if o.name == name), None)


@dataclass
class ServedModel:
    """One version in memory. Immutable once built; a swap replaces the whole object."""

    info: VersionInfo
    model: Any
    # Which missing values it predicts with (NaN numbers, missing text), asked of the model.
    missing: MissingValueSupport = field(default_factory=MissingValueSupport)
    reference_rows: npt.NDArray[Any] | None = None  # a few training rows, for smoke tests
    # The verified ONNX form that answers instead of ``model`` (``slipway.ml.compiled``), and
    # what serves and why: "onnx" with how it was verified, or "sklearn" with why not onnx.
    compiled: CompiledModel | None = None
    backend: str = "sklearn"
    backend_note: str = ""
    _methods: dict[str, Any] = field(default_factory=dict)
    labels_from_proba: bool = False
    _classes: npt.NDArray[Any] = field(default_factory=lambda: np.empty(0))

    def __post_init__(self) -> None:
        self._methods = {PREDICT: self.model.predict}
        if self.info.output(PREDICT_PROBA) is not None and hasattr(self.model, "predict_proba"):
            self._methods[PREDICT_PROBA] = self.model.predict_proba
        self.labels_from_proba = PREDICT_PROBA in self._methods and predict_is_argmax(self.model)
        self._classes = np.asarray(getattr(self.model, "classes_", []))

    @property
    def output_names(self) -> tuple[str, ...]:
        return tuple(o.name for o in self.info.outputs if o.name in self._methods)

    def predict(
        self, rows: npt.NDArray[Any], outputs: Collection[str]
    ) -> dict[str, npt.NDArray[Any]]:
        """The requested outputs for ``rows`` (already in signature column order)."""
        if self.compiled is not None and self.compiled.takes(rows):
            return self.compiled.predict(rows, outputs)
        if self.labels_from_proba and PREDICT in outputs and PREDICT_PROBA in outputs:
            # One pass over a forest instead of two: its predict is this argmax.
            proba = np.asarray(self.model.predict_proba(rows))
            labels = self._classes.take(np.argmax(proba, axis=1))
            both = {PREDICT: labels, PREDICT_PROBA: proba}
            return {name: both[name] for name in outputs}
        return {name: np.asarray(self._methods[name](rows)) for name in outputs}


def empty_rows(info: VersionInfo, count: int = 0) -> npt.NDArray[Any]:
    dtype: Any = object if info.categorical else np.float64
    return np.empty((count, len(info.inputs)), dtype=dtype)


def column_names(info: VersionInfo) -> Sequence[str]:
    return [i.name for i in info.inputs]
