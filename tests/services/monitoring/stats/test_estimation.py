"""CBPE and DLE on synthetic cases whose true performance is known (the labels are drawn, then
hidden from the estimator)."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.metrics import accuracy_score, f1_score, roc_auc_score

from slipway.services.monitoring.stats.estimation import (
    CBPE,
    DLE,
    estimated_roc_auc,
    needs_calibration,
)


def _binary(rng: np.random.Generator, n: int, shift: float) -> tuple[np.ndarray, np.ndarray]:
    """Two features; the label follows a fixed logistic concept. ``shift`` moves x0 towards the
    decision boundary (covariate shift: the concept is unchanged, the task gets harder)."""
    x = rng.normal(size=(n, 2))
    x[:, 0] = x[:, 0] * (1.0 - shift) + 0.0
    x[:, 1] = rng.normal(size=n)
    p = 1.0 / (1.0 + np.exp(-(3.0 * x[:, 0] + 1.0 * x[:, 1])))
    y = (rng.random(n) < p).astype(int)
    return x, y


@pytest.fixture(scope="module")
def binary_case() -> tuple[LogisticRegression, CBPE]:
    rng = np.random.default_rng(7)
    x_train, y_train = _binary(rng, 5000, 0.0)
    model = LogisticRegression().fit(x_train, y_train)
    x_hold, y_hold = _binary(rng, 5000, 0.0)
    return model, CBPE.fit(model.predict_proba(x_hold), y_hold)


def test_cbpe_binary_unshifted_estimate_is_within_the_band_of_the_realised(
    binary_case: tuple[LogisticRegression, CBPE],
) -> None:
    model, cbpe = binary_case
    x, y = _binary(np.random.default_rng(11), 2000, 0.0)
    proba = model.predict_proba(x)
    realised = {
        "accuracy": accuracy_score(y, proba.argmax(1)),
        "f1": f1_score(y, proba.argmax(1)),
        "roc_auc": roc_auc_score(y, proba[:, 1]),
    }
    for estimate in cbpe.estimate(proba):
        assert estimate.lower <= realised[estimate.metric] <= estimate.upper, estimate
        assert estimate.sampling_error > 0


def test_cbpe_covariate_shift_lowers_estimated_accuracy_with_the_realised(
    binary_case: tuple[LogisticRegression, CBPE],
) -> None:
    model, cbpe = binary_case
    before = cbpe.estimate(model.predict_proba(_binary(np.random.default_rng(3), 2000, 0.0)[0]))
    x, y = _binary(np.random.default_rng(5), 2000, 0.7)
    proba = model.predict_proba(x)
    after = {e.metric: e for e in cbpe.estimate(proba)}
    realised_accuracy = accuracy_score(y, proba.argmax(1))
    realised_auc = roc_auc_score(y, proba[:, 1])
    # The true accuracy dropped by about 0.1; the estimate drops with it and its band holds it.
    assert realised_accuracy < before[0].value - 0.08
    assert after["accuracy"].value < before[0].value - 0.08
    assert after["accuracy"].lower <= realised_accuracy <= after["accuracy"].upper
    assert after["roc_auc"].lower <= realised_auc <= after["roc_auc"].upper


def test_cbpe_calibrates_an_overconfident_model() -> None:
    rng = np.random.default_rng(1)
    x, y = _binary(rng, 6000, 0.0)
    model = LogisticRegression().fit(x[:3000], y[:3000])
    # An overconfident model: its logits doubled.
    raw = model.decision_function(x[3000:]) * 3.0
    proba_positive = 1.0 / (1.0 + np.exp(-raw))
    proba = np.column_stack([1 - proba_positive, proba_positive])
    assert needs_calibration(y[3000:].astype(float), proba_positive)
    cbpe = CBPE.fit(proba[:1500], y[3000:4500])
    assert cbpe.calibrated
    estimate = {e.metric: e for e in cbpe.estimate(proba[1500:])}
    realised = accuracy_score(y[4500:], proba[1500:].argmax(1))
    assert estimate["accuracy"].lower <= realised <= estimate["accuracy"].upper
    # Uncalibrated, the mean confidence overstates the accuracy well past the band.
    naive = float(np.maximum(proba_positive[1500:], 1 - proba_positive[1500:]).mean())
    assert naive > estimate["accuracy"].upper


def test_cbpe_multiclass_estimates_follow_a_covariate_shift() -> None:
    rng = np.random.default_rng(4)
    weights = np.array([[2.0, 0.0], [-1.0, 1.7], [-1.0, -1.7]])  # a fixed softmax concept

    def draw(n: int, scale: float) -> tuple[np.ndarray, np.ndarray]:
        x = rng.normal(size=(n, 2)) * scale
        logits = x @ weights.T
        p = np.exp(logits - logits.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        y = (rng.random((n, 1)) > p.cumsum(axis=1)).sum(axis=1)
        return x, y

    model = LogisticRegression().fit(*draw(4000, 1.0))
    x_hold, y_hold = draw(4000, 1.0)
    cbpe = CBPE.fit(model.predict_proba(x_hold), y_hold)
    accuracies = []
    for scale in (1.0, 0.4):  # rows pulled towards the centre, where the classes mix
        x_w, y_w = draw(3000, scale)
        proba = model.predict_proba(x_w)
        realised = {
            "accuracy": accuracy_score(y_w, proba.argmax(1)),
            "f1": f1_score(y_w, proba.argmax(1), average="macro"),
            "roc_auc": roc_auc_score(y_w, proba, multi_class="ovr", average="macro"),
        }
        for estimate in cbpe.estimate(proba):
            # The macro ROC AUC of one class against the rest moves a little with the class mix
            # of the shifted rows: 0.02 past its (narrow) band is allowed.
            slack = 0.02 if estimate.metric == "roc_auc" else 0.0
            assert estimate.lower - slack <= realised[estimate.metric] <= estimate.upper + slack, (
                scale,
                estimate,
                realised,
            )
        accuracies.append(realised["accuracy"])
    assert accuracies[1] < accuracies[0] - 0.1


def test_estimated_roc_auc_of_perfectly_calibrated_scores_matches_the_expected_auc() -> None:
    rng = np.random.default_rng(0)
    scores = rng.random(200_000)
    truth = (rng.random(len(scores)) < scores).astype(int)
    assert estimated_roc_auc(scores) == pytest.approx(roc_auc_score(truth, scores), abs=0.005)


def _regression(rng: np.random.Generator, n: int, shift: float) -> tuple[np.ndarray, np.ndarray]:
    """The noise grows with x0 (heteroscedastic): moving x0 up raises the true error."""
    x = rng.normal(size=(n, 3))
    x[:, 0] += shift
    y = 2.0 * x[:, 0] - x[:, 1] + rng.normal(size=n) * (0.5 + np.abs(x[:, 0]))
    return x, y


def test_dle_follows_a_shift_that_raises_the_error() -> None:
    rng = np.random.default_rng(2)
    x, y = _regression(rng, 4000, 0.0)
    model = LinearRegression().fit(x, y)
    x_hold, y_hold = _regression(rng, 5000, 0.0)
    cols = lambda m: {f"x{i}": m[:, i] for i in range(m.shape[1])}  # noqa: E731
    dle = DLE.fit(cols(x_hold), frozenset(), model.predict(x_hold), y_hold)
    results = []
    for shift in (0.0, 1.5):
        x_w, y_w = _regression(np.random.default_rng(int(shift * 10) + 20), 2000, shift)
        predicted = model.predict(x_w)
        estimate = {e.metric: e for e in dle.estimate(cols(x_w), predicted)}
        mae = float(np.abs(y_w - predicted).mean())
        rmse = float(np.sqrt(((y_w - predicted) ** 2).mean()))
        assert estimate["mae"].lower <= mae <= estimate["mae"].upper, (shift, estimate, mae)
        assert abs(estimate["rmse"].value - rmse) / rmse < 0.1, (shift, estimate, rmse)
        results.append((estimate["mae"].value, mae))
    assert results[1][0] > results[0][0] * 1.3  # the estimate rose as the true MAE did
    assert results[1][1] > results[0][1] * 1.3


def test_dle_takes_categories_and_missing_values() -> None:
    rng = np.random.default_rng(9)
    n = 3000
    colour = rng.choice(np.array(["red", "green", "blue"], dtype=object), n)
    noise = np.where(colour == "red", 3.0, 0.5)
    x = rng.normal(size=n)
    x[::17] = np.nan
    y = np.nan_to_num(x) + rng.normal(size=n) * noise
    predicted = np.nan_to_num(x)
    columns = {"x": x, "colour": colour}
    dle = DLE.fit(columns, frozenset({"colour"}), predicted, y)
    only_red = {"x": x[colour == "red"], "colour": colour[colour == "red"]}
    red_mae = dle.estimate(only_red, predicted[colour == "red"])[0]
    assert red_mae.value == pytest.approx(3.0 * np.sqrt(2 / np.pi), rel=0.15)
    assert isinstance(HistGradientBoostingRegressor, type)
