"""Whether a fitted model predicts on rows with missing (NaN) numeric values.

scikit-learn answers this per estimator, and the answer moved between releases: imputers and
HistGradientBoosting always took NaN; decision trees, random forests and extra trees take it
since 1.4; linear models, SVMs, k-nearest neighbours and most others raise. Rather than keep a
list that ages, the fitted model is asked: one row of its own training data with one numeric
value set to NaN. Training records the answer in the version's signature; serving asks again at
load (the model it loaded is the truth) and refuses NaN with INVALID_ARGUMENT where the answer
is no.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt


def accepts_missing_values(model: Any, rows: npt.NDArray[Any]) -> bool:
    """Ask ``model`` to predict one of ``rows`` with its first numeric value set to NaN."""
    if len(rows) == 0:
        return False
    probe = rows[:1].copy()
    numeric = [j for j in range(probe.shape[1]) if not isinstance(probe[0, j], str)]
    if not numeric:
        return False
    if probe.dtype.kind not in "fO":
        probe = probe.astype(np.float64)
    probe[0, numeric[0]] = np.nan
    try:
        model.predict(probe)
    except (ValueError, TypeError):
        return False
    return True
