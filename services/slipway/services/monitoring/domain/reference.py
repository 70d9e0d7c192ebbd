"""What a window is compared with: a model version's reference, built from what training
registered with it (signature, holdout metrics, reference profile, the reference file) and the
model's own outputs on the file's rows.

The reference file (``slipway.ml.profiles.read_reference``) holds a uniform sample of the training
rows (by default up to 100k) and one of the holdout rows. The whole training data, both splits,
is the reference of data drift, and its target the reference of target drift: the holdout rows
are data the model was trained for as much as the others, and leaving them out would compare
live traffic with 80% of what is known. The two samples are joined as one uniform sample of
both splits (``_whole_data``: when they were drawn at different rates, the larger share is
thinned to the smaller). The model's predictions on the holdout rows alone are the reference of
prediction drift: on its own training rows a model that fits them closely (an unconstrained
tree) is overconfident, and fresh data would always look drifted. A version registered before
the reference files has a ``.npz`` sample of at most 1000 training rows and no holdout rows: its
prediction reference is then the model's outputs on that sample. A version whose sketches were
made of the training split only (registered before the holdout joined the data reference) keeps
the training split alone as its data reference, so that its sample and its sketches agree.

The real size of each reference (``row_count``: the rows of both splits, or of the training
split alone as above; ``output_row_count``: the holdout rows, or the training rows when the
outputs come from them) chooses the drift method
(``reports``), as Evidently chooses it from the reference data it is given, whatever the number
of sample rows the statistic is computed on. Those sizes are claims of whoever registered the
version: they are believed only when its lineage is verified (the training service registered
it for its job); any other version's reference stands for its sample rows alone, so an uploader
cannot make a small sample pass for a large training set.

The rows of the file are samples (by default of up to 100k rows each); training also keeps a
sketch of each whole column of the training data (``slipway.ml.profiles.feature_sketch``): its
counts, quantiles, histogram, mean, and the exact count of every category (or of every value of a
numeric column with few of them). The reference keeps them (``sketches``) where they can be
believed and compared: for a verified version, when the sketch holds as many rows as the data
reference stands for, and when it reads the values as the feature's data type does (text for
``BYTES``, numbers otherwise). Reports take the reference's statistics and the tests of
categories from them (``reports``); any other sketch is left out with a note, and the sample
alone stands for the column.

The reference file comes from the uploader too: it is measured against ``ReferenceLimits``
(rows, columns, size on disk and decoded, from its metadata) before it is decoded, and a version
whose file is over them, or is no reference file, gets no reference (``FailedPreconditionError``
with ``REFERENCE_TOO_LARGE`` or ``REFERENCE_UNREADABLE``) rather than the memory it asks for.

Both sides of a comparison are read by the feature's declared data type (``typed_column``): the
reference sample here, every logged tensor in ``domain.window``. A ``BYTES`` feature is text on
both sides; any other data type is numbers (float64) on both sides, whatever its kind. The kind
(numeric, categorical, binary) chooses the drift method and never how values are read, so a 0/1
feature is compared as 0.0/1.0 with 0.0/1.0, not as the text "0"/"1" with the numbers 0.0/1.0
(which the tests would see as four categories, two on each side, and always call drifted).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from slipway.core.errors import FailedPreconditionError
from slipway.core.logs import get_logger
from slipway.core.reasons import Reason
from slipway.ml.model_files import load_model
from slipway.ml.profiles import ColumnSketch, Kind, ReferenceData, read_reference
from slipway.ml.table_limits import LimitExceededError, TableLimits
from slipway.services.monitoring.stats.missing import none_or_nan

log = get_logger("slipway.monitoring.reference")

PREDICT = "predict"
# What a version's reference file may hold; the monitoring settings ``--max-reference-*`` set it.
ReferenceLimits = TableLimits
DEFAULT_REFERENCE_LIMITS = ReferenceLimits(
    max_rows=10_000_000, max_columns=2_002, max_decoded_bytes=1024**3
)
_SETTINGS = {
    "max_rows": "max-reference-rows",
    "max_columns": "max-reference-columns",
    "max_decoded_bytes": "max-reference-decoded-bytes",
}
PREDICT_PROBA = "predict_proba"
Task = Literal["classification", "regression"]


def label_text(value: Any) -> str:
    """A class label as text, so that 1, 1.0 and "1" name the same class."""
    if isinstance(value, bytes):
        return value.decode(errors="replace")
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    if isinstance(value, bool | np.bool_):
        return str(bool(value))
    return str(value)


def proba_column(label: str) -> str:
    """The name of one ``predict_proba`` column in prediction drift reports."""
    return f"{PREDICT_PROBA}[{label}]"


@dataclass(frozen=True)
class FeatureRef:
    """One input feature as training saw it."""

    name: str
    kind: Kind
    data_type: str  # protocol datatype of the signature: FP64, BYTES, ...
    categories: frozenset[str]  # seen in training: the signature's, else the profile's
    minimum: float | None  # numeric features: the training range
    maximum: float | None
    missing_share: float


TEXT_TYPE = "BYTES"
_BOOLEAN_WORDS = {"true": 1.0, "false": 0.0}


def typed_column(feature: FeatureRef, values: npt.NDArray[Any]) -> npt.NDArray[Any]:
    """``values`` of ``feature`` read by its declared data type (see the module docstring).

    ``BYTES``: an object array of ``str``, None where missing; numbers given for a text feature
    are written as ``label_text`` writes them (``1.0`` as ``"1"``). Any other data type: float64,
    NaN where missing; booleans are 0.0/1.0, and text is parsed as a number (``"true"`` and
    ``"false"`` as 1.0 and 0.0) or counts as missing.
    """
    values = np.asarray(values).ravel()
    if feature.data_type == TEXT_TYPE:
        if values.dtype.kind == "O":
            text = values.copy()
            text[none_or_nan(text)] = None
            return text
        if values.dtype.kind in "US":
            return np.array([label_text(v) for v in values.tolist()], dtype=object)
        return np.array([None if v != v else label_text(v) for v in values.tolist()], dtype=object)
    if values.dtype.kind in "biuf":
        return values.astype(np.float64, copy=False)
    numbers = np.full(len(values), np.nan)
    for i, value in enumerate(values.tolist()):
        numbers[i] = _number(value)
    return numbers


def _number(value: Any) -> float:
    if value is None or isinstance(value, bool | np.bool_):
        return float("nan") if value is None else float(value)
    if isinstance(value, bytes):
        value = value.decode(errors="replace")
    if isinstance(value, str):
        word = _BOOLEAN_WORDS.get(value.strip().lower())
        if word is not None:
            return word
    try:
        return float(value)
    except (TypeError, ValueError):
        return float("nan")


@dataclass(frozen=True)
class VersionFacts:
    """What the registry says of a version that its reference is built from."""

    name: str  # models/{model}/versions/{n}
    task: Task
    class_labels: tuple[str, ...]  # the signature's, as text
    features: tuple[FeatureRef, ...]
    artifact_sha256: str
    artifact_format: str  # skops, pickle, joblib, onnx
    framework_versions: dict[str, str]  # recorded library versions, unset ones left out
    holdout_metrics: dict[str, float]
    training_job: str
    profile_row_count: int
    verified: bool = False  # lineage verified by the registry: its row counts are believed


@dataclass(frozen=True)
class Reference:
    version: str  # models/{model}/versions/{n}
    model: str  # models/{model}
    task: Task
    features: tuple[FeatureRef, ...]
    columns: dict[str, npt.NDArray[Any]]  # the reference sample, by feature, as typed_column
    target: npt.NDArray[Any] | None
    outputs: dict[str, npt.NDArray[Any]]  # the model's outputs on the sample
    class_labels: tuple[str, ...]  # order of the predict_proba columns
    holdout_metrics: dict[str, float]
    training_job: str
    profile_row_count: int
    notes: tuple[str, ...] = field(default=())  # what could not be built, and why
    holdout_row_count: int = 0  # holdout rows behind ``outputs``; 0: they are the training sample's
    # The holdout rows behind ``outputs`` (as typed_column) and their target, when ``outputs``
    # come from them: the labeled rows the performance estimators learn from.
    holdout_columns: dict[str, npt.NDArray[Any]] = field(default_factory=dict)
    holdout_target: npt.NDArray[Any] | None = None
    # Sketches of the whole training columns, by feature, where they can be used (module
    # docstring); a feature without one is described by the sample alone.
    sketches: dict[str, ColumnSketch] = field(default_factory=dict)

    @property
    def kinds(self) -> dict[str, Kind]:
        return {f.name: f.kind for f in self.features}

    @property
    def sample_rows(self) -> int:
        return len(next(iter(self.columns.values()))) if self.columns else 0

    @property
    def row_count(self) -> int:
        """The training rows the reference stands for (the sample's own size when unknown)."""
        return max(self.profile_row_count, self.sample_rows)

    @property
    def output_sample_rows(self) -> int:
        return len(next(iter(self.outputs.values()))) if self.outputs else 0

    @property
    def output_row_count(self) -> int:
        """The rows the prediction reference stands for: the holdout's, else the training's."""
        if self.holdout_row_count:
            return max(self.holdout_row_count, self.output_sample_rows)
        return self.row_count


def _matrix(
    features: tuple[FeatureRef, ...], columns: dict[str, npt.NDArray[Any]]
) -> npt.NDArray[Any]:
    categorical = any(f.data_type == "BYTES" for f in features)
    if categorical:
        return np.column_stack([np.asarray(columns[f.name], dtype=object) for f in features])
    return np.column_stack([np.asarray(columns[f.name], dtype=np.float64) for f in features])


def _model_outputs(
    model: Any, rows: npt.NDArray[Any], task: Task, class_labels: tuple[str, ...]
) -> dict[str, npt.NDArray[Any]]:
    outputs: dict[str, npt.NDArray[Any]] = {PREDICT: np.asarray(model.predict(rows))}
    if task == "classification" and hasattr(model, "predict_proba"):
        proba = np.asarray(model.predict_proba(rows), dtype=np.float64)
        labels = class_labels or tuple(label_text(c) for c in getattr(model, "classes_", ()))
        for j, label in enumerate(labels[: proba.shape[1]]):
            outputs[proba_column(label)] = proba[:, j]
    if task == "classification":
        outputs[PREDICT] = np.array(
            [label_text(v) for v in outputs[PREDICT].tolist()], dtype=object
        )
    return outputs


def _read(version: str, path: Path, limits: ReferenceLimits) -> ReferenceData:
    try:
        return read_reference(path, limits)
    except LimitExceededError as error:
        raise FailedPreconditionError(
            f"the reference file of {version} has {error} "
            f"(--{_SETTINGS[error.limit_field]}); it was not read",
            reason=Reason.REFERENCE_TOO_LARGE,
            metadata={"resource": version},
        ) from None
    except Exception as error:  # any malformed file: the uploader's, not an internal error
        log.warning("a reference file could not be read", version=version, error=str(error))
        raise FailedPreconditionError(
            f"the reference file of {version} cannot be read as a reference file",
            reason=Reason.REFERENCE_UNREADABLE,
            metadata={"resource": version},
        ) from None


def _sketched_rows(data: ReferenceData) -> int:
    """The rows the sketches of ``data`` were made of (0: none, or not all alike)."""
    counts = set()
    for raw in data.sketches.values():
        try:
            counts.add(int(raw["count"]) + int(raw["missing_count"]))
        except (KeyError, TypeError, ValueError):
            return 0
    return counts.pop() if len(counts) == 1 else 0


def _includes_holdout(version: VersionFacts, data: ReferenceData) -> bool:
    """Whether the data reference is both splits (module docstring): the file has holdout rows
    of every feature, and its sketches, if believed, were made of both splits too."""
    if not data.holdout_sample_rows or not all(
        f.name in data.holdout_columns for f in version.features
    ):
        return False
    if version.verified and data.sketches and data.holdout_row_count:
        return _sketched_rows(data) != data.row_count  # training split only: an older file
    return True


def _thinned(values: npt.NDArray[Any], keep: npt.NDArray[np.int64]) -> npt.NDArray[Any]:
    return values if len(keep) == len(values) else values[keep]


def _whole_data(
    version: VersionFacts, data: ReferenceData
) -> tuple[dict[str, npt.NDArray[Any]], npt.NDArray[Any], int]:
    """The training and holdout samples as one uniform sample of both splits, its target, and
    the rows it stands for (both splits' when believed, else 0: the sample's own). A split
    sampled at a higher rate than the other is thinned to the other's rate (seeded, so every
    report of a version reads the same rows); samples of whole splits are joined as they are.
    The file's row counts choose the rates even when they are not believed: a false claim can
    only thin the sample, never make it stand for more rows."""
    train_rows, held_rows = data.sample_rows, data.holdout_sample_rows
    keep_train = np.arange(train_rows)
    keep_held = np.arange(held_rows)
    if data.row_count >= train_rows and data.holdout_row_count >= held_rows:
        rate = min(train_rows / max(data.row_count, 1), held_rows / max(data.holdout_row_count, 1))
        rng = np.random.default_rng(0)
        wanted_train = min(train_rows, round(rate * data.row_count))
        wanted_held = min(held_rows, round(rate * data.holdout_row_count))
        if wanted_train < train_rows:
            keep_train = np.sort(rng.choice(train_rows, wanted_train, replace=False))
        if wanted_held < held_rows:
            keep_held = np.sort(rng.choice(held_rows, wanted_held, replace=False))
    rows = data.row_count + data.holdout_row_count if version.verified else 0
    columns = {
        name: np.concatenate(
            [_thinned(values, keep_train), _thinned(data.holdout_columns[name], keep_held)]
        )
        for name, values in data.columns.items()
        if name in data.holdout_columns
    }
    held_target = data.holdout_target if data.holdout_target is not None else data.target[:0]
    target = np.concatenate([_thinned(data.target, keep_train), _thinned(held_target, keep_held)])
    return columns, target, rows


def _sketches(
    version: VersionFacts, data: ReferenceData, rows: int, notes: list[str]
) -> dict[str, ColumnSketch]:
    """The whole-column sketches of ``data`` that can stand for the features (module
    docstring), made of ``rows`` rows; why the others cannot goes to ``notes``."""
    if not data.sketches or not version.verified:
        return {}  # a version before sketches, or whose row counts are not believed
    kept: dict[str, ColumnSketch] = {}
    refused: list[str] = []
    for feature in version.features:
        raw = data.sketches.get(feature.name)
        if raw is None:
            continue
        try:
            sketch = ColumnSketch.from_dict(raw)
        except (ValueError, AttributeError):
            refused.append(feature.name)
            continue
        if sketch.count + sketch.missing_count != rows or sketch.numeric == (
            feature.data_type == TEXT_TYPE
        ):
            refused.append(feature.name)
            continue
        kept[feature.name] = sketch
    if refused:
        notes.append(
            f"the whole-column sketches of {', '.join(refused)} do not match the training set "
            "or the signature; the reference sample stands for them"
        )
    return kept


def build_reference(
    version: VersionFacts,
    *,
    sample_file: Path | None,
    model_file: Path | None,
    allow_pickle: bool = False,
    limits: ReferenceLimits = DEFAULT_REFERENCE_LIMITS,
) -> Reference:
    """The reference of ``version`` from the registry's facts and its cached files (either may
    be missing: drift is then reported without that part, with a note saying so).
    ``FailedPreconditionError`` for a sample file over ``limits`` or unreadable."""
    task, class_labels, features = version.task, version.class_labels, version.features
    notes: list[str] = []
    columns: dict[str, npt.NDArray[Any]] = {}
    raw: dict[str, npt.NDArray[Any]] = {}  # as training fed the model, to score it
    target: npt.NDArray[Any] | None = None
    holdout_rows = 0
    holdout_columns: dict[str, npt.NDArray[Any]] = {}
    holdout_target: npt.NDArray[Any] | None = None
    sketches: dict[str, ColumnSketch] = {}
    row_count = version.profile_row_count if version.verified else 0
    if sample_file is not None:
        data = _read(version.name, sample_file, limits)
        sample, target = data.columns, data.target
        raw = {f.name: sample[f.name] for f in features if f.name in sample}
        sketched = data.row_count  # the rows the sketches must have been made of
        if _includes_holdout(version, data):
            sample, target, row_count = _whole_data(version, data)
            sketched += data.holdout_row_count
        sketches = _sketches(version, data, sketched, notes)
        if data.holdout_sample_rows and all(f.name in data.holdout_columns for f in features):
            # The model is scored on the holdout rows, never seen in fitting (module docstring).
            raw = {f.name: data.holdout_columns[f.name] for f in features}
            holdout_rows = data.holdout_row_count if version.verified else data.holdout_sample_rows
            holdout_columns = {f.name: typed_column(f, raw[f.name]) for f in features}
            holdout_target = data.holdout_target
            if task == "classification" and holdout_target is not None:
                holdout_target = np.array(
                    [label_text(v) for v in holdout_target.tolist()], dtype=object
                )
        columns = {f.name: typed_column(f, sample[f.name]) for f in features if f.name in sample}
        absent = [f.name for f in features if f.name not in sample]
        if absent:
            notes.append(f"the reference sample lacks {', '.join(absent)}")
        if task == "classification" and target is not None:
            target = np.array([label_text(v) for v in target.tolist()], dtype=object)
    else:
        notes.append("the version has no reference sample; drift cannot be measured")
    outputs: dict[str, npt.NDArray[Any]] = {}
    if model_file is not None and columns and len(columns) == len(features):
        try:
            model = load_model(
                model_file,
                sha256=version.artifact_sha256,
                fmt=version.artifact_format,
                framework_versions=version.framework_versions,
                allow_pickle=allow_pickle,
            )
            outputs = _model_outputs(model, _matrix(features, raw), task, class_labels)
        except Exception as error:
            log.warning(
                "the model could not score its reference sample",
                version=version.name,
                error=str(error),
            )
            notes.append(f"the model could not score its reference sample: {error}")
    return Reference(
        version=version.name,
        model=version.name.rsplit("/versions/", 1)[0],
        task=task,
        features=features,
        columns=columns,
        target=target,
        outputs=outputs,
        class_labels=class_labels,
        holdout_metrics=dict(version.holdout_metrics),
        training_job=version.training_job,
        # Unverified: the sample's own size (module docstring).
        profile_row_count=row_count,
        notes=tuple(notes),
        holdout_row_count=holdout_rows if outputs else 0,
        holdout_columns=holdout_columns if outputs else {},
        holdout_target=holdout_target if outputs else None,
        sketches={name: sketch for name, sketch in sketches.items() if name in columns},
    )
