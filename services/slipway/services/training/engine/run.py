"""One training job, end to end: load, split, search, fit, evaluate, profile, save.

``train`` runs in the worker's child process. It reports ``Progress`` through a callback, with a
percent that never goes down: loading 0-5, searching 5-80, fitting up to 85 (5-85 without a
search), evaluating to 90, profiling to 95; registering (95-100) is the caller's. It writes the
model (``model.skops``) and the reference (``reference.parquet``: bounded uniform samples of the
training and holdout rows, with sketches of every whole column of both splits, see
``slipway.ml.profiles``) into ``out_dir`` and returns everything else in a ``TrainingOutcome``.
Monitoring compares live inputs with the whole training data (both splits) and live predictions
with the model's predictions on the holdout rows: a model that fits its training rows closely
(an unconstrained tree) is overconfident there, and would show prediction drift on any fresh data.

The same spec, data and seed give the same model: the split, the search's candidates and folds,
the sample rows and every estimator's ``random_state`` (unless the spec sets it) come from the
seed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from sklearn.model_selection import train_test_split  # type: ignore[import-untyped]

from slipway.ml import model_files
from slipway.ml.missing_values import accepts_missing_values
from slipway.ml.profiles import FeatureStats, Kind, feature_sketch, feature_stats, write_reference
from slipway.services.training.engine import datasets
from slipway.services.training.engine.estimators import build, supports_proba
from slipway.services.training.engine.evaluation import evaluate
from slipway.services.training.engine.failures import FITTING_ERRORS, failure
from slipway.services.training.engine.outcome import (
    ArtifactFile,
    DataType,
    FeatureSignature,
    OutputSignature,
    Progress,
    TrainingFailed,
    TrainingOutcome,
)
from slipway.services.training.engine.params import json_params, json_value
from slipway.services.training.engine.search import SearchResult, cv_folds, search
from slipway.services.training.engine.spec import Estimator, JobSpec
from slipway.services.training.engine.validation import test_fraction

__all__ = [
    "DEFAULT_SAMPLE_ROWS",
    "MAX_SIGNATURE_CATEGORIES",
    "MODEL_FILENAME",
    "SAMPLE_FILENAME",
    "train",
]

MODEL_FILENAME = "model.skops"
SAMPLE_FILENAME = "reference.parquet"
# Rows of each split kept in the reference; above 1000 the drift methods are the large-reference
# ones, and at 100k a sample's Wasserstein distance is within about 1e-3 of the whole data's.
DEFAULT_SAMPLE_ROWS = 100_000
MAX_REPORTED_CANDIDATES = 100  # the best search candidates kept in the outcome's extra
# A categorical input with more distinct values than this (an identifier, say) is signed without
# its categories: listing them all would bloat every registry read of the version.
MAX_SIGNATURE_CATEGORIES = 1000


def train(
    spec: JobSpec,
    *,
    data_root: Path,
    out_dir: Path,
    progress: Callable[[Progress], None],
    limits: datasets.DatasetLimits = datasets.DEFAULT_LIMITS,
    sample_rows: int = DEFAULT_SAMPLE_ROWS,
) -> TrainingOutcome:
    """Train, evaluate and profile the model ``spec`` describes; ``TrainingFailed`` when the spec
    or the data does not allow it (see ``failures``). ``sample_rows`` bounds each split's rows in
    the reference file."""
    seed = spec.split.seed
    progress(Progress(stage="loading", percent=0.0, message="reading the dataset"))
    try:
        data = datasets.load(spec.dataset, data_root, limits)
    except (datasets.DatasetPathError, datasets.DatasetFormatError) as exc:
        raise TrainingFailed("bad_spec", str(exc)) from None
    (x_train, x_test, y_train, y_test), stratified, why = _split(spec, data)
    progress(
        Progress(
            stage="loading",
            percent=5.0,
            message=f"{len(y_train)} training rows, {len(y_test)} holdout rows ({why})",
        )
    )
    if spec.task == "classification" and len(np.unique(y_train)) < 2:
        raise TrainingFailed(
            "bad_data",
            "the training split holds a single class of the target; "
            "a classification needs at least 2",
        )
    try:
        model = build(spec.estimator, data.feature_names, seed=seed)
    except (ValueError, KeyError) as exc:  # a spec that validation would have refused
        raise TrainingFailed("bad_spec", f"cannot build the estimator: {exc}") from None

    found: SearchResult | None = None
    fit_start = 5.0
    if spec.search is not None:
        found = search(
            model, spec.search, x_train, y_train, seed=seed, progress=progress, percent=(5.0, 80.0)
        )
        model.set_params(**found.best_params)
        fit_start = 80.0
    progress(Progress(stage="fitting", percent=fit_start, message="fitting on the training split"))
    try:
        model.fit(x_train, y_train)
    except FITTING_ERRORS as exc:
        raise failure(exc, "fitting") from None
    progress(Progress(stage="fitting", percent=85.0, message="fitted"))

    progress(Progress(stage="evaluating", percent=85.0, message="scoring the holdout"))
    try:
        metrics = evaluate(model, x_test, y_test, task=spec.task)
        # The outputs' profile needs the distribution of predictions, not every one of them:
        # a seeded sample keeps a 1M-row training set from costing a second full pass.
        profiled = _profile_rows(len(y_train), seed)
        predicted = model.predict(x_train if profiled is None else x_train[profiled])
    except FITTING_ERRORS as exc:
        raise failure(exc, "predicting") from None
    progress(
        Progress(
            stage="evaluating",
            percent=90.0,
            message=", ".join(f"{k} {v:.4g}" for k, v in sorted(metrics.items())),
        )
    )

    progress(Progress(stage="profiling", percent=90.0, message="profiling the training data"))
    out_dir.mkdir(parents=True, exist_ok=True)
    target_kind = _target_kind(spec, model)
    # Numeric columns of an object matrix hold floats: cast them, so statistics stay vectorised.
    features = tuple(
        feature_stats(name, x_train[:, j] if categorical else x_train[:, j].astype(np.float64))
        for j, (name, categorical) in enumerate(
            zip(data.feature_names, data.categorical, strict=True)
        )
    )
    outputs = (feature_stats("predict", predicted, target_kind),)
    target = feature_stats(datasets.target_column(spec.dataset), y_train, target_kind)
    sample, sample_rows = _write_reference(
        out_dir / SAMPLE_FILENAME, data, (x_train, y_train), (x_test, y_test), seed, sample_rows
    )
    model_file = _write_model(out_dir / MODEL_FILENAME, model)
    progress(Progress(stage="profiling", percent=95.0, message="model and profile written"))

    return TrainingOutcome(
        model=model_file,
        inputs=_inputs(data, x_train, features),
        outputs=_outputs(spec, model, y_train),
        metrics=metrics,
        params=json_params(model.get_params(deep=not isinstance(spec.estimator, Estimator))),
        best_params={} if found is None else json_params(found.best_params),
        dataset=data.reference,
        seed=seed,
        framework_versions=model_files.current_framework_versions(),
        profile_features=tuple(stats.to_dict() for stats in features),
        profile_outputs=tuple(stats.to_dict() for stats in outputs),
        profile_target=target.to_dict(),
        profile_row_count=len(y_train),
        sample=sample,
        sample_row_count=sample_rows,
        extra=_extra(spec, len(y_train), len(y_test), found) | {"stratified": stratified},
        accepts_missing_values=accepts_missing_values(model, x_train[:PROBE_ROWS]),
    )


MAX_OUTPUT_PROFILE_ROWS = 10_000
# Rows the missing-value probe may look through for a complete one, and to tell text columns
# (any value a str) from numeric ones.
PROBE_ROWS = 64


def _profile_rows(count: int, seed: int) -> npt.NDArray[np.int64] | None:
    """Which training rows the outputs' profile predicts (None: all of them)."""
    if count <= MAX_OUTPUT_PROFILE_ROWS:
        return None
    return np.sort(
        np.random.default_rng(seed + 1).choice(count, MAX_OUTPUT_PROFILE_ROWS, replace=False)
    )


def _split(
    spec: JobSpec, data: datasets.TrainingData
) -> tuple[tuple[npt.NDArray[Any], ...], bool, str]:
    """The four parts of the holdout split, whether it is stratified, and a few words saying so.

    Unset, a classification is stratified so that the holdout keeps the data's class proportions
    (a small or imbalanced dataset otherwise scores on a skewed holdout). When the data cannot be
    stratified (a class of one row, more classes than holdout rows) the split falls back to an
    unstratified one rather than failing the job; validation has already refused ``True`` there.
    """
    if spec.task != "classification" or spec.split.stratify is False:
        return _split_parts(spec, data, stratified=False), False, "not stratified"
    if spec.split.stratify is None:
        _, counts = np.unique(data.y, return_counts=True)
        if counts.size and int(counts.min()) < 2:
            why = "not stratified: a class of the target has a single row"
            return _split_parts(spec, data, stratified=False), False, why
        try:
            return _split_parts(spec, data, stratified=True), True, "stratified on the target"
        except TrainingFailed:
            why = "not stratified: too few holdout rows for every class"
            return _split_parts(spec, data, stratified=False), False, why
    return _split_parts(spec, data, stratified=True), True, "stratified on the target"


def _split_parts(
    spec: JobSpec, data: datasets.TrainingData, *, stratified: bool
) -> tuple[npt.NDArray[Any], ...]:
    try:
        parts: list[npt.NDArray[Any]] = train_test_split(
            data.X,
            data.y,
            test_size=test_fraction(spec),
            stratify=data.y if stratified else None,
            random_state=spec.split.seed,
        )
    except ValueError as exc:
        raise TrainingFailed("bad_data", failure(exc, "splitting").message) from None
    return tuple(parts)


def _target_kind(spec: JobSpec, model: Any) -> Kind:
    if spec.task == "regression":
        return "numeric"
    return "binary" if len(model.classes_) == 2 else "categorical"


# --- files -------------------------------------------------------------------------------------


def _write_model(path: Path, model: Any) -> ArtifactFile:
    data = model_files.dump_model(model)
    # Some hyperparameters make a fitted model hold types the loader does not trust (a k-NN
    # Minkowski distance with p=3); such a model could be registered but never served.
    untrusted = model_files.inspect_artifact(data, "skops")
    if untrusted:
        raise TrainingFailed(
            "bad_spec",
            "the fitted model holds types that model files may not "
            f"contain ({', '.join(untrusted)}); choose other "
            "hyperparameters",
        )
    path.write_bytes(data)
    return ArtifactFile(path.name, hashlib.sha256(data).hexdigest(), len(data), "skops")


def _chosen(count: int, limit: int, seed: int) -> npt.NDArray[np.int64]:
    rows = min(limit, count)
    return np.sort(np.random.default_rng(seed).choice(count, size=rows, replace=False))


def _write_reference(
    path: Path,
    data: datasets.TrainingData,
    train_split: tuple[npt.NDArray[Any], npt.NDArray[Any]],
    holdout_split: tuple[npt.NDArray[Any], npt.NDArray[Any]],
    seed: int,
    limit: int,
) -> tuple[ArtifactFile, int]:
    (x_train, y_train), (x_test, y_test) = train_split, holdout_split
    chosen = _chosen(len(y_train), limit, seed)
    held = _chosen(len(y_test), limit, seed + 2)
    write_reference(
        path,
        {name: x_train[chosen, j] for j, name in enumerate(data.feature_names)},
        y_train[chosen],
        row_count=len(y_train),
        holdout_columns={name: x_test[held, j] for j, name in enumerate(data.feature_names)},
        holdout_target=y_test[held],
        holdout_row_count=len(y_test),
        # Of the whole training data, both splits, whatever the samples' sizes: monitoring's
        # data reference is both splits (the holdout is data the model is meant for too).
        sketches={
            name: feature_sketch(
                np.concatenate([x_train[:, j], x_test[:, j]])
                if categorical
                else np.concatenate([x_train[:, j], x_test[:, j]]).astype(np.float64)
            )
            for j, (name, categorical) in enumerate(
                zip(data.feature_names, data.categorical, strict=True)
            )
        },
    )
    content = path.read_bytes()
    file = ArtifactFile(path.name, hashlib.sha256(content).hexdigest(), len(content), "parquet")
    return file, len(chosen)


# --- signature ---------------------------------------------------------------------------------


def _inputs(
    data: datasets.TrainingData, x_train: npt.NDArray[Any], stats: tuple[FeatureStats, ...]
) -> tuple[FeatureSignature, ...]:
    inputs = []
    for j, (name, categorical) in enumerate(zip(data.feature_names, data.categorical, strict=True)):
        categories: tuple[str, ...] = ()
        if categorical:
            seen = {v for v in x_train[:, j].tolist() if isinstance(v, str)}
            if len(seen) <= MAX_SIGNATURE_CATEGORIES:
                categories = tuple(sorted(seen))
        inputs.append(
            FeatureSignature(
                name=name,
                data_type="BYTES" if categorical else "FP64",
                kind=stats[j].kind,
                categories=categories,
            )
        )
    return tuple(inputs)


def _label_type(labels: npt.NDArray[Any]) -> DataType:
    kind = labels.dtype.kind
    if kind == "b":
        return "BOOL"
    if kind in "iu":
        return "INT64"
    if kind == "f":
        return "FP64"
    return "BYTES"


def _outputs(
    spec: JobSpec,
    model: Any,
    y_train: npt.NDArray[Any],
) -> tuple[OutputSignature, ...]:
    if spec.task == "regression":
        return (OutputSignature("predict", "FP64", (-1,)),)
    classes = np.asarray(model.classes_)
    labels = tuple(json_value(label)[1] for label in classes)
    outputs = [OutputSignature("predict", _label_type(y_train), (-1,), labels)]
    if supports_proba(model):
        outputs.append(OutputSignature("predict_proba", "FP64", (-1, len(classes)), labels))
    return tuple(outputs)


def _extra(
    spec: JobSpec, train_rows: int, test_rows: int, found: SearchResult | None
) -> dict[str, Any]:
    extra: dict[str, Any] = {"train_row_count": train_rows, "test_row_count": test_rows}
    if found is not None and spec.search is not None:
        ranked = sorted(range(len(found.candidates)), key=lambda i: -found.mean_scores[i])
        extra["search"] = {
            "strategy": spec.search.strategy,
            "scoring": found.scoring or "score",
            "cv_folds": cv_folds(spec.search),
            "candidate_count": len(found.candidates),
            "best_score": json_value(found.best_score)[1],
            # The best candidates, best first; a failed one scores "-inf".
            "candidates": [
                {
                    "params": json_params(found.candidates[i]),
                    "mean_score": json_value(found.mean_scores[i])[1],
                }
                for i in ranked[:MAX_REPORTED_CANDIDATES]
            ],
        }
    return extra
