"""The Evidently half of `bench/drift_verdicts.py`, run in Evidently's own virtual environment.

It is not meant to be run by hand: `bench/drift_verdicts.py` starts it with the Python of
`.tools/bench-evidently` (Evidently 0.7.23, numpy and pandas, none of Slipway's packages) as

    python drift_verdicts_evidently.py FOLDER

FOLDER holds `cases.json` (for each case its name and columns; a numeric column names two `.npy`
files of float64 with NaN for missing, a categorical one carries its values as JSON lists with
null for missing) and the `.npy` files. Each case goes through
`Report([DataDriftPreset()], include_tests=True)` with Evidently's defaults (types inferred, no
options), and `FOLDER/evidently.json` gets, per case: each column's method, score and verdict
(the status of the preset's per-column drift test, FAIL meaning drift), the share of drifted
columns, the dataset verdict (the preset's "share of drifted columns less than 0.5" test
failing), and the seconds the report took.
"""

from __future__ import annotations

import json
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from evidently import Report
from evidently.presets import DataDriftPreset

# Evidently's display names of its tests, and the short names the comparison uses.
METHODS = {
    "K-S p_value": "ks",
    "Z-test p_value": "z",
    "chi-square p_value": "chisquare",
    "Wasserstein distance (normed)": "wasserstein",
    "Jensen-Shannon distance": "jensenshannon",
}


def frame(folder: Path, columns: list[dict[str, Any]], side: str) -> pd.DataFrame:
    data: dict[str, Any] = {}
    for column in columns:
        if column["kind"] == "number":
            data[column["name"]] = np.load(folder / column[side])
        else:
            data[column["name"]] = pd.Series(column[side], dtype=object)
    return pd.DataFrame(data)


def verdicts(snapshot: Any) -> dict[str, Any]:
    report = snapshot.dict()
    columns: dict[str, dict[str, Any]] = {}
    share = None
    for metric in report["metrics"]:
        config = metric["config"]
        if config["type"].endswith(":ValueDrift"):
            columns[config["column"]] = {
                "method": METHODS.get(config["method"], config["method"]),
                "score": float(metric["value"]),
            }
        elif config["type"].endswith(":DriftedColumnsCount"):
            share = float(metric["value"]["share"])
    dataset_drifted = None
    for test in report["tests"]:
        params = test["metric_config"]["params"]
        if params["type"].endswith(":ValueDrift"):
            columns[params["column"]]["drifted"] = test["status"] == "FAIL"
        elif params["type"].endswith(":DriftedColumnsCount"):
            dataset_drifted = test["status"] == "FAIL"
    return {"columns": columns, "share": share, "dataset_drifted": dataset_drifted}


def main(folder: Path) -> None:
    manifest = json.loads((folder / "cases.json").read_text())
    results: dict[str, Any] = {}
    for case in manifest["cases"]:
        reference = frame(folder, case["columns"], "reference")
        current = frame(folder, case["columns"], "current")
        began = time.perf_counter()
        with warnings.catch_warnings():
            # scipy's chisquare divides by a zero expected count for a category the reference
            # never had; the infinite statistic (p = 0) is the result being recorded.
            warnings.simplefilter("ignore", RuntimeWarning)
            snapshot = Report([DataDriftPreset()], include_tests=True).run(
                current_data=current, reference_data=reference
            )
        results[case["name"]] = {**verdicts(snapshot), "seconds": time.perf_counter() - began}
    (folder / "evidently.json").write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
