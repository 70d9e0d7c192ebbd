"""Holdout metrics of a fitted model.

Classification: ``accuracy``; ``f1`` (of the positive class, ``classes_[1]``, for a binary model,
else macro-averaged over the classes); ``roc_auc`` (binary: from the positive class's
probability; more classes: one-vs-rest, macro) and ``log_loss``, both only when the model has
``predict_proba`` and every class it knows appears in the holdout, since neither is defined
otherwise. Regression: ``rmse``, ``mae`` and ``r2``. A metric that comes out NaN or infinite (an
R2 over one row) is left out: every value reported is a finite float.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt
from sklearn.metrics import (  # type: ignore[import-untyped]
    accuracy_score,
    f1_score,
    log_loss,
    mean_absolute_error,
    r2_score,
    roc_auc_score,
    root_mean_squared_error,
)

from slipway.ml.model_files import predict_is_argmax
from slipway.services.training.engine.estimators import supports_proba
from slipway.services.training.engine.spec import Task

__all__ = ["evaluate"]


def evaluate(
    model: Any, x: npt.NDArray[Any], y: npt.NDArray[Any], *, task: Task
) -> dict[str, float]:
    """The holdout metrics of ``model`` on ``x`` and ``y`` (see the module docstring)."""
    proba = None
    if task == "classification" and predict_is_argmax(model):
        proba = model.predict_proba(x)
        predicted = np.asarray(model.classes_).take(np.argmax(proba, axis=1))
    else:
        predicted = model.predict(x)
    if task == "regression":
        metrics = {
            "rmse": root_mean_squared_error(y, predicted),
            "mae": mean_absolute_error(y, predicted),
            "r2": r2_score(y, predicted) if len(y) > 1 else math.nan,
        }
    else:
        metrics = _classification(model, x, y, predicted, proba)
    return {name: float(value) for name, value in metrics.items() if math.isfinite(float(value))}


def _classification(
    model: Any,
    x: npt.NDArray[Any],
    y: npt.NDArray[Any],
    predicted: npt.NDArray[Any],
    proba: npt.NDArray[Any] | None,
) -> dict[str, float]:
    classes = np.asarray(model.classes_)
    metrics = {"accuracy": float(accuracy_score(y, predicted))}
    seen = set(
        np.unique(
            np.concatenate([np.asarray(y, dtype=object), np.asarray(predicted, dtype=object)])
        ).tolist()
    )
    if len(classes) == 2 and seen <= set(classes.tolist()):
        metrics["f1"] = float(
            f1_score(y, predicted, pos_label=classes[1], average="binary", zero_division=0)
        )
    else:
        metrics["f1"] = float(f1_score(y, predicted, average="macro", zero_division=0))
    if supports_proba(model) and set(np.unique(y).tolist()) == set(classes.tolist()):
        if proba is None:
            proba = model.predict_proba(x)
        if len(classes) == 2:
            metrics["roc_auc"] = float(roc_auc_score(y == classes[1], proba[:, 1]))
        else:
            metrics["roc_auc"] = float(
                roc_auc_score(y, proba, multi_class="ovr", average="macro", labels=classes)
            )
        metrics["log_loss"] = float(log_loss(y, proba, labels=classes))
    return metrics
