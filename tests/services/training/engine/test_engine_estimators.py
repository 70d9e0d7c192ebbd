"""The allow-list, building estimators from specs, and the checks of estimator specs."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
from sklearn.base import is_classifier, is_regressor
from sklearn.compose import ColumnTransformer as SkColumnTransformer
from sklearn.pipeline import Pipeline as SkPipeline

from slipway.ml.model_files import (
    TRUSTED_TYPES,
    current_framework_versions,
    dump_model,
    inspect_artifact,
    load_model,
)
from slipway.services.training.engine.estimators import (
    ALLOWED,
    build,
    final_role,
    hyperparameter_violations,
    resolve_parameter,
    supports_proba,
    value_problem,
)
from slipway.services.training.engine.spec import (
    ColumnEntry,
    ColumnTransformer,
    Estimator,
    Pipeline,
    PipelineStep,
)

_rng = np.random.default_rng(0)
COUNTS = _rng.integers(0, 5, size=(40, 3)).astype(float)
LABELS = np.array([0, 1] * 20)
TARGET = COUNTS @ np.array([1.0, -2.0, 0.5]) + _rng.normal(0, 0.1, 40)
MISSING = np.where(_rng.random((40, 3)) < 0.15, np.nan, COUNTS)
COLOURS = np.array(["red", "green", "blue", "red"] * 10, dtype=object).reshape(-1, 1)
TEXT_CLASSES = ("ExtraTreesClassifier", "OneHotEncoder", "OrdinalEncoder", "TargetEncoder")
IMPUTERS = ("SimpleImputer", "KNNImputer", "MissingIndicator")
# Small models, so the round trip of every class stays fast.
SMALL = {
    "RandomForestClassifier": {"n_estimators": 3},
    "RandomForestRegressor": {"n_estimators": 3},
    "ExtraTreesClassifier": {"n_estimators": 3},
    "ExtraTreesRegressor": {"n_estimators": 3},
    "GradientBoostingClassifier": {"n_estimators": 3},
    "GradientBoostingRegressor": {"n_estimators": 3},
    "HistGradientBoostingClassifier": {"max_iter": 3},
    "HistGradientBoostingRegressor": {"max_iter": 3},
    "LinearSVR": {"max_iter": 10_000},
}


def _training_data(name: str, model) -> tuple[np.ndarray, np.ndarray]:
    if name in ("OneHotEncoder", "OrdinalEncoder", "TargetEncoder"):
        return COLOURS, LABELS
    if name in IMPUTERS:
        return MISSING, LABELS
    if is_regressor(model):
        return COUNTS, TARGET
    return COUNTS, LABELS


def _outputs(model, features) -> list[np.ndarray]:
    names = ("predict", "predict_proba", "decision_function", "transform")
    results = [getattr(model, name)(features) for name in names if hasattr(model, name)]
    return [np.asarray(r.toarray() if hasattr(r, "toarray") else r) for r in results]


@pytest.mark.parametrize("name", sorted(ALLOWED))
def test_every_allowed_class_saves_and_loads_through_the_trusted_loader(name, tmp_path):
    """The allow-list can never exceed the trust list of the model loader."""
    cls = ALLOWED[name]
    assert f"{cls.__module__}.{cls.__qualname__}" in TRUSTED_TYPES
    model = build(Estimator(name, SMALL.get(name, {})), ["a", "b", "c"], seed=0)
    features, target = _training_data(name, model)
    model.fit(features, target)
    data = dump_model(model)
    assert inspect_artifact(data, "skops") == []
    path = tmp_path / "model.skops"
    path.write_bytes(data)
    loaded = load_model(
        path,
        sha256=hashlib.sha256(data).hexdigest(),
        fmt="skops",
        framework_versions=current_framework_versions(),
    )
    assert type(loaded) is cls
    for want, got in zip(_outputs(model, features), _outputs(loaded, features), strict=True):
        np.testing.assert_array_equal(got, want)


def test_a_column_transformer_pipeline_round_trips(tmp_path):
    spec = Pipeline(
        (
            PipelineStep(
                "prepare",
                ColumnTransformer(
                    (
                        ColumnEntry(
                            "numbers",
                            Pipeline(
                                (
                                    PipelineStep("impute", Estimator("SimpleImputer")),
                                    PipelineStep("scale", Estimator("StandardScaler")),
                                )
                            ),
                            ("age", "income"),
                        ),
                        ColumnEntry(
                            "city",
                            Estimator("OneHotEncoder", {"handle_unknown": "ignore"}),
                            ("city",),
                        ),
                    ),
                    remainder="passthrough",
                ),
            ),
            PipelineStep("model", Estimator("HistGradientBoostingClassifier", {"max_iter": 3})),
        )
    )
    model = build(spec, ["age", "city", "income", "extra"], seed=0)
    features = np.array([[30.0, "rome", 1.0, 0.5], [40.0, "paris", np.nan, 1.5]] * 10, dtype=object)
    model.fit(features, LABELS[:20])
    data = dump_model(model)
    path = tmp_path / "model.skops"
    path.write_bytes(data)
    loaded = load_model(
        path,
        sha256=hashlib.sha256(data).hexdigest(),
        fmt="skops",
        framework_versions=current_framework_versions(),
    )
    np.testing.assert_array_equal(loaded.predict_proba(features), model.predict_proba(features))


# --- building ----------------------------------------------------------------------------------


def test_build_maps_column_names_to_positions_and_seeds_every_estimator():
    spec = Pipeline(
        (
            PipelineStep(
                "prepare",
                ColumnTransformer(
                    (
                        ColumnEntry("scale", Estimator("StandardScaler"), ("income", "age")),
                        ColumnEntry("city", Estimator("TargetEncoder"), ("city",)),
                    )
                ),
            ),
            PipelineStep("model", Estimator("RandomForestClassifier", {"n_estimators": 3})),
        )
    )
    model = build(spec, ["age", "city", "income"], seed=7)
    assert isinstance(model, SkPipeline)
    prepare = model.named_steps["prepare"]
    assert isinstance(prepare, SkColumnTransformer)
    assert [columns for _name, _t, columns in prepare.transformers] == [[2, 0], [1]]
    assert prepare.sparse_threshold == 0.0
    params = model.get_params(deep=True)
    assert params["model__random_state"] == 7
    assert params["prepare__city__random_state"] == 7
    assert params["model__n_estimators"] == 3


def test_build_keeps_a_random_state_the_spec_sets_and_turns_lists_into_tuples():
    model = build(Estimator("RandomForestRegressor", {"random_state": None}), ["a"], seed=7)
    assert model.random_state is None
    scaler = build(Estimator("MinMaxScaler", {"feature_range": [-1, 1]}), ["a"], seed=0)
    assert scaler.feature_range == (-1, 1)
    scaler.fit(COUNTS)


def test_final_role_and_probabilities():
    assert final_role(Estimator("LogisticRegression")) == "classifier"
    assert final_role(Estimator("Ridge")) == "regressor"
    assert final_role(Estimator("StandardScaler")) == "transformer"
    assert final_role(Estimator("sklearn.svm.SVC")) is None
    pipeline = Pipeline(
        (
            PipelineStep("scale", Estimator("StandardScaler")),
            PipelineStep("model", Estimator("SVC")),
        )
    )
    assert final_role(pipeline) == "classifier"
    assert not supports_proba(build(pipeline, ["a"], seed=0).fit(COUNTS, LABELS))
    with_proba = Pipeline(
        (
            PipelineStep("scale", Estimator("StandardScaler")),
            PipelineStep("model", Estimator("LogisticRegression")),
        )
    )
    assert supports_proba(build(with_proba, ["a"], seed=0).fit(COUNTS, LABELS))
    assert is_classifier(build(pipeline, ["a"], seed=0))


def test_resolve_parameter_addresses_only_hyperparameters_of_allowed_estimators():
    pipeline = build(
        Pipeline(
            (
                PipelineStep("scale", Estimator("StandardScaler")),
                PipelineStep("model", Estimator("LogisticRegression")),
            )
        ),
        [],
        seed=0,
    )
    assert resolve_parameter(pipeline, "model__C") == (ALLOWED["LogisticRegression"], "C")
    assert resolve_parameter(pipeline, "scale__with_mean")[1] == "with_mean"
    for name in ("C", "model", "steps", "memory", "model__nope"):
        with pytest.raises(ValueError, match=repr(name)):
            resolve_parameter(pipeline, name)


# --- checks ------------------------------------------------------------------------------------


def _fields(violations) -> list[str]:
    return [v.field for v in violations]


@pytest.mark.parametrize(
    ("spec", "field", "text"),
    [
        (Estimator("NoSuchModel"), "training_job.estimator.estimator.class_name", "not an allowed"),
        (
            Estimator("sklearn.linear_model.LogisticRegression"),
            "training_job.estimator.estimator.class_name",
            "import path",
        ),
        (Estimator("os.system"), "training_job.estimator.estimator.class_name", "import path"),
        (Estimator(""), "training_job.estimator.estimator.class_name", "required"),
        (
            Estimator("LogisticRegression", {"C": "high"}),
            'training_job.estimator.estimator.hyperparameters["C"]',
            "'C' parameter",
        ),
        (
            Estimator("LogisticRegression", {"C": -1.0}),
            'training_job.estimator.estimator.hyperparameters["C"]',
            "range",
        ),
        (
            Estimator("LogisticRegression", {"colour": 1}),
            'training_job.estimator.estimator.hyperparameters["colour"]',
            "no hyperparameter",
        ),
        (
            Estimator("RandomForestClassifier", {"n_estimators": True}),
            'training_job.estimator.estimator.hyperparameters["n_estimators"]',
            "boolean",
        ),
        (
            Estimator("RandomForestClassifier", {"n_estimators": 2.5}),
            'training_job.estimator.estimator.hyperparameters["n_estimators"]',
            "int",
        ),
        (Pipeline(()), "training_job.estimator.pipeline.steps", "at least one step"),
        (
            Pipeline(
                (
                    PipelineStep("Scale", Estimator("StandardScaler")),
                    PipelineStep("model", Estimator("Ridge")),
                )
            ),
            "training_job.estimator.pipeline.steps[0].name",
            "lowercase",
        ),
        (
            Pipeline(
                (
                    PipelineStep("a__b", Estimator("StandardScaler")),
                    PipelineStep("model", Estimator("Ridge")),
                )
            ),
            "training_job.estimator.pipeline.steps[0].name",
            "'__'",
        ),
        (
            Pipeline(
                (
                    PipelineStep("model", Estimator("StandardScaler")),
                    PipelineStep("model", Estimator("Ridge")),
                )
            ),
            "training_job.estimator.pipeline.steps[1].name",
            "twice",
        ),
        (
            Pipeline(
                (
                    PipelineStep("steps", Estimator("StandardScaler")),
                    PipelineStep("model", Estimator("Ridge")),
                )
            ),
            "training_job.estimator.pipeline.steps[0].name",
            "reserved",
        ),
        (
            Pipeline(
                (
                    PipelineStep("first", Estimator("Ridge")),
                    PipelineStep("model", Estimator("Ridge")),
                )
            ),
            "training_job.estimator.pipeline.steps[0].spec",
            "transformer",
        ),
        (
            Pipeline(
                (
                    PipelineStep("scale", Estimator("StandardScaler")),
                    PipelineStep("model", Estimator("SVC", {"C": "x"})),
                )
            ),
            'training_job.estimator.pipeline.steps[1].spec.estimator.hyperparameters["C"]',
            "'C'",
        ),
        (
            Pipeline(
                (
                    PipelineStep("scale", Estimator("StandardScaler")),
                    PipelineStep("model", Estimator("sklearn.svm.SVC")),
                )
            ),
            "training_job.estimator.pipeline.steps[1].spec.estimator.class_name",
            "import path",
        ),
        (
            ColumnTransformer(()),
            "training_job.estimator.column_transformer.transformers",
            "at least one",
        ),
        (
            ColumnTransformer((ColumnEntry("scale", Estimator("StandardScaler"), ()),)),
            "training_job.estimator.column_transformer.transformers[0].columns",
            "at least one",
        ),
        (
            ColumnTransformer(
                (ColumnEntry("scale", Estimator("StandardScaler"), ("age", "height")),)
            ),
            "training_job.estimator.column_transformer.transformers[0].columns[1]",
            "'height'",
        ),
        (
            ColumnTransformer((ColumnEntry("model", Estimator("Ridge"), ("age",)),)),
            "training_job.estimator.column_transformer.transformers[0].spec",
            "transformer",
        ),
        (
            Pipeline(
                (
                    PipelineStep("scale", Estimator("StandardScaler")),
                    PipelineStep(
                        "prepare",
                        ColumnTransformer(
                            (ColumnEntry("scale", Estimator("StandardScaler"), ("age",)),)
                        ),
                    ),
                    PipelineStep("model", Estimator("Ridge")),
                )
            ),
            "training_job.estimator.pipeline.steps[1].spec.column_transformer",
            "first step",
        ),
    ],
    ids=lambda value: value if isinstance(value, str) and " " not in value else None,
)
def test_each_estimator_violation_names_its_field(spec, field, text):
    violations = hyperparameter_violations(spec, columns=["age", "city"])
    assert field in _fields(violations), violations
    assert text in next(v.description for v in violations if v.field == field)


def test_a_valid_spec_has_no_violations_and_all_problems_are_reported():
    valid = Pipeline(
        (
            PipelineStep(
                "prepare",
                ColumnTransformer(
                    (
                        ColumnEntry(
                            "scale", Estimator("MinMaxScaler", {"feature_range": [0, 2]}), ("age",)
                        ),
                        ColumnEntry(
                            "city",
                            Estimator("OneHotEncoder", {"handle_unknown": "ignore"}),
                            ("city",),
                        ),
                    )
                ),
            ),
            PipelineStep("model", Estimator("LogisticRegression", {"C": 0.5, "max_iter": 200})),
        )
    )
    assert hyperparameter_violations(valid, columns=["age", "city"]) == []
    broken = Pipeline(
        (
            PipelineStep("scale", Estimator("StandardScaler", {"with_mean": "yes"})),
            PipelineStep("model", Estimator("LogisticRegression", {"C": "high", "tol": -1})),
        )
    )
    assert _fields(hyperparameter_violations(broken, "x")) == [
        'x.pipeline.steps[0].spec.estimator.hyperparameters["with_mean"]',
        'x.pipeline.steps[1].spec.estimator.hyperparameters["C"]',
        'x.pipeline.steps[1].spec.estimator.hyperparameters["tol"]',
    ]


def test_value_problem_accepts_what_the_estimator_accepts():
    svc = ALLOWED["SVC"]
    assert value_problem(svc, "C", 2) is None
    assert value_problem(svc, "kernel", "rbf") is None
    assert value_problem(svc, "kernel", "magic") is not None
    assert value_problem(svc, "shrinking", False) is None
    assert value_problem(ALLOWED["RandomForestClassifier"], "max_depth", None) is None
    assert value_problem(ALLOWED["LogisticRegression"], "class_weight", {"a": 1.0}) is None
