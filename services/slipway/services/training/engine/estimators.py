"""The estimators a training job may name, and how a spec becomes a scikit-learn object.

A class name is looked up in ``ALLOWED``, never imported, so a dotted path names nothing. Every
allowed class, fitted, saves with ``model_files.dump_model`` and loads back through
``model_files.load_model``; the engine tests keep this list within ``TRUSTED_TYPES``.
Some hyperparameters make a fitted model hold further types (a k-NN ``p`` other than 1 or 2 keeps
a Minkowski distance object, for instance); those are caught when the model is saved
(``run.train`` inspects the file), since only a fit shows them.

Models are trained on a plain 2-D array whose columns are the job's feature columns, in order:
a ColumnTransformer's column names become positions in that array.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Literal, TypeAlias

from sklearn.base import is_classifier, is_regressor  # type: ignore[import-untyped]
from sklearn.compose import ColumnTransformer as SkColumnTransformer  # type: ignore[import-untyped]
from sklearn.dummy import DummyClassifier, DummyRegressor  # type: ignore[import-untyped]
from sklearn.ensemble import (  # type: ignore[import-untyped]
    ExtraTreesClassifier,
    ExtraTreesRegressor,
    GradientBoostingClassifier,
    GradientBoostingRegressor,
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.impute import KNNImputer, MissingIndicator, SimpleImputer  # type: ignore[import-untyped]
from sklearn.linear_model import (  # type: ignore[import-untyped]
    ElasticNet,
    Lasso,
    LinearRegression,
    LogisticRegression,
    Ridge,
    RidgeClassifier,
    SGDClassifier,
    SGDRegressor,
)
from sklearn.naive_bayes import (  # type: ignore[import-untyped]
    BernoulliNB,
    CategoricalNB,
    ComplementNB,
    GaussianNB,
    MultinomialNB,
)
from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor  # type: ignore[import-untyped]
from sklearn.pipeline import Pipeline as SkPipeline  # type: ignore[import-untyped]
from sklearn.preprocessing import (  # type: ignore[import-untyped]
    MaxAbsScaler,
    MinMaxScaler,
    OneHotEncoder,
    OrdinalEncoder,
    RobustScaler,
    StandardScaler,
    TargetEncoder,
)
from sklearn.svm import SVC, SVR, LinearSVC, LinearSVR  # type: ignore[import-untyped]
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor  # type: ignore[import-untyped]

from slipway.services.training.engine.outcome import Violation
from slipway.services.training.engine.spec import (
    ColumnTransformer,
    Estimator,
    EstimatorSpec,
    Pipeline,
)

__all__ = [
    "ALLOWED",
    "ENCODERS",
    "Role",
    "build",
    "coerce",
    "final_role",
    "hyperparameter_violations",
    "resolve_parameter",
    "supports_proba",
    "value_problem",
]

# scikit-learn ships no type hints: its estimators are Any here.
SkEstimator: TypeAlias = Any
Role = Literal["classifier", "regressor", "transformer"]

ALLOWED: Mapping[str, type] = MappingProxyType(
    {
        cls.__name__: cls
        for cls in (
            # linear models
            LogisticRegression,
            LinearRegression,
            Ridge,
            RidgeClassifier,
            Lasso,
            ElasticNet,
            SGDClassifier,
            SGDRegressor,
            # trees, forests and boosting
            DecisionTreeClassifier,
            DecisionTreeRegressor,
            RandomForestClassifier,
            RandomForestRegressor,
            ExtraTreesClassifier,
            ExtraTreesRegressor,
            GradientBoostingClassifier,
            GradientBoostingRegressor,
            HistGradientBoostingClassifier,
            HistGradientBoostingRegressor,
            # support vector machines, neighbours, naive Bayes, baselines
            SVC,
            SVR,
            LinearSVC,
            LinearSVR,
            KNeighborsClassifier,
            KNeighborsRegressor,
            GaussianNB,
            MultinomialNB,
            BernoulliNB,
            ComplementNB,
            CategoricalNB,
            DummyClassifier,
            DummyRegressor,
            # scalers, encoders, imputers
            StandardScaler,
            MinMaxScaler,
            RobustScaler,
            MaxAbsScaler,
            OneHotEncoder,
            OrdinalEncoder,
            TargetEncoder,
            SimpleImputer,
            KNNImputer,
            MissingIndicator,
        )
    }
)

ENCODERS = frozenset({"OneHotEncoder", "OrdinalEncoder", "TargetEncoder"})
"""Transformers that turn text categories into numbers."""

_STEP_NAME = re.compile(r"[a-z0-9_]+")
_PIPELINE_PARAMS = frozenset(SkPipeline([("x", None)]).get_params(deep=False))
_COLUMN_TRANSFORMER_PARAMS = frozenset(SkColumnTransformer([]).get_params(deep=False))


@functools.cache
def _params_of(cls: type) -> frozenset[str]:
    return frozenset(cls().get_params(deep=False))


def _instance(cls: type) -> SkEstimator:
    return cls()


# --- hyperparameter values ---------------------------------------------------------------------


def _accepts_bool(cls: type, name: str) -> bool:
    # scikit-learn's Interval(Integral, ...) accepts True as 1: a boolean is allowed only where the
    # parameter's constraints name booleans (or do not validate at all).
    constraints = getattr(cls, "_parameter_constraints", {}).get(name)
    if constraints is None:
        return True
    for constraint in constraints:
        if constraint in ("boolean", "no_validation") or constraint is bool:
            return True
        options = getattr(constraint, "options", None)
        if isinstance(options, set | frozenset) and True in options:
            return True
    return False


def _sklearn_problem(cls: type, name: str, value: Any) -> str | None:
    estimator = cls(**{name: value})
    # _validate_params is private API (scikit-learn's own check at fit time); without it a wrong
    # value is reported when the job fits instead.
    if not hasattr(estimator, "_validate_params"):
        return None
    try:
        estimator._validate_params()
    except (ValueError, TypeError) as exc:  # InvalidParameterError is both
        return str(exc)
    return None


def coerce(cls: type, name: str, value: Any) -> Any:
    """A JSON value as the parameter takes it: JSON has no tuples, so a list becomes a tuple
    where the parameter takes a tuple but not a list (``MinMaxScaler.feature_range``)."""
    if (
        isinstance(value, list)
        and _sklearn_problem(cls, name, value) is not None
        and _sklearn_problem(cls, name, tuple(value)) is None
    ):
        return tuple(value)
    return value


def value_problem(cls: type, name: str, value: Any) -> str | None:
    """Why ``value`` is wrong for hyperparameter ``name`` of ``cls``, or None if it is fine."""
    if name not in _params_of(cls):
        return f"{cls.__name__} has no hyperparameter {name!r}"
    if isinstance(value, bool) and not _accepts_bool(cls, name):
        return f"the {name!r} parameter of {cls.__name__} does not take a boolean; got {value!r}"
    return _sklearn_problem(cls, name, coerce(cls, name, value))


# --- building ----------------------------------------------------------------------------------


def build(spec: EstimatorSpec, feature_names: Sequence[str], *, seed: int) -> SkEstimator:
    """The unfitted scikit-learn object for a valid spec.

    Every estimator with a ``random_state`` the spec does not set gets ``seed``, so a job is
    reproducible. ColumnTransformer columns are mapped to positions in ``feature_names``.
    """
    positions = {name: i for i, name in enumerate(feature_names)}
    return _build(spec, positions, seed)


def _build(spec: EstimatorSpec, positions: Mapping[str, int], seed: int) -> SkEstimator:
    if isinstance(spec, Estimator):
        cls = ALLOWED.get(spec.class_name)
        if cls is None:
            raise ValueError(f"unknown estimator class {spec.class_name!r}")
        params = {name: coerce(cls, name, value) for name, value in spec.hyperparameters.items()}
        if "random_state" in _params_of(cls) and "random_state" not in params:
            params["random_state"] = seed
        return cls(**params)
    if isinstance(spec, Pipeline):
        return SkPipeline([(step.name, _build(step.spec, positions, seed)) for step in spec.steps])
    return SkColumnTransformer(
        [
            (
                entry.name,
                _build(entry.spec, positions, seed),
                [positions[column] for column in entry.columns],
            )
            for entry in spec.transformers
        ],
        remainder=spec.remainder,
        # Always dense: several allowed estimators (HistGradientBoosting, GaussianNB, KNNImputer)
        # refuse sparse input, and what the next step receives should not depend on how many
        # categories the training data had.
        sparse_threshold=0.0,
    )


def final_role(spec: EstimatorSpec) -> Role | None:
    """What the spec's last estimator is; None when a class in it is not allowed."""
    if isinstance(spec, Estimator):
        cls = ALLOWED.get(spec.class_name)
        if cls is None:
            return None
        instance = _instance(cls)
        if is_classifier(instance):
            return "classifier"
        if is_regressor(instance):
            return "regressor"
        return "transformer"
    if isinstance(spec, Pipeline):
        return final_role(spec.steps[-1].spec) if spec.steps else None
    return "transformer"


def supports_proba(model: SkEstimator) -> bool:
    """Whether a (fitted) model offers ``predict_proba``: scikit-learn hides the method where it
    is unavailable (an SVC without ``probability=True``, a pipeline ending in one)."""
    return hasattr(model, "predict_proba")


def resolve_parameter(model: SkEstimator, name: str) -> tuple[type, str]:
    """The allowed class and its own hyperparameter that a search parameter path addresses:
    ``C`` on an estimator, ``{step}__C`` inside a pipeline. ``ValueError`` if it addresses
    nothing, or a structural parameter of a Pipeline or ColumnTransformer."""
    deep = model.get_params(deep=True)
    if name not in deep:
        raise ValueError(f"the estimator has no parameter {name!r}")
    prefix, _, leaf = name.rpartition("__")
    owner = deep[prefix] if prefix else model
    cls = type(owner)
    if ALLOWED.get(cls.__name__) is not cls or hasattr(deep[name], "get_params"):
        raise ValueError(
            f"{name!r} is not a hyperparameter of an estimator; search parameters "
            "address one, for example 'C' or '{step}__C'"
        )
    return cls, leaf


# --- checks ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Context:
    columns: frozenset[str] | None  # the feature columns; None when unknown
    raw_input: bool  # this spec receives the dataset's feature columns themselves


def hyperparameter_violations(
    spec: EstimatorSpec,
    path_prefix: str = "training_job.estimator",
    *,
    columns: Sequence[str] | None = None,
) -> list[Violation]:
    """What is wrong in an estimator spec, each at its field path: classes, hyperparameters,
    step and entry names, the structure of pipelines and column transformers, and (given the
    feature ``columns``) the columns a ColumnTransformer selects."""
    known = None if columns is None else frozenset(columns)
    return _check(spec, path_prefix, _Context(known, raw_input=True))


def _check(spec: EstimatorSpec, path: str, context: _Context) -> list[Violation]:
    if isinstance(spec, Estimator):
        return _check_estimator(spec, f"{path}.estimator")
    if isinstance(spec, Pipeline):
        return _check_pipeline(spec, f"{path}.pipeline", context)
    if isinstance(spec, ColumnTransformer):
        return _check_column_transformer(spec, f"{path}.column_transformer", context)
    return [
        Violation(path, "exactly one of estimator, pipeline and column_transformer is required")
    ]


def _check_estimator(spec: Estimator, path: str) -> list[Violation]:
    name = spec.class_name
    if not name:
        return [Violation(f"{path}.class_name", "an estimator class name is required")]
    if "." in name:
        return [
            Violation(
                f"{path}.class_name",
                f"{name!r} is an import path; name an allowed class instead, for "
                "example 'LogisticRegression'",
            )
        ]
    cls = ALLOWED.get(name)
    if cls is None:
        return [
            Violation(
                f"{path}.class_name",
                f"{name!r} is not an allowed estimator; allowed: {', '.join(sorted(ALLOWED))}",
            )
        ]
    violations = []
    for param, value in spec.hyperparameters.items():
        problem = value_problem(cls, param, value)
        if problem is not None:
            violations.append(Violation(f"{path}.hyperparameters[{json.dumps(param)}]", problem))
    return violations


def _check_names(
    names: Sequence[str],
    path: str,
    item: str,
    reserved: frozenset[str],
) -> list[Violation]:
    violations = []
    seen: set[str] = set()
    for i, name in enumerate(names):
        where = f"{path}[{i}].name"
        if not _STEP_NAME.fullmatch(name) or "__" in name:
            violations.append(
                Violation(
                    where,
                    f"{item} names use lowercase letters, digits and '_' (not '__'); got {name!r}",
                )
            )
        elif name in reserved:
            violations.append(Violation(where, f"{name!r} is reserved by scikit-learn"))
        elif name in seen:
            violations.append(Violation(where, f"{item} name {name!r} is used twice"))
        seen.add(name)
    return violations


def _check_pipeline(spec: Pipeline, path: str, context: _Context) -> list[Violation]:
    if not spec.steps:
        return [Violation(f"{path}.steps", "a pipeline needs at least one step")]
    violations = _check_names(
        [step.name for step in spec.steps], f"{path}.steps", "step", _PIPELINE_PARAMS
    )
    last = len(spec.steps) - 1
    for i, step in enumerate(spec.steps):
        step_path = f"{path}.steps[{i}].spec"
        inner = _check(
            step.spec, step_path, _Context(context.columns, raw_input=context.raw_input and i == 0)
        )
        violations += inner
        if i < last and not inner and final_role(step.spec) != "transformer":
            violations.append(
                Violation(
                    step_path,
                    "every pipeline step but the last must be a "
                    "transformer (have a transform method)",
                )
            )
    return violations


def _check_column_transformer(
    spec: ColumnTransformer,
    path: str,
    context: _Context,
) -> list[Violation]:
    if not context.raw_input:
        return [
            Violation(
                path,
                "a ColumnTransformer selects dataset columns by name: it must be "
                "the estimator itself or the first step of its pipeline",
            )
        ]
    if not spec.transformers:
        return [
            Violation(f"{path}.transformers", "a ColumnTransformer needs at least one transformer")
        ]
    violations = _check_names(
        [entry.name for entry in spec.transformers],
        f"{path}.transformers",
        "transformer",
        _COLUMN_TRANSFORMER_PARAMS,
    )
    if spec.remainder not in ("drop", "passthrough"):
        violations.append(Violation(f"{path}.remainder", "must be drop or passthrough"))
    for i, entry in enumerate(spec.transformers):
        entry_path = f"{path}.transformers[{i}]"
        inner = _check(entry.spec, f"{entry_path}.spec", _Context(context.columns, False))
        violations += inner
        if not inner and final_role(entry.spec) != "transformer":
            violations.append(
                Violation(f"{entry_path}.spec", "a ColumnTransformer entry must be a transformer")
            )
        if not entry.columns:
            violations.append(Violation(f"{entry_path}.columns", "at least one column is required"))
        elif context.columns is not None:
            violations += [
                Violation(
                    f"{entry_path}.columns[{j}]",
                    f"{column!r} is not a feature column of the dataset",
                )
                for j, column in enumerate(entry.columns)
                if column not in context.columns
            ]
    return violations
