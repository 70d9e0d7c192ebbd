"""Performance estimated without labels: CBPE for classifiers, DLE for regressors.

Both methods learn from labeled rows the model was *not* trained on (the holdout, or whatever
stands in for it) and then read only unlabeled windows. Inputs are plain arrays, so that any
source of labeled rows can feed them.

**CBPE** (confidence-based performance estimation, the method NannyML documents). The model's
``predict_proba`` is calibrated on the labeled rows with isotonic regression, one class against
the rest (rows renormalised to sum to one for more than two classes), when a cross-validated
check shows calibration lowers the expected calibration error. A calibrated score ``p`` of the
predicted class is the probability that the prediction is right, so a window's expected confusion
matrix, and the metrics built on it, follow from its scores alone:

* accuracy: the mean of ``p`` of the predicted class;
* F1: expected TP = sum of ``p`` where the positive class was predicted, FP = sum of ``1 - p``
  there, FN = sum of ``p`` elsewhere; ``2 TP / (2 TP + FP + FN)``; macro over classes for more
  than two;
* ROC AUC: rows by score, highest first; the curve's true positive rate is the running sum of
  ``p`` and its false positive rate that of ``1 - p``, each over its total (one against the rest,
  macro, for more than two).

The estimate holds while the relation between inputs and target (concept) is unchanged: a
covariate shift moves the scores, and the estimate follows; a concept drift does not show.

**DLE** (direct loss estimation). A gradient boosted regressor learns, on the labeled rows, the
absolute error and the squared error of the model from the inputs and the model's prediction;
a window's MAE is the mean of the predicted absolute errors and its RMSE the root of the mean of
the predicted squared errors. NannyML uses LightGBM; this uses scikit-learn's
``HistGradientBoostingRegressor``, the same histogram-based algorithm with native missing values
and categories, because scikit-learn is already a dependency and LightGBM is not.

**Confidence band.** The sampling error of each metric for ``n`` rows is computed from the
labeled rows as NannyML does (the standard deviation of the metric's per-row terms over
``sqrt(n)``, times a correction for metrics over a share of the rows); the band is the estimate
plus or minus three sampling errors, clipped to the metric's range.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from sklearn.ensemble import HistGradientBoostingRegressor  # type: ignore[import-untyped]
from sklearn.isotonic import IsotonicRegression  # type: ignore[import-untyped]
from sklearn.model_selection import StratifiedShuffleSplit  # type: ignore[import-untyped]
from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

Array = npt.NDArray[Any]
Floats = npt.NDArray[np.float64]

BAND_SAMPLING_ERRORS = 3.0  # the band: estimate +- 3 sampling errors, as NannyML draws it
CALIBRATION_BINS = 10
CALIBRATION_SPLITS = 10
CLASSIFICATION_ESTIMATES = ("accuracy", "f1", "roc_auc")
REGRESSION_ESTIMATES = ("mae", "rmse")
MACRO_WIDENING = 1.2
MAX_NATIVE = 254  # categories a histogram tree splits natively


@dataclass(frozen=True)
class Estimate:
    """One metric estimated for a window of ``rows`` rows."""

    metric: str
    value: float
    sampling_error: float
    lower: float  # the confidence band
    upper: float
    rows: int


def _band(metric: str, value: float, error: float, rows: int, top: float | None) -> Estimate:
    lower = max(0.0, value - BAND_SAMPLING_ERRORS * error)
    upper = value + BAND_SAMPLING_ERRORS * error
    if top is not None:
        upper = min(top, upper)
    return Estimate(metric, value, error, lower, upper, rows)


# --- calibration ------------------------------------------------------------------------------


def expected_calibration_error(
    truth: Floats, scores: Floats, bins: int = CALIBRATION_BINS
) -> float:
    """The share-weighted gap between the mean score and the positive rate, over equal-width
    score bins."""
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(scores, edges[1:-1]), 0, bins - 1)
    total = 0.0
    for b in range(bins):
        inside = which == b
        if inside.any():
            total += inside.mean() * abs(truth[inside].mean() - scores[inside].mean())
    return float(total)


def _isotonic() -> IsotonicRegression:
    return IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0, increasing=True)


def needs_calibration(truth: Floats, scores: Floats, seed: int = 0) -> bool:
    """Whether isotonic calibration lowers the expected calibration error on held-out splits
    (NannyML's check): a model calibrated already is left as it is, which keeps the estimate
    from fitting the noise of a small labeled set."""
    if expected_calibration_error(truth, scores) == 0.0 or len(set(truth.tolist())) < 2:
        return False
    positives = int(truth.sum())
    if min(positives, len(truth) - positives) < 2:
        return False
    splits = StratifiedShuffleSplit(
        n_splits=CALIBRATION_SPLITS, test_size=0.1, random_state=seed
    ).split(scores.reshape(-1, 1), truth)
    raw, calibrated = [], []
    for train, test in splits:
        fitted = _isotonic().fit(scores[train], truth[train])
        raw.append(expected_calibration_error(truth[test], scores[test]))
        calibrated.append(expected_calibration_error(truth[test], fitted.predict(scores[test])))
    return float(np.mean(calibrated)) < float(np.mean(raw))


# --- classification ---------------------------------------------------------------------------


def _std_share(terms: Floats, share: float) -> tuple[float, float]:
    return (float(np.std(terms)) if len(terms) else 0.0, share)


def _f1_components(truth: Array, predicted: Array) -> tuple[float, float]:
    """Per-row F1 terms (1 for a true positive, 0 for a false one, either way), scaled so their
    mean is the F1, over the share of rows that count (NannyML's correction)."""
    tp = int(((truth == 1) & (predicted == 1)).sum())
    wrong = int((truth != predicted).sum())
    counted = tp + wrong
    if counted == 0:
        return 0.0, 1.0
    factor = counted / (wrong * 0.5 + tp)
    terms = np.concatenate([np.ones(tp), np.zeros(wrong)]) * factor
    return _std_share(terms, counted / len(truth))


def _auc_components(truth: Array, scores: Floats) -> tuple[float, float]:
    """AUC as a Mann-Whitney statistic: the per-positive share of negatives ranked below it,
    its spread, and the positive share (the minority class taken as positive)."""
    y = truth.astype(np.float64)
    s = scores.astype(np.float64)
    if y.mean() > 0.5:
        y, s = 1.0 - y, 1.0 - s
    order = np.argsort(s, kind="stable")
    y = y[order]
    positives = int(y.sum())
    negatives = len(y) - positives
    if positives == 0 or negatives == 0:
        return 0.0, 1.0
    ranks = np.flatnonzero(y == 1)
    below = (ranks - np.arange(positives)) / negatives  # negatives ranked below each positive
    return float(np.std(below)), positives / len(y)


def _universal(components: tuple[float, float], rows: int) -> float:
    std, share = components
    return std / np.sqrt(rows * share) if rows and share > 0 else 0.0


def estimated_f1(scores: Floats, predicted_positive: npt.NDArray[np.bool_]) -> float:
    """F1 of the positive class from calibrated positive scores and the predictions."""
    tp = float(scores[predicted_positive].sum())
    fp = float((1.0 - scores[predicted_positive]).sum())
    fn = float(scores[~predicted_positive].sum())
    denominator = 2 * tp + fp + fn
    return 2 * tp / denominator if denominator > 0 else 0.0


def estimated_roc_auc(scores: Floats) -> float:
    """ROC AUC from calibrated positive scores alone (rows of equal score lie on one straight
    segment of the curve, so ties need no grouping)."""
    ordered = np.sort(scores)[::-1]
    tp = np.concatenate([[0.0], np.cumsum(ordered)])
    fp = np.concatenate([[0.0], np.cumsum(1.0 - ordered)])
    if tp[-1] <= 0 or fp[-1] <= 0:
        return float("nan")
    return float(np.trapezoid(tp / tp[-1], fp / fp[-1]))


@dataclass(frozen=True)
class _ClassTerms:
    f1: tuple[float, float]
    auc: tuple[float, float]


class CBPE:
    """Confidence-based performance estimation for a classifier with ``k >= 2`` classes.

    ``fit(proba, truth, predicted)``: ``proba`` is ``[n, k]`` (columns in the model's class
    order), ``truth`` and ``predicted`` class indices in ``0..k-1`` (``predicted`` defaults to
    the arg-max). For two classes the positive class is index 1.
    """

    def __init__(
        self,
        calibrators: list[IsotonicRegression | None],
        accuracy_std: float,
        terms: list[_ClassTerms],
        rows: int,
    ) -> None:
        self._calibrators = calibrators
        self._accuracy_std = accuracy_std
        self._terms = terms
        self.rows = rows  # labeled rows it learned from

    @property
    def classes(self) -> int:
        return len(self._calibrators)

    @property
    def calibrated(self) -> bool:
        return any(c is not None for c in self._calibrators)

    @classmethod
    def fit(
        cls,
        proba: Array,
        truth: Array,
        predicted: Array | None = None,
        *,
        seed: int = 0,
    ) -> CBPE:
        scores = np.asarray(proba, dtype=np.float64)
        if scores.ndim != 2 or scores.shape[1] < 2:
            raise ValueError("proba must be [rows, classes] with at least two classes")
        y = np.asarray(truth, dtype=np.int64)
        y_pred = scores.argmax(axis=1) if predicted is None else np.asarray(predicted, np.int64)
        if len(y) != len(scores) or len(y_pred) != len(scores) or len(y) == 0:
            raise ValueError("proba, truth and predicted must have the same, non-zero length")
        k = scores.shape[1]
        columns = [1] if k == 2 else list(range(k))
        calibrators: list[IsotonicRegression | None] = []
        terms: list[_ClassTerms] = []
        for c in columns:
            is_c = (y == c).astype(np.float64)
            calibrator = None
            if needs_calibration(is_c, scores[:, c], seed):
                calibrator = _isotonic().fit(scores[:, c], is_c)
            calibrators.append(calibrator)
            terms.append(
                _ClassTerms(
                    f1=_f1_components((y == c).astype(int), (y_pred == c).astype(int)),
                    auc=_auc_components((y == c).astype(int), scores[:, c]),
                )
            )
        correct = (y == y_pred).astype(np.float64)
        return cls(calibrators, float(np.std(correct)), terms, len(y))

    def calibrate(self, proba: Array) -> Floats:
        """``proba`` calibrated: ``[n]`` positive scores for two classes, else ``[n, k]``."""
        scores = np.asarray(proba, dtype=np.float64)
        if len(self._calibrators) == 1:
            calibrator = self._calibrators[0]
            positive = scores[:, 1]
            return positive if calibrator is None else np.asarray(calibrator.predict(positive))
        out = np.column_stack(
            [
                scores[:, c] if cal is None else np.asarray(cal.predict(scores[:, c]))
                for c, cal in enumerate(self._calibrators)
            ]
        )
        sums = out.sum(axis=1, keepdims=True)
        # A row every calibrator put at 0 keeps its raw scores rather than dividing by zero.
        return np.where(sums > 0, out / np.where(sums > 0, sums, 1.0), scores)

    def estimate(self, proba: Array, predicted: Array | None = None) -> list[Estimate]:
        """Estimated accuracy, F1 and ROC AUC of a window, each with its band."""
        scores = np.asarray(proba, dtype=np.float64)
        n = len(scores)
        if n == 0:
            return []
        y_pred = scores.argmax(axis=1) if predicted is None else np.asarray(predicted, np.int64)
        calibrated = self.calibrate(scores)
        if calibrated.ndim == 1:
            positive = y_pred == 1
            accuracy = float(np.where(positive, calibrated, 1.0 - calibrated).mean())
            f1 = estimated_f1(calibrated, positive)
            auc = estimated_roc_auc(calibrated)
            f1_error = _universal(self._terms[0].f1, n)
            auc_error = _universal(self._terms[0].auc, n)
        else:
            accuracy = float(calibrated[np.arange(n), y_pred].mean())
            k = calibrated.shape[1]
            f1 = float(np.mean([estimated_f1(calibrated[:, c], y_pred == c) for c in range(k)]))
            per_class = [estimated_roc_auc(calibrated[:, c]) for c in range(k)]
            defined = [a for a in per_class if np.isfinite(a)]  # a class never scored is left out
            auc = float(np.mean(defined)) if defined else float("nan")
            # The macro average of k per-class estimates: its error is their root sum of
            # squares over k, widened by NannyML's empirical 20 % (the classes' errors are not
            # independent).
            f1_error = MACRO_WIDENING * float(
                np.sqrt(np.sum([_universal(t.f1, n) ** 2 for t in self._terms])) / k
            )
            auc_error = MACRO_WIDENING * float(
                np.sqrt(np.sum([_universal(t.auc, n) ** 2 for t in self._terms])) / k
            )
        return [
            _band("accuracy", accuracy, self._accuracy_std / np.sqrt(n), n, 1.0),
            _band("f1", f1, f1_error, n, 1.0),
            _band("roc_auc", auc, auc_error, n, 1.0),
        ]


# --- regression -------------------------------------------------------------------------------


class Encoder:
    """Columns into one float matrix for tree models: numbers as they are (NaN where missing),
    categories as codes learned from the reference (unseen and missing ones as NaN)."""

    def __init__(self, names: tuple[str, ...], codes: dict[str, dict[str, int]]) -> None:
        self.names = names
        self.codes = codes  # categorical feature -> category -> code

    @classmethod
    def fit(cls, columns: Mapping[str, Array], categorical: frozenset[str]) -> Encoder:
        codes: dict[str, dict[str, int]] = {}
        for name in categorical & set(columns):
            seen = sorted({str(v) for v in np.asarray(columns[name]).tolist() if _present(v)})
            codes[name] = {v: i for i, v in enumerate(seen)}
        return cls(tuple(columns), codes)

    @property
    def categorical_mask(self) -> list[bool]:
        """Which columns the trees split as categories: those of at most 254 values (the
        native limit; a wider one is split as ordered codes)."""
        return [name in self.codes and len(self.codes[name]) <= MAX_NATIVE for name in self.names]

    def transform(self, columns: Mapping[str, Array]) -> Floats:
        out = []
        for name in self.names:
            values = np.asarray(columns[name])
            if name in self.codes:
                table = self.codes[name]
                out.append(
                    np.array(
                        [table.get(str(v), np.nan) if _present(v) else np.nan for v in values],
                        dtype=np.float64,
                    )
                )
            else:
                out.append(values.astype(np.float64))
        return np.column_stack(out) if out else np.zeros((0, 0))


def _present(value: Any) -> bool:
    return value is not None and value == value  # None and NaN are missing


def _regressor(categorical: list[bool], seed: int) -> HistGradientBoostingRegressor:
    # A small, regularised model: it learns the error's level across the input space, not each
    # row's noise.
    return HistGradientBoostingRegressor(
        max_iter=200,
        learning_rate=0.05,
        max_leaf_nodes=15,
        min_samples_leaf=20,
        l2_regularization=1.0,
        early_stopping=True,
        validation_fraction=0.2,
        n_iter_no_change=10,
        categorical_features=categorical if any(categorical) else None,
        random_state=seed,
    )


class DLE:
    """Direct loss estimation for a regressor: estimated MAE and RMSE of a window.

    ``fit(columns, categorical, prediction, truth)``: the inputs by name (text categories for
    the names in ``categorical``), the model's predictions and the true values of labeled rows.
    """

    def __init__(
        self,
        encoder: Encoder,
        absolute: HistGradientBoostingRegressor,
        squared: HistGradientBoostingRegressor,
        mae_std: float,
        squared_std: float,
        squared_mean: float,
        rows: int,
    ) -> None:
        self._encoder = encoder
        self._absolute = absolute
        self._squared = squared
        self._mae_std = mae_std
        self._squared_std = squared_std
        self._squared_mean = squared_mean
        self.rows = rows

    @classmethod
    def fit(
        cls,
        columns: Mapping[str, Array],
        categorical: frozenset[str],
        prediction: Array,
        truth: Array,
        *,
        seed: int = 0,
    ) -> DLE:
        y_hat = np.asarray(prediction, dtype=np.float64)
        y = np.asarray(truth, dtype=np.float64)
        if len(y) != len(y_hat) or len(y) == 0:
            raise ValueError("prediction and truth must have the same, non-zero length")
        encoder = Encoder.fit(columns, categorical)
        x = np.column_stack([encoder.transform(columns), y_hat])
        mask = [*encoder.categorical_mask, False]
        absolute_error = np.abs(y - y_hat)
        squared_error = absolute_error**2
        absolute = _regressor(mask, seed).fit(x, absolute_error)
        squared = _regressor(mask, seed).fit(x, squared_error)
        return cls(
            encoder,
            absolute,
            squared,
            float(np.std(absolute_error)),
            float(np.std(squared_error)),
            float(np.mean(squared_error)),
            len(y),
        )

    def estimate(self, columns: Mapping[str, Array], prediction: Array) -> list[Estimate]:
        """Estimated MAE and RMSE of a window, each with its band."""
        y_hat = np.asarray(prediction, dtype=np.float64)
        n = len(y_hat)
        if n == 0:
            return []
        x = np.column_stack([self._encoder.transform(columns), y_hat])
        # One thread: a window is small, and OpenMP's threads cost more than they save on a
        # busy machine (measured under load: 108 ms against 6 ms for the two predictions of a
        # 1000-row window).
        with threadpool_limits(1, user_api="openmp"):
            mae = float(np.clip(self._absolute.predict(x), 0.0, None).mean())
            mse = float(np.clip(self._squared.predict(x), 0.0, None).mean())
        # RMSE's error by the delta method, from the squared errors' spread and level.
        rmse_error = (
            float(np.sqrt(self._squared_std**2 / (4 * n * self._squared_mean)))
            if self._squared_mean > 0
            else 0.0
        )
        return [
            _band("mae", mae, self._mae_std / np.sqrt(n), n, None),
            _band("rmse", float(np.sqrt(mse)), rmse_error, n, None),
        ]
