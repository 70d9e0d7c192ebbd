"""Multivariate drift: the data reconstruction error of a PCA learned on the reference.

As NannyML's data reconstruction drift: missing numbers are filled with the reference mean and
missing categories with the reference's most frequent one; categories become their frequency in
the reference (unseen ones 0); every column is standardised; a PCA keeps the components that
explain ``variance`` (65 %) of the reference. A row's error is the Euclidean distance between
the row and its reconstruction from those components; a window's error is the mean over its
rows. The PCA captures the reference's correlations, so a change in them raises the error even
when every feature's own distribution (what the per-feature tests see) is unchanged.

The threshold comes from the reference's errors **held out**: each reference row's error is taken
under a standardisation and PCA fitted on the other four fifths of the reference. NannyML takes
the rows' errors under the PCA fitted on all of them, which fits those rows better than it fits
new ones: with 20 unchanged features and a 1000-row reference, every one of 100 unchanged
windows of 1000 rows was over that threshold (90 of 100 with 5000 reference rows); held out, the
band holds the unchanged windows (see the tests).

NannyML cuts the reference into chunks of the
monitored chunk's size and takes the chunks' mean error plus or minus three standard deviations.
For independent rows the standard deviation of an ``n``-row chunk's mean is the rows' standard
deviation over ``sqrt(n)``; this computes that directly for each window's row count, so a
reference of 1000 rows still gives a band for a window of 1000 rows (where chunking would give a
single chunk and no spread at all), and widens it by the reference mean's own uncertainty
(``sqrt(1/n + 1/reference rows)``), which chunking leaves out and which matters when the
reference is no larger than the window.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from sklearn.decomposition import PCA  # type: ignore[import-untyped]

Array = npt.NDArray[Any]
Floats = npt.NDArray[np.float64]

DEFAULT_VARIANCE = 0.65
THRESHOLD_STDS = 3.0
HELD_OUT_FOLDS = 5
MIN_SPREAD = 1e-9


@dataclass(frozen=True)
class Reconstruction:
    """A window's reconstruction error against the reference's band."""

    error: float
    lower: float
    upper: float
    reference_mean: float
    components: int
    rows: int

    @property
    def drifted(self) -> bool:
        return not (self.lower <= self.error <= self.upper)


def _present(value: Any) -> bool:
    return value is not None and value == value


class ReconstructionDrift:
    """Fitted on the reference columns; ``measure(columns)`` for each window."""

    def __init__(
        self,
        names: tuple[str, ...],
        fills: dict[str, float | str],
        frequencies: dict[str, dict[str, float]],
        means: Floats,
        scales: Floats,
        pca: PCA,
        reference_mean: float,
        row_std: float,
        reference_rows: int,
    ) -> None:
        self._names = names
        self._fills = fills
        self._frequencies = frequencies
        self._means = means
        self._scales = scales
        self._pca = pca
        self.reference_mean = reference_mean  # the reference rows' mean error
        self.row_std = row_std  # and their spread
        self.reference_rows = reference_rows

    @property
    def components(self) -> int:
        return int(self._pca.n_components_)

    @classmethod
    def fit(
        cls,
        columns: Mapping[str, Array],
        categorical: frozenset[str],
        *,
        variance: float = DEFAULT_VARIANCE,
        seed: int = 0,
    ) -> ReconstructionDrift:
        names = tuple(columns)
        if len(names) < 2:
            raise ValueError("multivariate drift needs at least two features")
        fills: dict[str, float | str] = {}
        frequencies: dict[str, dict[str, float]] = {}
        for name in names:
            values = np.asarray(columns[name])
            if name in categorical:
                present = [str(v) for v in values.tolist() if _present(v)]
                labels, counts = np.unique(np.array(present, dtype=object), return_counts=True)
                total = max(1, len(present))
                frequencies[name] = {
                    str(k): c / total for k, c in zip(labels.tolist(), counts.tolist(), strict=True)
                }
                fills[name] = str(labels[int(np.argmax(counts))]) if len(labels) else ""
            else:
                numbers = values.astype(np.float64)
                finite = numbers[np.isfinite(numbers)]
                fills[name] = float(finite.mean()) if len(finite) else 0.0
        raw = _encode(names, columns, fills, frequencies)
        means, scales = _standardizer(raw)
        pca = PCA(n_components=variance, svd_solver="full", random_state=seed)
        pca.fit((raw - means) / scales)
        per_row = _held_out_errors(raw, int(pca.n_components_), seed)
        return cls(
            names,
            fills,
            frequencies,
            means,
            scales,
            pca,
            float(per_row.mean()),
            float(per_row.std()),
            len(per_row),
        )

    def band(self, rows: int) -> tuple[float, float]:
        """The thresholds for a window of ``rows`` rows: three standard errors of the difference
        between its mean error and the reference's (both are means of a sample)."""
        spread = (
            THRESHOLD_STDS
            * self.row_std
            * np.sqrt(1.0 / max(1, rows) + 1.0 / max(1, self.reference_rows))
        )
        # When the components keep every dimension the errors are rounding noise (about 1e-16):
        # a floor keeps noise from being called drift.
        spread = max(spread, MIN_SPREAD)
        return max(0.0, self.reference_mean - spread), self.reference_mean + spread

    def _row_errors(self, standardized: Floats) -> Floats:
        return _errors(self._pca, standardized)

    def measure(self, columns: Mapping[str, Array]) -> Reconstruction:
        raw = _encode(self._names, columns, self._fills, self._frequencies)
        rows = len(raw)
        # Standardised in place: the matrix is this call's own (two fewer copies of a window).
        raw -= self._means
        raw /= self._scales
        error = float(self._row_errors(raw).mean()) if rows else float("nan")
        lower, upper = self.band(rows)
        return Reconstruction(error, lower, upper, self.reference_mean, self.components, rows)


def _standardizer(raw: Floats) -> tuple[Floats, Floats]:
    means = raw.mean(axis=0)
    scales = raw.std(axis=0)
    scales[scales == 0] = 1.0  # a constant column stays 0 after centring
    return means, scales


def _errors(pca: PCA, standardized: Floats) -> Floats:
    rebuilt = pca.inverse_transform(pca.transform(standardized))
    residual = np.subtract(standardized, rebuilt, out=rebuilt)  # no third matrix
    return np.asarray(np.sqrt(np.einsum("ij,ij->i", residual, residual)), dtype=np.float64)


def _held_out_errors(raw: Floats, components: int, seed: int) -> Floats:
    """Each reference row's error under a standardisation and PCA fitted without it (five
    folds, the full fit's number of components)."""
    rows = len(raw)
    folds = min(HELD_OUT_FOLDS, rows)
    order = np.random.default_rng(seed).permutation(rows)
    errors = np.empty(rows)
    for held in np.array_split(order, folds):
        kept = np.setdiff1d(order, held, assume_unique=True)
        means, scales = _standardizer(raw[kept])
        k = min(components, len(kept), raw.shape[1])
        pca = PCA(n_components=k, svd_solver="full", random_state=seed)
        pca.fit((raw[kept] - means) / scales)
        errors[held] = _errors(pca, (raw[held] - means) / scales)
    return errors


def _encode(
    names: tuple[str, ...],
    columns: Mapping[str, Array],
    fills: dict[str, float | str],
    frequencies: dict[str, dict[str, float]],
) -> Floats:
    if not names:
        return np.column_stack([])  # refused as before: nothing to encode
    # One matrix, filled column by column: a list of converted columns stacked at the end
    # copied every value three times (about a second for 1M rows of 20 features). Column-major,
    # so that each column it is filled by is contiguous (row-major, every value written was a
    # cache line of its own: most of the encoding's time).
    out = np.empty((len(np.asarray(columns[names[0]])), len(names)), order="F")
    for j, name in enumerate(names):
        values = np.asarray(columns[name])
        column = out[:, j]
        if name in frequencies:
            table, fill = frequencies[name], str(fills[name])
            column[:] = [table.get(str(v) if _present(v) else fill, 0.0) for v in values.tolist()]
        else:
            column[:] = values.astype(np.float64, copy=False)
            column[~np.isfinite(column)] = float(fills[name])
    return out
