"""Everything about a training job that can be checked before it is queued.

``validate`` returns every violation it finds (not only the first), each addressed by its field
in the ``CreateTrainingJobRequest`` message. It reads the dataset (``datasets.describe``, which
keeps recent files' summaries) but fits nothing: a spec that passes can still fail at run time,
for a hyperparameter combination the estimator refuses or data it cannot fit.

Zero stands for the API's defaults, as an unset proto3 field does: ``test_fraction`` 0.2,
``cv_folds`` 5, ``n_iter`` 10, ``max_parallel_trials`` 1, ``grid_points`` 5, ``int_range.step``
1.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sklearn.metrics import get_scorer, get_scorer_names  # type: ignore[import-untyped]

from slipway.services.training.engine import datasets
from slipway.services.training.engine.datasets import (
    BUNDLED_TASKS,
    DEFAULT_LIMITS,
    DatasetFormatError,
    DatasetInfo,
    DatasetLimits,
    DatasetPathError,
)
from slipway.services.training.engine.estimators import (
    ENCODERS,
    build,
    final_role,
    hyperparameter_violations,
    resolve_parameter,
    value_problem,
)
from slipway.services.training.engine.outcome import TrainingFailed, Violation
from slipway.services.training.engine.search import (
    MAX_CANDIDATES,
    cv_folds,
    domain_size,
    n_iter,
    parallel_trials,
)
from slipway.services.training.engine.spec import (
    BUNDLED_DATASETS,
    ColumnTransformer,
    Estimator,
    EstimatorSpec,
    JobSpec,
    Pipeline,
    SearchParameter,
    SearchSpec,
)

__all__ = ["DEFAULT_TEST_FRACTION", "MAX_CV_FOLDS", "MAX_SEED", "test_fraction", "validate"]

DEFAULT_TEST_FRACTION = 0.2
MAX_TEST_FRACTION = 0.5
MAX_CV_FOLDS = 20
MAX_SEED = 2**32 - 1  # numpy's RandomState takes seeds up to 2**32 - 1
TASKS = ("classification", "regression")

_JOB = "training_job"
_DATASET = f"{_JOB}.dataset"
_SPLIT = f"{_JOB}.split"
_SEARCH = f"{_JOB}.search"
# The modules of scikit-learn's metric functions, by the task they apply to.
_CLASSIFICATION_METRICS = ("sklearn.metrics._classification", "sklearn.metrics._ranking")
_REGRESSION_METRICS = ("sklearn.metrics._regression",)


def test_fraction(spec: JobSpec) -> float:
    return spec.split.test_fraction or DEFAULT_TEST_FRACTION


def validate(
    spec: JobSpec, data_root: Path, limits: DatasetLimits = DEFAULT_LIMITS
) -> list[Violation]:
    """Every violation in ``spec``, checked against the data under ``data_root`` (a dataset
    file over ``limits`` is refused before it is read)."""
    violations: list[Violation] = []
    if spec.task not in TASKS:
        violations.append(Violation(f"{_JOB}.task", "must be classification or regression"))
    info, features, categorical, dataset_violations = _dataset(spec, data_root, limits)
    violations += dataset_violations
    estimator_violations = hyperparameter_violations(
        spec.estimator, f"{_JOB}.estimator", columns=features
    )
    violations += estimator_violations
    if not estimator_violations:
        violations += _role(spec)
        unencoded = _unencoded(spec.estimator, categorical)
        if unencoded:
            violations.append(
                Violation(
                    f"{_JOB}.estimator",
                    f"the categorical columns {', '.join(map(repr, unencoded))} reach an estimator "
                    "that needs numbers; encode them first, for example with OneHotEncoder in a "
                    "ColumnTransformer",
                )
            )
    violations += _split(spec, info)
    if spec.search is not None:
        model = None
        if not estimator_violations:
            names = features if features is not None else _selected_columns(spec.estimator)
            model = build(spec.estimator, names, seed=0)
        violations += _search(spec, spec.search, model, info)
    return violations


# --- dataset -----------------------------------------------------------------------------------


def _dataset(
    spec: JobSpec,
    data_root: Path,
    limits: DatasetLimits,
) -> tuple[DatasetInfo | None, tuple[str, ...] | None, tuple[str, ...], list[Violation]]:
    """The dataset's summary, feature columns and categorical features (when known), and the
    violations."""
    dataset = spec.dataset
    if bool(dataset.path) == bool(dataset.bundled):
        return None, None, (), [Violation(_DATASET, "exactly one of path and bundled is required")]
    violations = []
    if dataset.format not in ("", "csv", "parquet"):
        violations.append(Violation(f"{_DATASET}.format", "must be csv or parquet"))
    if dataset.bundled:
        if dataset.bundled not in BUNDLED_DATASETS:
            return (
                None,
                None,
                (),
                [
                    *violations,
                    Violation(
                        f"{_DATASET}.bundled",
                        f"unknown bundled dataset {dataset.bundled!r}; one of "
                        f"{', '.join(BUNDLED_DATASETS)}",
                    ),
                ],
            )
        if dataset.format:
            violations.append(Violation(f"{_DATASET}.format", "only for files"))
        task = BUNDLED_TASKS[dataset.bundled]
        if spec.task in TASKS and task != spec.task and not dataset.target_column:
            violations.append(
                Violation(
                    f"{_DATASET}.bundled",
                    f"{dataset.bundled} is a {task} dataset; the job's task is {spec.task}",
                )
            )
    if violations:
        return None, None, (), violations
    try:
        info = datasets.describe(dataset, data_root, limits)
    except DatasetPathError as exc:
        return None, None, (), [Violation(f"{_DATASET}.path", str(exc))]
    except DatasetFormatError as exc:
        return None, None, (), [Violation(f"{_DATASET}.format", str(exc))]
    except TrainingFailed as exc:
        return None, None, (), [Violation(f"{_DATASET}.path", exc.message)]
    violations += _columns(spec, info)
    if violations:
        return info, None, (), violations
    features = datasets.feature_columns(dataset, info.names)
    categorical = tuple(
        name for name in features if datasets.is_categorical(dataset, name, _known(info, name).kind)
    )
    return info, features, categorical, violations


def _known(info: DatasetInfo, name: str) -> datasets.ColumnInfo:
    column = info.column(name)
    if column is None:
        raise KeyError(name)
    return column


def _columns(spec: JobSpec, info: DatasetInfo) -> list[Violation]:
    dataset = spec.dataset
    names = info.names
    violations = []
    duplicated = sorted({name for name in names if names.count(name) > 1})
    if duplicated:
        where = "path" if dataset.path else "bundled"
        violations.append(
            Violation(f"{_DATASET}.{where}", f"duplicate column names: {', '.join(duplicated)}")
        )
    if info.row_count == 0:
        violations.append(Violation(f"{_DATASET}.path", "the file has no rows"))
    target = datasets.target_column(dataset)
    if not target:
        violations.append(Violation(f"{_DATASET}.target_column", "required for a file"))
    elif target not in names:
        violations.append(
            Violation(f"{_DATASET}.target_column", f"{target!r} is not a column of the dataset")
        )
    else:
        violations += _target(spec, _known(info, target))
    seen: set[str] = set()
    for i, name in enumerate(dataset.feature_columns):
        where = f"{_DATASET}.feature_columns[{i}]"
        if name not in names:
            violations.append(Violation(where, f"{name!r} is not a column of the dataset"))
        elif name == target:
            violations.append(Violation(where, "the target cannot be a feature"))
        elif name in seen:
            violations.append(Violation(where, f"{name!r} is listed twice"))
        seen.add(name)
    features = datasets.feature_columns(dataset, names)
    if not features:
        violations.append(
            Violation(f"{_DATASET}.feature_columns", "the dataset has no column besides the target")
        )
    for i, name in enumerate(dataset.categorical_columns):
        if name not in features and name != target:
            violations.append(
                Violation(
                    f"{_DATASET}.categorical_columns[{i}]", f"{name!r} is not a feature column"
                )
            )
    for name in features:
        column = info.column(name)
        if column is None or datasets.is_categorical(dataset, name, column.kind):
            continue
        if column.kind == "text" and not column.numeric_text:
            violations.append(
                Violation(
                    f"{_DATASET}.categorical_columns",
                    f"the feature {name!r} holds text that is not numbers; list it here to treat "
                    "it as categorical",
                )
            )
        elif column.kind == "other":
            violations.append(
                Violation(
                    f"{_DATASET}.categorical_columns",
                    f"the feature {name!r} has type {column.type_name}, neither numeric nor text; "
                    "list it here to treat it as categorical, or leave it out of the features",
                )
            )
    return violations


def _target(spec: JobSpec, column: datasets.ColumnInfo) -> list[Violation]:
    where = f"{_DATASET}.target_column"
    if column.missing_count:
        return [
            Violation(
                where,
                f"the target {column.name!r} has {column.missing_count} "
                "missing values; drop those rows first",
            )
        ]
    categorical = column.name in spec.dataset.categorical_columns
    if spec.task == "regression":
        if column.kind != "numeric" or categorical:
            return [
                Violation(
                    where,
                    f"the target {column.name!r} is not numeric; a regression "
                    "needs a numeric target",
                )
            ]
        return []
    if spec.task != "classification":
        return []
    if column.kind == "other" and not categorical:
        return [
            Violation(
                where,
                f"the target {column.name!r} has type {column.type_name}; "
                "list it in categorical_columns to use its values as classes",
            )
        ]
    if column.kind == "numeric" and not column.integral and not categorical:
        return [
            Violation(
                where,
                f"the target {column.name!r} holds continuous values; a "
                "classification needs class labels",
            )
        ]
    if column.distinct_count < 2:
        return [
            Violation(
                where,
                f"the target {column.name!r} has {column.distinct_count} "
                "class; a classification needs at least 2",
            )
        ]
    return []


# --- estimator and task ------------------------------------------------------------------------


def _role(spec: JobSpec) -> list[Violation]:
    role = final_role(spec.estimator)
    if role == "transformer":
        return [
            Violation(
                f"{_JOB}.estimator", "the estimator must be, or end in, a classifier or a regressor"
            )
        ]
    expected = {"classification": "classifier", "regression": "regressor"}.get(spec.task)
    if role is not None and expected is not None and role != expected:
        return [Violation(f"{_JOB}.task", f"the estimator is a {role}; the task is {spec.task}")]
    return []


def _selected_columns(spec: EstimatorSpec) -> tuple[str, ...]:
    """The column names a spec's ColumnTransformer selects, to build it without the dataset."""
    first = spec.steps[0].spec if isinstance(spec, Pipeline) and spec.steps else spec
    if not isinstance(first, ColumnTransformer):
        return ()
    return tuple(dict.fromkeys(c for entry in first.transformers for c in entry.columns))


_TEXT_IMPUTING = ("most_frequent", "constant")


def _encodes_text(spec: EstimatorSpec) -> bool:
    """Whether ``spec`` turns text input into numbers before anything that needs numbers: an
    encoder, possibly after imputers that keep text (most frequent or constant)."""
    if isinstance(spec, Estimator):
        return spec.class_name in ENCODERS
    if isinstance(spec, Pipeline):
        for step in spec.steps:
            if _encodes_text(step.spec):
                return True
            passes_text = (
                isinstance(step.spec, Estimator)
                and step.spec.class_name == "SimpleImputer"
                and step.spec.hyperparameters.get("strategy") in _TEXT_IMPUTING
            )
            if not passes_text:
                return False
    return False


def _unencoded(spec: EstimatorSpec, categorical: Sequence[str]) -> list[str]:
    """The categorical columns that reach a step needing numbers without an encoder."""
    if not categorical:
        return []
    first = spec.steps[0].spec if isinstance(spec, Pipeline) and spec.steps else spec
    if not isinstance(first, ColumnTransformer):
        return [] if _encodes_text(spec) else list(categorical)
    selected: set[str] = set()
    unencoded: set[str] = set()
    for entry in first.transformers:
        for column in entry.columns:
            selected.add(column)
            if column in categorical and not _encodes_text(entry.spec):
                unencoded.add(column)
    if first.remainder == "passthrough":
        unencoded |= set(categorical) - selected
    return [name for name in categorical if name in unencoded]


# --- split -------------------------------------------------------------------------------------


def _split(spec: JobSpec, info: DatasetInfo | None) -> list[Violation]:
    split = spec.split
    violations = []
    fraction = test_fraction(spec)
    if not (isinstance(fraction, int | float) and 0 < fraction <= MAX_TEST_FRACTION):
        violations.append(
            Violation(f"{_SPLIT}.test_fraction", f"must be in (0, {MAX_TEST_FRACTION}]")
        )
        fraction = DEFAULT_TEST_FRACTION
    if split.stratify and spec.task == "regression":
        violations.append(Violation(f"{_SPLIT}.stratify", "only for classification"))
    if not (isinstance(split.seed, int) and 0 <= split.seed <= MAX_SEED):
        violations.append(Violation(f"{_SPLIT}.seed", f"must be in [0, {MAX_SEED}]"))
    if info is None or info.row_count == 0:
        return violations
    rows = info.row_count
    test_rows = math.ceil(fraction * rows)
    train_rows = rows - test_rows
    if train_rows < 2:
        violations.append(
            Violation(
                _DATASET,
                f"the dataset has {rows} rows: too few to hold "
                "out a test split and train on the rest",
            )
        )
        return violations
    target = info.column(datasets.target_column(spec.dataset))
    if split.stratify and spec.task == "classification" and target is not None:
        if target.smallest_class < 2:
            violations.append(
                Violation(
                    f"{_SPLIT}.stratify",
                    f"the rarest class of {target.name!r} has "
                    f"{target.smallest_class} row; stratifying needs 2",
                )
            )
        elif min(test_rows, train_rows) < target.distinct_count:
            violations.append(
                Violation(
                    f"{_SPLIT}.test_fraction",
                    f"a stratified split of {rows} rows into {train_rows} and {test_rows} cannot "
                    f"hold every one of the {target.distinct_count} classes on both sides",
                )
            )
    return violations


# --- search ------------------------------------------------------------------------------------


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _parameter(
    parameter: SearchParameter,
    path: str,
    model: Any,
) -> tuple[list[Violation], int]:
    """The violations of one search parameter, and its number of grid values (0 if invalid)."""
    owner: tuple[type, str] | None = None
    if not parameter.name:
        return [Violation(f"{path}.name", "required")], 0
    if model is not None:
        try:
            owner = resolve_parameter(model, parameter.name)
        except ValueError as exc:
            return [Violation(f"{path}.name", str(exc))], 0
    domains = [
        d for d in (parameter.values, parameter.int_range, parameter.double_range) if d is not None
    ]
    if len(domains) != 1:
        return [Violation(path, "exactly one of values, int_range and double_range is required")], 0

    def problem(value: Any) -> str | None:
        return None if owner is None else value_problem(owner[0], owner[1], value)

    violations = []
    if parameter.values is not None:
        if not parameter.values:
            violations.append(Violation(f"{path}.values", "at least one value is required"))
        for j, value in enumerate(parameter.values):
            if (message := problem(value)) is not None:
                violations.append(Violation(f"{path}.values.values[{j}]", message))
    elif parameter.int_range is not None:
        violations += _int_range(parameter.int_range, f"{path}.int_range", problem)
    elif parameter.double_range is not None:
        violations += _double_range(parameter.double_range, f"{path}.double_range", problem)
    return violations, 0 if violations else domain_size(parameter)


def _int_range(domain: tuple[Any, ...], path: str, problem: Any) -> list[Violation]:
    if len(domain) != 3 or not all(_is_int(v) for v in domain):
        return [Violation(path, "min, max and step must be integers")]
    low, high, step = domain
    violations = []
    if high < low:
        violations.append(Violation(f"{path}.max", f"must be at least min ({low})"))
    if step < 0:
        violations.append(Violation(f"{path}.step", "must not be negative (0 means 1)"))
    for name, value in (("min", low), ("max", high)):
        if (message := problem(value)) is not None:
            violations.append(Violation(f"{path}.{name}", message))
    return violations


def _double_range(domain: tuple[Any, ...], path: str, problem: Any) -> list[Violation]:
    if len(domain) != 4 or not all(_is_number(v) for v in (domain[0], domain[1])):
        return [Violation(path, "min and max must be finite numbers")]
    low, high, log_scale, points = float(domain[0]), float(domain[1]), domain[2], domain[3]
    violations = []
    if high <= low:
        violations.append(Violation(f"{path}.max", f"must be greater than min ({low})"))
    if log_scale and low <= 0:
        violations.append(Violation(f"{path}.min", "must be positive on a log scale"))
    if not _is_int(points) or points == 1 or not 0 <= points <= MAX_CANDIDATES:
        violations.append(Violation(f"{path}.grid_points", f"must be in [2, {MAX_CANDIDATES}]"))
    for name, value in (("min", low), ("max", high)):
        if (message := problem(value)) is not None:
            violations.append(Violation(f"{path}.{name}", message))
    return violations


def _scoring(search: SearchSpec, task: str) -> list[Violation]:
    if not search.scoring:
        return []
    if search.scoring not in get_scorer_names():
        return [
            Violation(
                f"{_SEARCH}.scoring",
                f"{search.scoring!r} is not a scikit-learn "
                "scoring name, for example 'accuracy', "
                "'f1_macro' or 'neg_root_mean_squared_error'",
            )
        ]
    # A private attribute, read only to refuse an obvious mismatch early; without it the
    # mismatch surfaces when the search runs.
    module = getattr(getattr(get_scorer(search.scoring), "_score_func", None), "__module__", "")
    if (task == "regression" and module in _CLASSIFICATION_METRICS) or (
        task == "classification" and module in _REGRESSION_METRICS
    ):
        return [Violation(f"{_SEARCH}.scoring", f"{search.scoring!r} does not apply to {task}")]
    return []


def _search(
    spec: JobSpec, search: SearchSpec, model: Any, info: DatasetInfo | None
) -> list[Violation]:
    violations = []
    if search.strategy not in ("grid", "random"):
        violations.append(Violation(f"{_SEARCH}.strategy", "must be grid or random"))
    if not search.parameters:
        violations.append(Violation(f"{_SEARCH}.parameters", "at least one parameter is required"))
    sizes = []
    seen: set[str] = set()
    for i, parameter in enumerate(search.parameters):
        path = f"{_SEARCH}.parameters[{i}]"
        if parameter.name in seen:
            violations.append(Violation(f"{path}.name", f"{parameter.name!r} is searched twice"))
            continue
        seen.add(parameter.name)
        found, size = _parameter(parameter, path, model)
        violations += found
        sizes.append(size)
    if search.strategy == "grid" and all(sizes) and math.prod(sizes) > MAX_CANDIDATES:
        violations.append(
            Violation(
                f"{_SEARCH}.parameters",
                f"the grid has {math.prod(sizes)} candidates; at most {MAX_CANDIDATES}",
            )
        )
    if search.strategy == "random" and not 1 <= n_iter(search) <= MAX_CANDIDATES:
        violations.append(Violation(f"{_SEARCH}.n_iter", f"must be in [1, {MAX_CANDIDATES}]"))
    folds = cv_folds(search)
    if not 2 <= folds <= MAX_CV_FOLDS:
        violations.append(Violation(f"{_SEARCH}.cv_folds", f"must be in [2, {MAX_CV_FOLDS}]"))
    elif info is not None and info.row_count:
        train_rows = info.row_count - math.ceil(test_fraction(spec) * info.row_count)
        if 0 < train_rows < folds:
            violations.append(
                Violation(
                    f"{_SEARCH}.cv_folds",
                    f"the training split has {train_rows} rows, fewer than {folds} folds",
                )
            )
    violations += _scoring(search, spec.task)
    cpus = os.cpu_count() or 1
    if not 1 <= parallel_trials(search) <= cpus:
        violations.append(
            Violation(
                f"{_SEARCH}.max_parallel_trials", f"must be in [1, {cpus}] (the number of CPUs)"
            )
        )
    return violations
