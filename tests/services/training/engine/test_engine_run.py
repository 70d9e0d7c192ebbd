"""Training jobs end to end: progress, metrics, model and sample files, signature, profile,
reproducibility and failures."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pyarrow as pa
import pytest
from sklearn.model_selection import train_test_split

from slipway.ml.model_files import load_model
from slipway.ml.profiles import read_reference, read_sample
from slipway.services.training.engine import datasets
from slipway.services.training.engine.outcome import (
    FeatureSignature,
    OutputSignature,
    TrainingFailed,
)
from slipway.services.training.engine.run import train
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

WINE_SEARCH = JobSpec(
    task="classification",
    estimator=Estimator("RandomForestClassifier", {"n_estimators": 5}),
    dataset=DatasetSpec(bundled="wine"),
    split=SplitSpec(test_fraction=0.25, stratify=True, seed=11),
    search=SearchSpec(
        "random",
        (
            SearchParameter("max_depth", int_range=(2, 8, 1)),
            SearchParameter("min_samples_leaf", values=(1, 2, 4)),
        ),
        cv_folds=3,
        n_iter=3,
        scoring="f1_macro",
    ),
)
PEOPLE_JOB = JobSpec(
    task="classification",
    estimator=Pipeline(
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
                    )
                ),
            ),
            PipelineStep("model", Estimator("LogisticRegression")),
        )
    ),
    dataset=DatasetSpec(path="people.csv", target_column="bought"),
    split=SplitSpec(seed=3),
)


def _train(spec, data_root, out_dir):
    events = []
    assert validate(spec, data_root) == []
    outcome = train(spec, data_root=data_root, out_dir=out_dir, progress=events.append)
    return outcome, events


def _load(outcome, out_dir):
    return load_model(
        out_dir / outcome.model.filename,
        sha256=outcome.model.sha256,
        fmt="skops",
        framework_versions=outcome.framework_versions,
    )


def _holdout(spec, data_root):
    data = datasets.load(spec.dataset, data_root)
    # Unset stratifies a classification whose every class has 2 rows, as the engine does.
    classes = np.unique(data.y, return_counts=True)[1] if spec.task == "classification" else []
    stratify = (
        data.y
        if spec.split.stratify or (spec.split.stratify is None and min(classes, default=0) >= 2)
        else None
    )
    return train_test_split(
        data.X,
        data.y,
        test_size=spec.split.test_fraction,
        stratify=stratify,
        random_state=spec.split.seed,
    )[1::2]


def test_a_random_search_on_wine_reports_progress_and_produces_a_servable_model(tmp_path):
    outcome, events = _train(WINE_SEARCH, tmp_path, tmp_path / "out")

    percents = [e.percent for e in events]
    assert percents == sorted(percents)
    assert percents[0] == 0.0
    assert percents[-1] == 95.0
    stages = [e.stage for e in events]
    assert stages == sorted(
        stages, key=["loading", "searching", "fitting", "evaluating", "profiling"].index
    )
    searching = [e for e in events if e.stage == "searching"]
    assert [e.trial for e in searching] == list(range(1, 10))
    assert {e.trial_count for e in searching} == {9}
    assert all(5.0 <= e.percent <= 80.0 for e in searching)
    assert [e.percent for e in events if e.stage == "fitting"][-1] == 85.0

    assert set(outcome.metrics) == {"accuracy", "f1", "roc_auc", "log_loss"}
    assert outcome.metrics["accuracy"] > 0.8
    assert set(outcome.best_params) == {"max_depth", "min_samples_leaf"}
    assert isinstance(outcome.best_params["max_depth"], int)
    assert outcome.params["max_depth"] == outcome.best_params["max_depth"]
    assert outcome.params["n_estimators"] == 5
    assert outcome.params["random_state"] == 11
    assert outcome.extra["search"]["candidate_count"] == 3
    assert outcome.dataset.uri == "sklearn:wine"
    assert outcome.dataset.row_count == 178
    assert outcome.seed == 11
    assert outcome.framework_versions["scikit_learn"]

    model = _load(outcome, tmp_path / "out")
    x_test, y_test = _holdout(WINE_SEARCH, tmp_path)
    assert (model.predict(x_test) == y_test).mean() == pytest.approx(outcome.metrics["accuracy"])
    assert outcome.model.size_bytes == (tmp_path / "out" / "model.skops").stat().st_size

    assert outcome.inputs[0] == FeatureSignature("alcohol", "FP64", "numeric")
    assert len(outcome.inputs) == 13
    assert outcome.outputs == (
        OutputSignature("predict", "INT64", (-1,), (0, 1, 2)),
        OutputSignature("predict_proba", "FP64", (-1, 3), (0, 1, 2)),
    )

    columns, target = read_sample(tmp_path / "out" / outcome.sample.filename)
    assert outcome.sample_row_count == len(target) == outcome.profile_row_count == 133
    assert list(columns) == [f.name for f in outcome.inputs]
    assert set(target.tolist()) == {0, 1, 2}
    assert [f["name"] for f in outcome.profile_features] == list(columns)
    assert outcome.profile_target["kind"] == "categorical"
    assert outcome.profile_target["count"] == 133
    assert outcome.profile_outputs[0]["name"] == "predict"
    json.dumps(dataclasses.asdict(outcome), allow_nan=False)  # JSON types only


def test_a_csv_with_a_categorical_column_trains_through_a_column_transformer(data_root, tmp_path):
    outcome, _events = _train(PEOPLE_JOB, data_root, tmp_path / "out")
    assert outcome.inputs == (
        FeatureSignature("age", "FP64", "numeric"),
        FeatureSignature("income", "FP64", "numeric"),
        FeatureSignature("city", "BYTES", "categorical", ("berlin", "paris", "rome")),
    )
    assert outcome.outputs[0] == OutputSignature("predict", "BYTES", (-1,), ("no", "yes"))
    assert outcome.outputs[1].shape == (-1, 2)
    assert set(outcome.metrics) == {"accuracy", "f1", "roc_auc", "log_loss"}
    assert outcome.metrics["roc_auc"] > 0.7
    assert outcome.profile_target["kind"] == "binary"
    assert outcome.params["model__C"] == 1.0
    assert "steps" not in outcome.params
    assert outcome.params["prepare__numbers__impute__missing_values"] == "nan"
    city = outcome.profile_features[2]
    assert city["kind"] == "categorical"
    assert city["distinct_count"] == 3
    assert outcome.dataset.uri == "file:people.csv"

    columns, _target = read_sample(tmp_path / "out" / outcome.sample.filename)
    rows = np.column_stack([columns[name] for name in ("age", "income", "city")])
    predicted = _load(outcome, tmp_path / "out").predict(rows)
    assert set(predicted.tolist()) <= {"yes", "no"}
    json.dumps(dataclasses.asdict(outcome), allow_nan=False)


def test_a_parquet_file_trains(data_root, tmp_path):
    spec = dataclasses.replace(
        PEOPLE_JOB,
        dataset=dataclasses.replace(PEOPLE_JOB.dataset, path="people.parquet"),
        search=SearchSpec(
            "grid", (SearchParameter("model__C", double_range=(0.1, 10, True, 3)),), cv_folds=3
        ),
    )
    outcome, events = _train(spec, data_root, tmp_path / "out")
    assert outcome.dataset.uri == "file:people.parquet"
    assert {e.trial_count for e in events if e.stage == "searching"} == {9}
    assert any(outcome.best_params["model__C"] == pytest.approx(c) for c in (0.1, 1.0, 10.0))


def test_a_regression_on_diabetes(tmp_path):
    spec = JobSpec(
        task="regression",
        estimator=Pipeline(
            (
                PipelineStep("scale", Estimator("StandardScaler")),
                PipelineStep("model", Estimator("Ridge", {"alpha": 1.0})),
            )
        ),
        dataset=DatasetSpec(bundled="diabetes"),
    )
    outcome, events = _train(spec, tmp_path, tmp_path / "out")
    assert set(outcome.metrics) == {"rmse", "mae", "r2"}
    assert outcome.metrics["r2"] > 0.3
    assert outcome.metrics["rmse"] > outcome.metrics["mae"]
    assert outcome.outputs == (OutputSignature("predict", "FP64", (-1,)),)
    assert outcome.profile_target["kind"] == "numeric"
    assert outcome.profile_outputs[0]["histogram"]["counts"]
    assert outcome.best_params == {}
    fitting = [e.percent for e in events if e.stage == "fitting"]
    assert fitting == [5.0, 85.0]


def test_the_same_spec_data_and_seed_give_the_same_model(data_root, tmp_path):
    spec = dataclasses.replace(
        PEOPLE_JOB,
        estimator=Pipeline(
            (
                PEOPLE_JOB.estimator.steps[0],
                PipelineStep("model", Estimator("RandomForestClassifier", {"n_estimators": 5})),
            )
        ),
        search=SearchSpec(
            "random",
            (SearchParameter("model__max_depth", int_range=(2, 6, 1)),),
            cv_folds=2,
            n_iter=2,
        ),
    )
    first, _ = _train(spec, data_root, tmp_path / "one")
    second, _ = _train(spec, data_root, tmp_path / "two")
    x_test, _y = _holdout(spec, data_root)
    one, two = _load(first, tmp_path / "one"), _load(second, tmp_path / "two")
    np.testing.assert_array_equal(one.predict(x_test), two.predict(x_test))
    np.testing.assert_array_equal(one.predict_proba(x_test), two.predict_proba(x_test))
    assert first.best_params == second.best_params
    assert first.metrics == second.metrics
    assert first.sample.sha256 == second.sample.sha256
    assert first.profile_features == second.profile_features


# --- failures ----------------------------------------------------------------------------------


def _fails(spec, data_root, tmp_path) -> TrainingFailed:
    with pytest.raises(TrainingFailed) as caught:
        train(spec, data_root=data_root, out_dir=tmp_path / "out", progress=lambda _p: None)
    assert len(caught.value.message) <= 500
    assert "Traceback" not in caught.value.message
    return caught.value


def test_a_parameter_combination_the_estimator_refuses_is_a_bad_spec(tmp_path):
    spec = dataclasses.replace(
        WINE_SEARCH,
        search=None,
        estimator=Estimator("LogisticRegression", {"solver": "lbfgs", "l1_ratio": 1.0}),
    )
    failure = _fails(spec, tmp_path, tmp_path)
    assert failure.category == "bad_spec"
    assert "fitting failed" in failure.message


def test_text_reaching_a_numeric_estimator_is_bad_data(data_root, tmp_path):
    spec = dataclasses.replace(PEOPLE_JOB, estimator=Estimator("LogisticRegression"))
    failure = _fails(spec, data_root, tmp_path)
    assert failure.category == "bad_data"
    assert "could not convert string to float" in failure.message
    assert "OneHotEncoder" in failure.message


def test_a_single_class_in_the_training_split_is_bad_data(data_root, tmp_path, write_csv):
    labels = np.array(["a"] * 8 + ["b"] * 2)
    seed = next(
        s
        for s in range(1000)
        if len(set(train_test_split(labels, test_size=0.2, random_state=s)[0])) == 1
    )
    write_csv(data_root / "rare.csv", pa.table({"x": np.arange(10.0), "y": labels}))
    spec = JobSpec(
        task="classification",
        estimator=Estimator("LogisticRegression"),
        dataset=DatasetSpec(path="rare.csv", target_column="y"),
        # Unstratified on purpose: a stratified split keeps both classes in training.
        split=SplitSpec(seed=seed, stratify=False),
    )
    failure = _fails(spec, data_root, tmp_path)
    assert failure.category == "bad_data"
    assert "single class" in failure.message


def test_a_model_holding_untrusted_types_is_not_written(tmp_path):
    spec = dataclasses.replace(
        WINE_SEARCH, search=None, estimator=Estimator("KNeighborsClassifier", {"p": 3})
    )
    failure = _fails(spec, tmp_path, tmp_path)
    assert failure.category == "bad_spec"
    assert "MinkowskiDistance" in failure.message
    assert not (tmp_path / "out" / "model.skops").exists()


def test_a_path_outside_the_root_fails_even_without_validation(data_root, tmp_path):
    spec = dataclasses.replace(PEOPLE_JOB, dataset=DatasetSpec(path="../x.csv", target_column="y"))
    assert _fails(spec, data_root, tmp_path).category == "bad_spec"


def test_the_reference_file_keeps_bounded_training_and_holdout_samples(data_root, tmp_path):
    """The sample bound applies to each split; the real counts and the sketches of the whole
    columns (both splits) are kept whatever the bound."""
    out = tmp_path / "out"
    outcome = train(PEOPLE_JOB, data_root=data_root, out_dir=out, progress=lambda p: None)
    whole = read_reference(out / outcome.sample.filename)
    assert outcome.sample.format == "parquet"
    assert whole.row_count == whole.sample_rows == outcome.profile_row_count
    assert whole.holdout_row_count == whole.holdout_sample_rows > 0
    x_test, y_test = _holdout(PEOPLE_JOB, data_root)
    assert sorted(whole.holdout_target.tolist()) == sorted(y_test.tolist())
    assert sorted(map(str, whole.holdout_columns["city"])) == sorted(map(str, x_test[:, 2]))

    bounded = train(
        PEOPLE_JOB,
        data_root=data_root,
        out_dir=tmp_path / "b",
        progress=lambda p: None,
        sample_rows=20,
    )
    reference = read_reference(tmp_path / "b" / bounded.sample.filename)
    assert (reference.sample_rows, reference.holdout_sample_rows) == (20, 20)
    assert bounded.sample_row_count == 20
    assert (reference.row_count, reference.holdout_row_count) == (
        whole.row_count,
        whole.holdout_row_count,
    )
    # The sketches describe the whole training data, both splits, not the 20 rows of each.
    both = whole.row_count + whole.holdout_row_count
    city = reference.sketches["city"]
    assert sum(count for _, count in city["categories"]) + city["missing_count"] == both
    assert reference.sketches["city"] == whole.sketches["city"]
    assert reference.sketches["age"]["count"] + reference.sketches["age"]["missing_count"] == both
    assert len(reference.sketches["age"]["quantiles"]) == 101
