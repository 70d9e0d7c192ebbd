"""The NannyML half of `bench/estimation_vs_nannyml.py`, run in NannyML's own virtual environment.

It is not meant to be run by hand: `bench/estimation_vs_nannyml.py` starts it with the Python of
`.tools/bench-nannyml` (NannyML 0.13.1, none of Slipway's packages) as

    python estimation_nannyml_driver.py FOLDER

FOLDER holds, per case, `{case}_reference_{column}.npy` and `{case}_analysis_{column}.npy`
(float64 arrays) and `cases.json` naming each case's kind (`cbpe`, `cbpe_multiclass`, `dle`,
`reconstruction`), columns and chunk size. A multiclass case's scores are the columns
`proba_{class}`, its classes the integers 0..k-1. Each case goes through NannyML with its
defaults (CBPE with isotonic calibration, DLE with LightGBM and no tuning, the data
reconstruction calculator), and `FOLDER/nannyml.json` gets per case and metric, per analysis
chunk: the value, the sampling error, the confidence band or thresholds, and (estimators) the
realised value.
"""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path
from typing import Any

import nannyml as nml
import numpy as np
import pandas as pd


def _frame(folder: Path, case: str, side: str, columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame({c: np.load(folder / f"{case}_{side}_{c}.npy") for c in columns})


def _column(frame: pd.DataFrame, metric: str, field: str) -> list[float | None]:
    if (metric, field) not in frame.columns:
        return [None] * len(frame)
    return [None if pd.isna(v) else float(v) for v in frame[(metric, field)].tolist()]


def _rows(frame: pd.DataFrame, metric: str) -> dict[str, list[Any]]:
    return {
        "value": _column(frame, metric, "value"),
        "sampling_error": _column(frame, metric, "sampling_error"),
        "lower": _column(frame, metric, "lower_confidence_boundary"),
        "upper": _column(frame, metric, "upper_confidence_boundary"),
        "realized": _column(frame, metric, "realized"),
        "lower_threshold": _column(frame, metric, "lower_threshold"),
        "upper_threshold": _column(frame, metric, "upper_threshold"),
        "alert": _column(frame, metric, "alert"),
    }


def main(folder: Path) -> None:
    warnings.filterwarnings("ignore")
    cases = json.loads((folder / "cases.json").read_text())
    out: dict[str, Any] = {"version": nml.__version__}
    for case in cases:
        name, kind, columns, chunk = case["name"], case["kind"], case["columns"], case["chunk"]
        reference = _frame(folder, name, "reference", columns)
        analysis = _frame(folder, name, "analysis", columns)
        if kind == "cbpe":
            reference["y"] = reference["y"].astype(int)
            reference["pred"] = reference["pred"].astype(int)
            analysis["pred"] = analysis["pred"].astype(int)
            analysis["y"] = analysis["y"].astype(int)
            metrics = ["accuracy", "f1", "roc_auc"]
            calculator = nml.CBPE(
                y_pred_proba="proba",
                y_pred="pred",
                y_true="y",
                problem_type="classification_binary",
                metrics=metrics,
                chunk_size=chunk,
            )
            calculator.fit(reference)
            result = calculator.estimate(analysis).filter(period="analysis").to_df()
        elif kind == "cbpe_multiclass":
            for column in ("y", "pred"):
                reference[column] = reference[column].astype(int)
                analysis[column] = analysis[column].astype(int)
            scores = sorted(c for c in columns if c.startswith("proba_"))
            metrics = ["accuracy", "f1", "roc_auc"]
            calculator = nml.CBPE(
                y_pred_proba={int(c.removeprefix("proba_")): c for c in scores},
                y_pred="pred",
                y_true="y",
                problem_type="classification_multiclass",
                metrics=metrics,
                chunk_size=chunk,
            )
            calculator.fit(reference)
            result = calculator.estimate(analysis).filter(period="analysis").to_df()
        elif kind == "dle":
            features = [c for c in columns if c.startswith("x")]
            metrics = ["mae", "rmse"]
            calculator = nml.DLE(
                feature_column_names=features,
                y_pred="pred",
                y_true="y",
                metrics=metrics,
                chunk_size=chunk,
            )
            calculator.fit(reference)
            result = calculator.estimate(analysis).filter(period="analysis").to_df()
        else:
            metrics = ["reconstruction_error"]
            calculator = nml.DataReconstructionDriftCalculator(
                column_names=columns, chunk_size=chunk
            )
            calculator.fit(reference)
            result = calculator.calculate(analysis).filter(period="analysis").to_df()
        out[name] = {metric: _rows(result, metric) for metric in metrics}
    (folder / "nannyml.json").write_text(json.dumps(out))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
