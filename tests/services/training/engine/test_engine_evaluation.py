"""Holdout metrics: the keys by task, and which are left out when undefined."""

from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn.datasets import load_diabetes, load_iris
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.metrics import f1_score, roc_auc_score
from sklearn.svm import LinearSVC

from slipway.ml.model_files import PREDICT_IS_ARGMAX
from slipway.services.training.engine.evaluation import evaluate

X_IRIS, Y_IRIS = load_iris(return_X_y=True)
NAMES = np.array(["setosa", "versicolor", "virginica"], dtype=object)


def test_binary_metrics_use_the_second_class_as_positive():
    mask = Y_IRIS > 0
    x, y = X_IRIS[mask][:, :2], NAMES[Y_IRIS[mask]]  # string labels, hard to separate
    model = LogisticRegression().fit(x, y)
    metrics = evaluate(model, x, y, task="classification")
    assert set(metrics) == {"accuracy", "f1", "roc_auc", "log_loss"}
    predicted = model.predict(x)
    assert metrics["f1"] == pytest.approx(f1_score(y, predicted, pos_label="virginica"))
    assert metrics["roc_auc"] == pytest.approx(
        roc_auc_score(y == "virginica", model.predict_proba(x)[:, 1])
    )
    assert all(isinstance(v, float) and math.isfinite(v) for v in metrics.values())


def test_multiclass_metrics_are_macro_averaged():
    model = LogisticRegression(max_iter=500).fit(X_IRIS, Y_IRIS)
    metrics = evaluate(model, X_IRIS, Y_IRIS, task="classification")
    assert metrics["f1"] == pytest.approx(f1_score(Y_IRIS, model.predict(X_IRIS), average="macro"))
    assert 0.9 < metrics["roc_auc"] <= 1.0
    assert metrics["log_loss"] > 0


def test_probability_metrics_need_probabilities_and_every_class_in_the_holdout():
    no_proba = LinearSVC().fit(X_IRIS, Y_IRIS)
    assert set(evaluate(no_proba, X_IRIS, Y_IRIS, task="classification")) == {"accuracy", "f1"}
    model = LogisticRegression(max_iter=500).fit(X_IRIS, Y_IRIS)
    two_classes = Y_IRIS < 2
    assert set(
        evaluate(model, X_IRIS[two_classes], Y_IRIS[two_classes], task="classification")
    ) == {"accuracy", "f1"}


def test_regression_metrics():
    x, y = load_diabetes(return_X_y=True)
    model = LinearRegression().fit(x, y)
    metrics = evaluate(model, x, y, task="regression")
    assert set(metrics) == {"rmse", "mae", "r2"}
    assert metrics["rmse"] >= metrics["mae"] > 0
    assert 0 < metrics["r2"] < 1
    assert set(evaluate(model, x[:1], y[:1], task="regression")) == {"rmse", "mae"}


@pytest.mark.parametrize("name", sorted(PREDICT_IS_ARGMAX))
def test_one_pass_evaluation_gives_the_accuracy_of_predict(name: str) -> None:
    from sklearn.datasets import load_wine
    from sklearn.metrics import accuracy_score

    from slipway.services.training.engine.estimators import ALLOWED

    x, y = load_wine(return_X_y=True)
    model = ALLOWED[name](random_state=0).fit(x[::2], y[::2])
    metrics = evaluate(model, x[1::2], y[1::2], task="classification")
    assert metrics["accuracy"] == accuracy_score(y[1::2], model.predict(x[1::2]))
