"""The hyperparameter search: candidates, cross-validation that matches scikit-learn's own,
progress after every fit, failing candidates."""

from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV

from slipway.services.training.engine.estimators import build
from slipway.services.training.engine.outcome import TrainingFailed
from slipway.services.training.engine.search import candidates, search
from slipway.services.training.engine.spec import (
    Estimator,
    Pipeline,
    PipelineStep,
    SearchParameter,
    SearchSpec,
)

X_IRIS, Y_IRIS = load_iris(return_X_y=True)
PIPELINE = build(
    Pipeline(
        (
            PipelineStep("scale", Estimator("MinMaxScaler")),
            PipelineStep("model", Estimator("LogisticRegression")),
        )
    ),
    [],
    seed=0,
)


def test_grid_candidates_cover_every_combination_in_order():
    spec = SearchSpec(
        "grid",
        (
            SearchParameter("model__C", double_range=(0.01, 1.0, True, 3)),
            SearchParameter("model__max_iter", int_range=(100, 300, 100)),
            SearchParameter("scale__feature_range", values=([0, 1], [-1, 1])),
        ),
    )
    found = candidates(PIPELINE, spec, seed=0)
    assert len(found) == 3 * 3 * 2
    assert sorted({c["model__C"] for c in found}) == pytest.approx([0.01, 0.1, 1.0])
    assert sorted({c["model__max_iter"] for c in found}) == [100, 200, 300]
    # JSON has no tuples: the list becomes the tuple MinMaxScaler takes.
    assert {c["scale__feature_range"] for c in found} == {(0, 1), (-1, 1)}
    assert candidates(PIPELINE, spec, seed=5) == found


def test_linear_grids_and_default_points():
    spec = SearchSpec("grid", (SearchParameter("model__C", double_range=(1.0, 2.0, False, 0)),))
    assert [c["model__C"] for c in candidates(PIPELINE, spec, seed=0)] == [
        1.0,
        1.25,
        1.5,
        1.75,
        2.0,
    ]


def test_random_candidates_depend_on_the_seed_only():
    spec = SearchSpec(
        "random",
        (
            SearchParameter("model__C", double_range=(1e-3, 1e3, True, 0)),
            SearchParameter("model__max_iter", int_range=(50, 60, 0)),
        ),
        n_iter=6,
    )
    first = candidates(PIPELINE, spec, seed=1)
    assert len(first) == 6
    assert candidates(PIPELINE, spec, seed=1) == first
    assert candidates(PIPELINE, spec, seed=2) != first
    assert all(1e-3 <= c["model__C"] <= 1e3 and 50 <= c["model__max_iter"] <= 60 for c in first)


def test_random_search_over_lists_draws_each_candidate_once():
    spec = SearchSpec(
        "random",
        (
            SearchParameter("model__C", values=(0.1, 1.0)),
            SearchParameter("model__fit_intercept", values=(True, False)),
        ),
        n_iter=10,
    )
    found = candidates(PIPELINE, spec, seed=0)
    assert len(found) == 4
    assert len({tuple(sorted(c.items())) for c in found}) == 4


def test_the_search_scores_like_grid_search_cv_and_reports_every_fit():
    spec = SearchSpec(
        "grid", (SearchParameter("C", values=(0.01, 0.1, 1.0)),), cv_folds=3, scoring="accuracy"
    )
    model = LogisticRegression(max_iter=500)
    events = []
    result = search(
        model, spec, X_IRIS, Y_IRIS, seed=0, progress=events.append, percent=(10.0, 40.0)
    )
    reference = GridSearchCV(model, {"C": [0.01, 0.1, 1.0]}, cv=3, scoring="accuracy")
    reference.fit(X_IRIS, Y_IRIS)
    np.testing.assert_allclose(result.mean_scores, reference.cv_results_["mean_test_score"])
    assert result.best_params == reference.best_params_
    assert result.best_score == pytest.approx(reference.best_score_)
    assert [e.trial for e in events] == list(range(1, 10))
    assert {e.trial_count for e in events} == {9}
    assert {e.stage for e in events} == {"searching"}
    percents = [e.percent for e in events]
    assert percents == sorted(percents)
    assert percents[-1] == pytest.approx(40.0)
    assert percents[0] > 10.0


def test_a_failing_candidate_scores_minus_infinity():
    spec = SearchSpec("grid", (SearchParameter("n_neighbors", values=(500, 3)),), cv_folds=3)
    model = build(Estimator("KNeighborsClassifier"), [], seed=0)
    result = search(model, spec, X_IRIS, Y_IRIS, seed=0, progress=lambda _p: None)
    assert result.mean_scores[0] == -math.inf
    assert result.mean_scores[1] > 0.9
    assert result.best_params == {"n_neighbors": 3}


def test_when_every_candidate_fails_the_first_error_is_reported():
    spec = SearchSpec("grid", (SearchParameter("n_neighbors", values=(500, 600)),), cv_folds=3)
    model = build(Estimator("KNeighborsClassifier"), [], seed=0)
    with pytest.raises(TrainingFailed, match=r"every search candidate failed.*n_neighbors") as e:
        search(model, spec, X_IRIS, Y_IRIS, seed=0, progress=lambda _p: None)
    assert e.value.category == "bad_spec"
    assert "Traceback" not in e.value.message
    assert len(e.value.message) <= 500


def test_ties_go_to_the_first_candidate():
    spec = SearchSpec(
        "grid", (SearchParameter("strategy", values=("prior", "most_frequent")),), cv_folds=2
    )
    result = search(
        build(Estimator("DummyClassifier"), [], seed=0),
        spec,
        X_IRIS,
        Y_IRIS,
        seed=0,
        progress=lambda _p: None,
    )
    assert result.mean_scores[0] == result.mean_scores[1]
    assert result.best_params == {"strategy": "prior"}


@pytest.mark.slow  # a process pool of trials
def test_parallel_trials_give_the_serial_result():
    spec = SearchSpec(
        "random", (SearchParameter("max_depth", int_range=(1, 6, 1)),), cv_folds=3, n_iter=3
    )
    model = build(Estimator("RandomForestClassifier", {"n_estimators": 3}), [], seed=0)
    serial = search(model, spec, X_IRIS, Y_IRIS, seed=0, progress=lambda _p: None)
    events = []
    parallel = search(
        model,
        SearchSpec(**{**spec.__dict__, "max_parallel_trials": 2}),
        X_IRIS,
        Y_IRIS,
        seed=0,
        progress=events.append,
    )
    assert parallel.mean_scores == serial.mean_scores
    assert parallel.best_params == serial.best_params
    assert sorted(e.trial for e in events) == list(range(1, 10))
