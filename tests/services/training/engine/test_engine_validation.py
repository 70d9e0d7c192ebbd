"""Validation of whole jobs: every violation at its field path, all of them at once."""

from __future__ import annotations

import dataclasses
import os

import pyarrow as pa
import pytest

from slipway.services.training.engine.spec import (
    ColumnEntry,
    ColumnTransformer,
    DatasetSpec,
    Estimator,
    JobSpec,
    Pipeline,
    PipelineStep,
    SearchParameter,
    SearchSpec,
    SplitSpec,
)
from slipway.services.training.engine.validation import validate

PEOPLE = DatasetSpec(path="people.csv", target_column="bought")
PREPARE = ColumnTransformer(
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
        ColumnEntry("city", Estimator("OneHotEncoder", {"handle_unknown": "ignore"}), ("city",)),
    )
)
PEOPLE_MODEL = Pipeline(
    (PipelineStep("prepare", PREPARE), PipelineStep("model", Estimator("LogisticRegression")))
)
PEOPLE_JOB = JobSpec(task="classification", estimator=PEOPLE_MODEL, dataset=PEOPLE)
IRIS_JOB = JobSpec(
    task="classification",
    estimator=Estimator("LogisticRegression"),
    dataset=DatasetSpec(bundled="iris"),
    search=SearchSpec("grid", (SearchParameter("C", values=(0.1, 1.0)),)),
)


def _job(base: JobSpec = IRIS_JOB, **changes) -> JobSpec:
    return dataclasses.replace(base, **changes)


def _search(**changes) -> SearchSpec:
    assert IRIS_JOB.search is not None
    return dataclasses.replace(IRIS_JOB.search, **changes)


def _violations(spec, data_root) -> dict[str, str]:
    found = validate(spec, data_root)
    return {v.field: v.description for v in found}


def test_valid_jobs_have_no_violations(data_root):
    assert validate(PEOPLE_JOB, data_root) == []
    assert validate(IRIS_JOB, data_root) == []
    regression = JobSpec(
        task="regression",
        estimator=Estimator("Ridge", {"alpha": 0.5}),
        dataset=DatasetSpec(bundled="diabetes"),
        search=SearchSpec(
            "random",
            (
                SearchParameter("alpha", double_range=(1e-3, 10.0, True, 0)),
                SearchParameter("fit_intercept", values=(True, False)),
            ),
            scoring="neg_root_mean_squared_error",
            n_iter=4,
        ),
    )
    assert validate(regression, data_root) == []
    parquet = _job(
        PEOPLE_JOB,
        dataset=dataclasses.replace(PEOPLE, path="people.parquet"),
        split=SplitSpec(test_fraction=0.25, stratify=True, seed=4),
        search=SearchSpec(
            "grid",
            (
                SearchParameter("model__C", double_range=(0.1, 10.0, True, 3)),
                SearchParameter("prepare__numbers__impute__strategy", values=("mean", "median")),
            ),
            cv_folds=3,
        ),
    )
    assert validate(parquet, data_root) == []


@pytest.mark.parametrize(
    ("estimator", "field", "text"),
    [
        (
            Estimator("XGBClassifier"),
            "training_job.estimator.estimator.class_name",
            "not an allowed estimator",
        ),
        (
            Estimator("sklearn.ensemble.RandomForestClassifier"),
            "training_job.estimator.estimator.class_name",
            "import path",
        ),
        (
            Estimator("LogisticRegression", {"C": "high"}),
            'training_job.estimator.estimator.hyperparameters["C"]',
            "must be a float",
        ),
        (
            Estimator("LogisticRegression", {"learning_rate": 0.1}),
            'training_job.estimator.estimator.hyperparameters["learning_rate"]',
            "no hyperparameter 'learning_rate'",
        ),
        (
            Estimator("Ridge"),
            "training_job.task",
            "the estimator is a regressor; the task is classification",
        ),
        (Estimator("StandardScaler"), "training_job.estimator", "classifier or a regressor"),
    ],
)
def test_estimator_violations(data_root, estimator, field, text):
    violations = _violations(_job(estimator=estimator), data_root)
    assert text in violations[field]


def test_a_classifier_for_a_regression_is_a_task_violation(data_root):
    spec = JobSpec(
        task="regression",
        estimator=Estimator("RandomForestClassifier"),
        dataset=DatasetSpec(bundled="diabetes"),
    )
    assert _violations(spec, data_root) == {
        "training_job.task": "the estimator is a classifier; the task is regression"
    }


@pytest.mark.parametrize(
    ("path", "text"),
    [
        ("../outside.csv", "'..'"),
        ("OUTSIDE_ABSOLUTE", "absolute"),
        ("link.csv", "outside the data root"),
        ("nothing.csv", "not a file"),
    ],
)
def test_dataset_paths_outside_the_root_are_refused(data_root, path, text):
    outside = data_root.parent / "outside.csv"
    outside.write_bytes((data_root / "people.csv").read_bytes())
    os.symlink(outside, data_root / "link.csv")
    if path == "OUTSIDE_ABSOLUTE":
        path = str(outside)
    spec = _job(PEOPLE_JOB, dataset=dataclasses.replace(PEOPLE, path=path))
    violations = _violations(spec, data_root)
    assert text in violations.pop("training_job.dataset.path")
    assert violations == {}  # the estimator's columns are not checked without the data


@pytest.mark.parametrize(
    ("dataset", "field", "text"),
    [
        (
            dataclasses.replace(PEOPLE, target_column="churned"),
            "training_job.dataset.target_column",
            "'churned' is not a column",
        ),
        (
            dataclasses.replace(PEOPLE, target_column=""),
            "training_job.dataset.target_column",
            "required",
        ),
        (
            dataclasses.replace(PEOPLE, feature_columns=("age", "height", "income", "city")),
            "training_job.dataset.feature_columns[1]",
            "'height' is not a column",
        ),
        (
            dataclasses.replace(PEOPLE, feature_columns=("age", "bought")),
            "training_job.dataset.feature_columns[1]",
            "the target cannot be a feature",
        ),
        (
            dataclasses.replace(PEOPLE, categorical_columns=("town",)),
            "training_job.dataset.categorical_columns[0]",
            "'town' is not a feature column",
        ),
        (
            dataclasses.replace(PEOPLE, path="people.txt"),
            "training_job.dataset.format",
            "extension",
        ),
        (
            dataclasses.replace(PEOPLE, path="", bundled=""),
            "training_job.dataset",
            "exactly one of path and bundled",
        ),
        (
            DatasetSpec(path="people.csv", bundled="iris"),
            "training_job.dataset",
            "exactly one of path and bundled",
        ),
        (DatasetSpec(bundled="mnist"), "training_job.dataset.bundled", "unknown bundled dataset"),
    ],
)
def test_dataset_violations(data_root, dataset, field, text):
    (data_root / "people.txt").write_text("a\n")
    violations = _violations(_job(PEOPLE_JOB, dataset=dataset), data_root)
    assert text in violations[field], violations


def test_a_column_transformer_naming_a_missing_column(data_root):
    dataset = dataclasses.replace(PEOPLE, feature_columns=("age", "city"))
    violations = _violations(_job(PEOPLE_JOB, dataset=dataset), data_root)
    assert violations == {
        "training_job.estimator.pipeline.steps[0].spec.column_transformer.transformers[0]"
        ".columns[1]": "'income' is not a feature column of the dataset"
    }


def test_a_target_with_one_class(data_root, write_csv):
    write_csv(data_root / "one.csv", pa.table({"x": [1.0, 2.0, 3.0, 4.0], "y": ["a"] * 4}))
    spec = _job(dataset=DatasetSpec(path="one.csv", target_column="y"), search=None)
    assert _violations(spec, data_root) == {
        "training_job.dataset.target_column": "the target 'y' has 1 class; a classification "
        "needs at least 2"
    }


def test_targets_that_do_not_fit_the_task(data_root, write_csv):
    write_csv(
        data_root / "t.csv",
        pa.table(
            {
                "x": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
                "level": [0.5, 1.5, 2.25, 0.5, 1.0, 2.0],
                "label": ["a", "b", "a", "b", "a", "b"],
            }
        ),
    )
    continuous = _job(
        dataset=DatasetSpec(path="t.csv", target_column="level", feature_columns=("x",)),
        search=None,
    )
    assert "continuous" in _violations(continuous, data_root)["training_job.dataset.target_column"]
    text = JobSpec(
        task="regression",
        estimator=Estimator("Ridge"),
        dataset=DatasetSpec(path="t.csv", target_column="label"),
    )
    assert "not numeric" in _violations(text, data_root)["training_job.dataset.target_column"]


def test_a_bundled_dataset_for_the_wrong_task(data_root):
    spec = _job(dataset=DatasetSpec(bundled="diabetes"), search=None)
    assert (
        "diabetes is a regression dataset"
        in _violations(spec, data_root)["training_job.dataset.bundled"]
    )


def test_categorical_columns_need_an_encoder(data_root):
    bare = _job(PEOPLE_JOB, estimator=Estimator("LogisticRegression"))
    assert "'city'" in _violations(bare, data_root)["training_job.estimator"]
    scaled = _job(
        PEOPLE_JOB,
        estimator=Pipeline(
            (
                PipelineStep(
                    "prepare",
                    ColumnTransformer(
                        (
                            ColumnEntry(
                                "all", Estimator("StandardScaler"), ("age", "income", "city")
                            ),
                        )
                    ),
                ),
                PipelineStep("model", Estimator("LogisticRegression")),
            )
        ),
    )
    assert "'city'" in _violations(scaled, data_root)["training_job.estimator"]
    passthrough = _job(
        PEOPLE_JOB,
        estimator=Pipeline(
            (
                PipelineStep(
                    "prepare",
                    ColumnTransformer(
                        (ColumnEntry("n", Estimator("SimpleImputer"), ("age", "income")),),
                        remainder="passthrough",
                    ),
                ),
                PipelineStep("model", Estimator("LogisticRegression")),
            )
        ),
    )
    assert "'city'" in _violations(passthrough, data_root)["training_job.estimator"]
    imputed_then_encoded = _job(
        PEOPLE_JOB,
        estimator=Pipeline(
            (
                PipelineStep("impute", Estimator("SimpleImputer", {"strategy": "most_frequent"})),
                PipelineStep("encode", Estimator("OrdinalEncoder")),
                PipelineStep("model", Estimator("HistGradientBoostingClassifier")),
            )
        ),
    )
    assert validate(imputed_then_encoded, data_root) == []


def test_text_in_a_column_meant_to_be_numeric(data_root):
    dataset = dataclasses.replace(
        PEOPLE, feature_columns=("age", "city"), categorical_columns=("age",)
    )
    spec = _job(PEOPLE_JOB, dataset=dataset, estimator=Estimator("OneHotEncoder"))
    assert (
        "'city' holds text"
        in _violations(spec, data_root)["training_job.dataset.categorical_columns"]
    )


@pytest.mark.parametrize(
    ("split", "task", "field", "text"),
    [
        (
            SplitSpec(test_fraction=0.7),
            "classification",
            "training_job.split.test_fraction",
            "(0, 0.5]",
        ),
        (
            SplitSpec(test_fraction=-0.1),
            "classification",
            "training_job.split.test_fraction",
            "(0, 0.5]",
        ),
        (SplitSpec(stratify=True), "regression", "training_job.split.stratify", "classification"),
        (SplitSpec(seed=-1), "classification", "training_job.split.seed", "[0, 4294967295]"),
        (SplitSpec(seed=2**40), "classification", "training_job.split.seed", "[0, 4294967295]"),
    ],
)
def test_split_violations(data_root, split, task, field, text):
    estimator = Estimator("LogisticRegression" if task == "classification" else "Ridge")
    dataset = DatasetSpec(bundled="iris" if task == "classification" else "diabetes")
    spec = JobSpec(task=task, estimator=estimator, dataset=dataset, split=split)
    assert text in _violations(spec, data_root)[field]


def test_stratifying_needs_two_rows_of_every_class(data_root, write_csv):
    write_csv(
        data_root / "rare.csv", pa.table({"x": list(range(10)), "y": ["a"] * 5 + ["b"] * 4 + ["c"]})
    )
    spec = _job(
        dataset=DatasetSpec(path="rare.csv", target_column="y"),
        split=SplitSpec(stratify=True),
        search=None,
    )
    assert "rarest class" in _violations(spec, data_root)["training_job.split.stratify"]


@pytest.mark.parametrize(
    ("search", "field", "text"),
    [
        (
            _search(parameters=(SearchParameter("gamma", values=(1.0,)),)),
            "training_job.search.parameters[0].name",
            "no parameter 'gamma'",
        ),
        (
            _search(
                parameters=(
                    SearchParameter("C", values=(1.0,)),
                    SearchParameter("C", values=(2.0,)),
                )
            ),
            "training_job.search.parameters[1].name",
            "twice",
        ),
        (
            _search(parameters=(SearchParameter("C", values=(1.0, "high")),)),
            "training_job.search.parameters[0].values.values[1]",
            "must be a float",
        ),
        (
            _search(parameters=(SearchParameter("C"),)),
            "training_job.search.parameters[0]",
            "exactly one of",
        ),
        (
            _search(parameters=(SearchParameter("C", values=()),)),
            "training_job.search.parameters[0].values",
            "at least one",
        ),
        (
            _search(parameters=(SearchParameter("max_iter", int_range=(50, 10, 1)),)),
            "training_job.search.parameters[0].int_range.max",
            "at least min",
        ),
        (
            _search(parameters=(SearchParameter("max_iter", int_range=(-5, 10, 1)),)),
            "training_job.search.parameters[0].int_range.min",
            "max_iter",
        ),
        (
            _search(parameters=(SearchParameter("max_iter", double_range=(1.0, 10.0, False, 3)),)),
            "training_job.search.parameters[0].double_range.min",
            "int",
        ),
        (
            _search(parameters=(SearchParameter("tol", double_range=(0.0, 1.0, True, 3)),)),
            "training_job.search.parameters[0].double_range.min",
            "positive on a log scale",
        ),
        (
            _search(parameters=(SearchParameter("C", double_range=(2.0, 1.0, False, 3)),)),
            "training_job.search.parameters[0].double_range.max",
            "greater than min",
        ),
        (
            _search(parameters=(SearchParameter("C", double_range=(1.0, 2.0, False, 1)),)),
            "training_job.search.parameters[0].double_range.grid_points",
            "[2, 10000]",
        ),
        (_search(parameters=()), "training_job.search.parameters", "at least one"),
        (
            _search(
                parameters=(
                    SearchParameter("C", double_range=(0.1, 2.0, False, 200)),
                    SearchParameter("tol", double_range=(0.1, 2.0, False, 200)),
                )
            ),
            "training_job.search.parameters",
            "40000 candidates",
        ),
        (_search(strategy="exhaustive"), "training_job.search.strategy", "grid or random"),
        (_search(cv_folds=1), "training_job.search.cv_folds", "[2, 20]"),
        (_search(cv_folds=21), "training_job.search.cv_folds", "[2, 20]"),
        (_search(strategy="random", n_iter=-1), "training_job.search.n_iter", "[1, 10000]"),
        (_search(scoring="accuracy_ish"), "training_job.search.scoring", "not a scikit-learn"),
        (_search(scoring="r2"), "training_job.search.scoring", "does not apply to classification"),
        (
            _search(max_parallel_trials=10_000),
            "training_job.search.max_parallel_trials",
            "number of CPUs",
        ),
    ],
)
def test_search_violations(data_root, search, field, text):
    violations = _violations(_job(search=search), data_root)
    assert text in violations[field], violations


def test_search_parameters_address_pipeline_steps(data_root):
    search = SearchSpec(
        "grid",
        (
            SearchParameter("C", values=(1.0,)),
            SearchParameter("model__C", values=(1.0, 2.0)),
            SearchParameter("prepare__city__handle_unknown", values=("ignore", "sometimes")),
            SearchParameter("model", values=("x",)),
        ),
    )
    violations = _violations(_job(PEOPLE_JOB, search=search), data_root)
    assert set(violations) == {
        "training_job.search.parameters[0].name",
        "training_job.search.parameters[2].values.values[1]",
        "training_job.search.parameters[3].name",
    }
    assert (
        "not a hyperparameter of an estimator"
        in violations["training_job.search.parameters[3].name"]
    )


def test_every_violation_is_reported_at_once(data_root):
    spec = JobSpec(
        task="classification",
        estimator=Pipeline(
            (
                PipelineStep("scale", Estimator("StandardScaler", {"copy": 3})),
                PipelineStep("model", Estimator("sklearn.svm.SVC")),
            )
        ),
        dataset=DatasetSpec(path="../people.csv", target_column="bought"),
        split=SplitSpec(test_fraction=0.9),
        search=SearchSpec("grid", (SearchParameter("model__C", values=(1.0,)),), cv_folds=50),
    )
    assert sorted(_violations(spec, data_root)) == [
        "training_job.dataset.path",
        'training_job.estimator.pipeline.steps[0].spec.estimator.hyperparameters["copy"]',
        "training_job.estimator.pipeline.steps[1].spec.estimator.class_name",
        "training_job.search.cv_folds",
        "training_job.split.test_fraction",
    ]
