"""Compiled inference: a scikit-learn model's ONNX form, built by skl2onnx (the converter of
scikit-learn's maintainers) and run by ONNX Runtime, used only once it has been shown to give
the model's answers.

A form is tried with float64 inputs, then float32 (``precisions``; float32 first for a model
with trees): float64 computes what scikit-learn's linear models compute, while its trees
compare float32 inputs (and ONNX Runtime's tree regressors, boosting and imputers take nothing
else). A form is accepted only
by :func:`verify`: on the version's reference rows, every label identical and
every probability within ``PROBABILITY_TOLERANCE`` (regression values within
``VALUE_TOLERANCE`` relative); a form that fails is not used and the reason is kept.

Nothing here runs code from a file: the graph is built in this process from the loaded model,
its operators are checked to be in the standard ONNX domains (no custom operators), and the
bytes are kept content-addressed in the artifact cache (``CompiledStore``), re-hashed on use
like every other artifact.
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
import warnings
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from slipway.ml.artifact_cache import ArtifactCache

__all__ = [
    "PRECISIONS",
    "PROBABILITY_TOLERANCE",
    "STANDARD_DOMAINS",
    "VALUE_TOLERANCE",
    "Column",
    "CompiledModel",
    "CompiledStore",
    "NotCompiledError",
    "compile_model",
    "convert",
    "converter_versions",
    "precisions",
    "verify",
]

PROBABILITY_TOLERANCE = 1e-5
"""Largest absolute difference accepted between a probability of the ONNX form and
scikit-learn's. float32 carries about 7 significant digits and a forest adds a hundred float32
terms: the largest difference measured on the test models is 1.4e-7, so 1e-5 leaves a margin
of 70x for rounding while any conversion error (a wrong coefficient, a wrong branch) moves a
probability by far more."""
VALUE_TOLERANCE = 1e-5
"""Largest difference accepted for a regression value, relative to max(1, |value|): float32
rounding is relative, and a value's scale is the model's business."""
TARGET_OPSET = {"": 17, "ai.onnx.ml": 3}
"""Pinned opsets, so a form does not change with the converter's defaults."""
STANDARD_DOMAINS = frozenset({"", "ai.onnx", "ai.onnx.ml"})
PREDICT = "predict"
PREDICT_PROBA = "predict_proba"


class NotCompiledError(Exception):
    """The model has no ONNX form that may serve; the message says why."""


def converter_versions() -> dict[str, str]:
    """The versions that determine an ONNX form: a new one builds and verifies it again."""
    return {name: metadata.version(name) for name in ("skl2onnx", "onnx", "onnxruntime")}


def _session(data: bytes, threads: int) -> Any:
    import onnxruntime as ort  # type: ignore[import-untyped]

    options = ort.SessionOptions()
    options.log_severity_level = 3  # warnings about unused initialisers are not ours to fix
    if threads > 0:
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
    # A spinning pool would burn the cores the gRPC server needs between predictions.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return ort.InferenceSession(data, sess_options=options, providers=["CPUExecutionProvider"])


def _check_domains(data: bytes) -> None:
    import onnx

    graph = onnx.load_from_string(data)
    domains = {o.domain for o in graph.opset_import} | {n.domain for n in graph.graph.node}
    custom = sorted(domains - STANDARD_DOMAINS)
    if custom:
        raise NotCompiledError(f"the ONNX form uses custom operator domains {custom}")


@dataclass(frozen=True)
class Column:
    """One input column of the model, in signature order."""

    name: str
    categorical: bool


def _initial_types(columns: Sequence[Column], precision: str) -> list[tuple[str, Any]]:
    from skl2onnx.common.data_types import (  # type: ignore[import-untyped]
        DoubleTensorType,
        FloatTensorType,
        StringTensorType,
    )

    number = DoubleTensorType if precision == "float64" else FloatTensorType
    if not any(c.categorical for c in columns):
        return [("X", number([None, len(columns)]))]
    # Mixed columns: one input each (skl2onnx maps a ColumnTransformer's positions onto them).
    return [
        (f"c{j}", StringTensorType([None, 1]) if c.categorical else number([None, 1]))
        for j, c in enumerate(columns)
    ]


def _to_onnx(model: Any, columns: Sequence[Column], precision: str) -> bytes:
    from skl2onnx import to_onnx  # type: ignore[import-untyped]

    types = _initial_types(columns, precision)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            onx = to_onnx(
                model, initial_types=types, options={"zipmap": False}, target_opset=TARGET_OPSET
            )
        except NameError:  # a classifier without probabilities has no zipmap option
            onx = to_onnx(model, initial_types=types, target_opset=TARGET_OPSET)
    data: bytes = onx.SerializeToString()
    return data


PRECISIONS = ("float64", "float32")
"""Input precisions tried, in this order unless the model has trees (``precisions``): float64
computes what scikit-learn's linear models compute; float32 is what its trees compare (they
cast inputs to float32), and the only one ONNX Runtime's tree regressors, boosting and
imputers take."""
_TREE_MODULES = ("sklearn.tree", "sklearn.ensemble")


def precisions(model: Any) -> tuple[str, ...]:
    """``PRECISIONS`` in the order to try for ``model``: float32 first when it holds trees,
    which compare float32 inputs in scikit-learn too (a float64 form compares a value near a
    threshold otherwise, and its forests are slower)."""
    parts = [model, *model.get_params(deep=True).values()] if hasattr(model, "get_params") else []
    if any(type(part).__module__.startswith(_TREE_MODULES) for part in parts):
        return tuple(reversed(PRECISIONS))
    return PRECISIONS


def convert(model: Any, columns: Sequence[Column], precision: str) -> bytes:
    """The model's ONNX form with ``precision`` inputs; ``NotCompiledError`` saying why when
    it does not build."""
    try:
        data = _to_onnx(model, columns, precision)
    except Exception as exc:  # the converter's refusals are of many kinds
        raise _not_compiled("no ONNX form", exc) from exc
    _check_domains(data)
    return data


def _not_compiled(what: str, exc: Exception) -> NotCompiledError:
    text = str(exc).strip()
    first = text.splitlines()[0] if text else ""
    return NotCompiledError(f"{what}: {type(exc).__name__}: {first[:200]}")


class CompiledModel:
    """An ONNX form in ONNX Runtime, answering like ``ServedModel.predict``."""

    def __init__(
        self, data: bytes, columns: Sequence[Column], precision: str, *, threads: int = 0
    ) -> None:
        _check_domains(data)
        self.sha256 = hashlib.sha256(data).hexdigest()
        self.precision = precision
        try:
            self._session = _session(data, threads)
        except Exception as exc:  # no kernel for a node (at this precision), say
            raise _not_compiled("ONNX Runtime cannot run the form", exc) from exc
        self._columns = tuple(columns)
        self._dtype = np.float64 if precision == "float64" else np.float32
        self._single = not any(c.categorical for c in columns)
        self._text = [j for j, c in enumerate(columns) if c.categorical]
        self._numbers = [j for j, c in enumerate(columns) if not c.categorical]
        # Whether rows with a missing number go through the form; set once verified on them.
        self.takes_nan = False
        names = [o.name for o in self._session.get_outputs()]
        self._first = names[0]
        self._probabilities = names[1] if len(names) > 1 else None
        self._labels_dtype: Any = None  # the classes' dtype, set by bind()

    def bind(self, model: Any) -> None:
        """Answer labels in the dtype scikit-learn's ``predict`` gives (from ``classes_``)."""
        classes = getattr(model, "classes_", None)
        if classes is not None and np.asarray(classes).dtype.kind in "biuf":
            self._labels_dtype = np.asarray(classes).dtype

    @property
    def outputs(self) -> frozenset[str]:
        return frozenset({PREDICT, PREDICT_PROBA} if self._probabilities else {PREDICT})

    def takes(self, rows: npt.NDArray[Any]) -> bool:
        """Whether these rows can go through the form: a missing text value cannot (an ONNX
        string tensor has no missing element), nor a missing number unless the form was
        verified on them (skl2onnx's trees ignore scikit-learn's missing-value branches);
        scikit-learn answers those."""
        if not self._text and self.takes_nan:
            return True
        return bool(self.complete(rows).all())

    def complete(self, rows: npt.NDArray[Any]) -> npt.NDArray[np.bool_]:
        """Which rows the form may answer (see ``takes``)."""
        ok = np.ones(len(rows), dtype=np.bool_)
        if self._text:
            text = rows[:, self._text]
            present = np.vectorize(lambda v: isinstance(v, str), otypes=[np.bool_])(text)
            ok &= present.reshape(len(rows), -1).all(axis=1)
        if not self.takes_nan:
            numbers = rows[:, self._numbers] if self._text else rows
            ok &= ~np.isnan(np.asarray(numbers, dtype=np.float64)).any(axis=1)
        return ok

    def _feeds(self, rows: npt.NDArray[Any]) -> dict[str, npt.NDArray[Any]]:
        if self._single:
            return {"X": np.ascontiguousarray(rows, dtype=self._dtype)}
        feeds: dict[str, npt.NDArray[Any]] = {}
        for j, column in enumerate(self._columns):
            values = rows[:, j : j + 1]
            feeds[f"c{j}"] = (
                values.astype(str).astype(object)
                if column.categorical
                else np.ascontiguousarray(values, dtype=self._dtype)
            )
        return feeds

    def predict(
        self, rows: npt.NDArray[Any], outputs: Collection[str]
    ) -> dict[str, npt.NDArray[Any]]:
        wanted = [self._first]
        if PREDICT_PROBA in outputs and self._probabilities:
            wanted.append(self._probabilities)
        answers = self._session.run(wanted, self._feeds(rows))
        first = np.asarray(answers[0])
        if self._probabilities is None:  # a regressor (or a classifier without probabilities)
            first = first.reshape(len(rows), -1)
            values = first[:, 0] if first.shape[1] == 1 else first
            if values.dtype.kind == "f":
                values = values.astype(np.float64)
            elif self._labels_dtype is not None:
                values = values.astype(self._labels_dtype)
            result = {PREDICT: values}
        else:
            labels = first.ravel()
            if self._labels_dtype is not None:
                labels = labels.astype(self._labels_dtype)
            result = {PREDICT: labels}
            if len(answers) > 1:
                proba = np.asarray(answers[1], dtype=np.float64)
                if self.precision == "float32":
                    # float32 sums miss 1 by ~1e-7, which scikit-learn's metrics warn about.
                    proba /= proba.sum(axis=1, keepdims=True)
                result[PREDICT_PROBA] = proba
        return {name: result[name] for name in outputs}


def verify(
    compiled: CompiledModel,
    reference: dict[str, npt.NDArray[Any]],
    rows: npt.NDArray[Any],
    outputs: Collection[str],
) -> None:
    """Raise ``NotCompiledError`` unless ``compiled`` gives ``reference`` (scikit-learn's
    answers for ``rows``): labels identical, probabilities and values within tolerance."""
    if not len(rows):
        raise NotCompiledError("no reference rows to verify the ONNX form on")
    missing = sorted(set(outputs) - compiled.outputs)
    if missing:
        raise NotCompiledError(f"the ONNX form has no {', '.join(missing)} output")
    complete = compiled.complete(rows)  # rows the form does not take are scikit-learn's
    rows = rows[complete]
    if not len(rows):
        raise NotCompiledError("no complete reference rows to verify the ONNX form on")
    theirs = compiled.predict(rows, list(outputs))
    for name in outputs:
        expected, got = np.asarray(reference[name])[complete], np.asarray(theirs[name])
        if expected.shape != got.shape:
            raise NotCompiledError(
                f"the ONNX form's {name} has shape {got.shape}, scikit-learn's {expected.shape}"
            )
        if name == PREDICT_PROBA:
            worst = float(np.max(np.abs(expected - got), initial=0.0))
            if not worst <= PROBABILITY_TOLERANCE:
                raise NotCompiledError(
                    f"the ONNX form's probabilities differ by up to {worst:.3g} "
                    f"(tolerance {PROBABILITY_TOLERANCE:g}) on {len(rows)} reference rows"
                )
        elif expected.dtype.kind == "f":
            scale = np.maximum(1.0, np.abs(expected))
            worst = float(np.max(np.abs(expected - got) / scale, initial=0.0))
            if not worst <= VALUE_TOLERANCE:
                raise NotCompiledError(
                    f"the ONNX form's predictions differ by up to {worst:.3g} relative "
                    f"(tolerance {VALUE_TOLERANCE:g}) on {len(rows)} reference rows"
                )
        else:
            differ = int(np.sum(expected != got))
            if differ:
                raise NotCompiledError(
                    f"the ONNX form's labels differ from scikit-learn's on {differ} of "
                    f"{len(rows)} reference rows"
                )


class CompiledStore:
    """ONNX forms kept in the artifact cache, content-addressed like every artifact, with an
    index from what determines a form (the model's digest, its columns, the converter's
    versions) to the form's digest. A form whose file no longer matches is built again."""

    def __init__(self, cache: ArtifactCache) -> None:
        self._cache = cache
        self._index = cache.root / "compiled.json"

    @staticmethod
    def key(model_sha256: str, columns: Sequence[Column], precision: str) -> str:
        facts = {
            "model": model_sha256,
            "precision": precision,
            "columns": [[c.name, c.categorical] for c in columns],
            "versions": converter_versions(),
            "opset": TARGET_OPSET,
        }
        return hashlib.sha256(json.dumps(facts, sort_keys=True).encode()).hexdigest()

    def _read(self) -> dict[str, dict[str, str]]:
        try:
            data = json.loads(self._index.read_text())
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def get(self, key: str) -> bytes | None:
        entry = self._read().get(key)
        if not isinstance(entry, dict):
            return None
        try:
            path = self._cache.path(str(entry.get("sha256", "")))  # re-hashed
        except ValueError:
            return None
        if path is None:
            return None
        return path.read_bytes()

    def put(self, key: str, data: bytes) -> str:
        sha256 = hashlib.sha256(data).hexdigest()
        partial: Path = self._cache.partial_path(sha256)
        partial.write_bytes(data)
        self._cache.commit(partial, sha256)
        index = self._read()
        index[key] = {"sha256": sha256}
        temporary = self._index.with_suffix(f".{uuid.uuid4().hex}.tmp")
        temporary.write_text(json.dumps(index, sort_keys=True))
        os.replace(temporary, self._index)
        return sha256


def compile_model(
    model: Any,
    model_sha256: str,
    columns: Sequence[Column],
    store: CompiledStore | None,
    precision: str,
    *,
    threads: int = 0,
) -> tuple[CompiledModel, bool]:
    """The model's ONNX form with ``precision`` inputs in ONNX Runtime (from ``store`` when it
    was built before), and whether it came from the store. Not verified: see :func:`verify`."""
    key = CompiledStore.key(model_sha256, columns, precision)
    found = store.get(key) if store is not None else None
    if found is not None:
        compiled = CompiledModel(found, columns, precision, threads=threads)
    else:
        data = convert(model, columns, precision)
        compiled = CompiledModel(data, columns, precision, threads=threads)
        if store is not None:
            store.put(key, data)
    compiled.bind(model)
    return compiled, found is not None
