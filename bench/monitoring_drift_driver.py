"""One side of the drift report timing of `bench/monitoring.py`, in a process of its own.

It is not meant to be run by hand: `bench/monitoring.py` starts it once per data size and side,
with the project's Python for Slipway and with the Python of `.tools/bench-evidently` (Evidently
0.7.23, none of Slipway's packages) for Evidently, as

    python monitoring_drift_driver.py CONFIG.json RESULT.json

CONFIG names the side, the reference and current matrices (`.npy`, rows x features, float64),
how many timed runs to make at most and the time they may take together. Both sides are measured
by the same code: load the data and build each side's input (a dict of columns for Slipway, a
DataFrame for Evidently), make one untimed report on the first rows as a warm-up (imports, first
calls), then time the full report; the time covers the report only. Memory: the process's
resident set just before the timed report, and its peak during the timed reports (the kernel's
high-water mark is reset first, through /proc/self/clear_refs). RESULT gets the times, the
memory and, per column, the method, the figure the side reports (a distance, or a p-value for a
test) and the verdict.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

WARM_UP_ROWS = 2000  # more than 1000, so the warm-up takes the same path as large references


def status_kb(field: str) -> int | None:
    """A `VmRSS` or `VmHWM` figure of this process, in kB (None off Linux)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def reset_peak() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM to the current RSS
    except OSError:
        return False
    return True


def measure(report: Callable[[], Any], repeats: int, budget: float) -> dict[str, Any]:
    """Time `report()` once, and again up to `repeats` runs in all while the runs so far say
    the next one still fits in `budget` seconds. Returns the times (s), their median, the RSS
    before and the peak RSS during the runs (MB), and the last run's result."""
    before = status_kb("VmRSS")
    peak_reset = reset_peak()
    times: list[float] = []
    result: Any = None
    while len(times) < repeats:
        start = time.perf_counter()
        result = report()
        times.append(time.perf_counter() - start)
        if sum(times) + max(times) > budget:
            break
    peak = status_kb("VmHWM") if peak_reset else None
    return {
        "seconds": times,
        "median": statistics.median(times),
        "rss_before_mb": before / 1024 if before else None,
        "rss_peak_mb": peak / 1024 if peak else None,
        "result": result,
    }


def names(count: int) -> list[str]:
    return [f"f{j:02d}" for j in range(count)]


# -- Slipway ---------------------------------------------------------------------------------------


def slipway_side(
    reference: np.ndarray, current: np.ndarray, repeats: int, budget: float
) -> dict[str, Any]:
    from slipway.services.monitoring.stats.drift import DatasetDrift, dataset_drift

    columns = names(reference.shape[1])

    def frame(matrix: np.ndarray, rows: int | None = None) -> dict[str, np.ndarray]:
        return {name: np.ascontiguousarray(matrix[:rows, j]) for j, name in enumerate(columns)}

    ref, cur = frame(reference), frame(current)
    dataset_drift(frame(reference, WARM_UP_ROWS), frame(current, WARM_UP_ROWS))
    measured = measure(lambda: dataset_drift(ref, cur), repeats, budget)
    drift: DatasetDrift = measured.pop("result")
    measured["columns"] = {
        f.name: {
            "method": f.method,
            "statistic": f.statistic,
            "p_value": f.p_value,
            "score": f.p_value if f.p_value is not None else f.statistic,
            "drifted": f.drifted,
        }
        for f in drift.features
    }
    measured["drifted_share"] = drift.drifted_share
    measured["dataset_drifted"] = drift.drifted
    return measured


def report_side(
    reference: np.ndarray, current: np.ndarray, repeats: int, budget: float
) -> dict[str, Any]:
    """The service's report as the evaluator makes it, `reports.build_report`, under the
    default policy, on a reference and a window that hold every row (the service itself draws
    samples of both, `--window-sample-rows`; here nothing is left out, as for Evidently)."""
    from datetime import UTC, datetime

    from slipway.services.monitoring.domain.entities import Policy
    from slipway.services.monitoring.domain.reference import FeatureRef, Reference
    from slipway.services.monitoring.domain.reports import build_report
    from slipway.services.monitoring.domain.window import FeatureCounts, Labeled, WindowData

    columns = names(reference.shape[1])

    def frame(matrix: np.ndarray, rows: int | None = None) -> dict[str, np.ndarray]:
        return {name: np.ascontiguousarray(matrix[:rows, j]) for j, name in enumerate(columns)}

    def inputs(ref: dict[str, np.ndarray], cur: dict[str, np.ndarray]) -> tuple[Any, Any]:
        rows = len(next(iter(ref.values())))
        features = tuple(
            FeatureRef(
                name,
                "numeric",
                "FP64",
                frozenset(),
                float(ref[name].min()),
                float(ref[name].max()),
                0.0,
            )
            for name in columns
        )
        built = Reference(
            version="models/bench/versions/1",
            model="models/bench",
            task="regression",
            features=features,
            columns=ref,
            target=None,
            outputs={},
            class_labels=(),
            holdout_metrics={},
            training_job="",
            profile_row_count=rows,
        )
        current_rows = len(next(iter(cur.values())))
        window = WindowData(
            row_count=current_rows,
            record_count=current_rows,
            start_time=None,
            end_time=None,
            sample=cur,
            sample_rows=current_rows,
            counts={name: FeatureCounts() for name in columns},
            schema_issues={},
            labeled=Labeled(),
            label_values=np.array([]),
        )
        return built, window

    now = datetime.now(UTC)
    warm_ref, warm_window = inputs(frame(reference, WARM_UP_ROWS), frame(current, WARM_UP_ROWS))
    build_report(warm_ref, warm_window, Policy(), now)
    built, window = inputs(frame(reference), frame(current))
    measured = measure(lambda: build_report(built, window, Policy(), now), repeats, budget)
    report = measured.pop("result")
    drift = report.data_drift
    measured["columns"] = {
        f.feature: {
            "method": str(f.method),
            "statistic": f.statistic,
            "score": f.score,
            "drifted": f.drifted,
        }
        for f in drift.features
    }
    measured["drifted_share"] = drift.drifted_share
    measured["dataset_drifted"] = drift.drifted
    return measured


# -- Evidently -------------------------------------------------------------------------------------


def evidently_side(
    reference: np.ndarray, current: np.ndarray, repeats: int, budget: float
) -> dict[str, Any]:
    import pandas as pd
    from evidently import Report
    from evidently.presets import DataDriftPreset

    columns = names(reference.shape[1])
    ref = pd.DataFrame(reference, columns=columns)
    cur = pd.DataFrame(current, columns=columns)

    def report(cur_frame: Any, ref_frame: Any) -> dict[str, Any]:
        snapshot = Report([DataDriftPreset()]).run(cur_frame, ref_frame)
        return snapshot.dict()  # type: ignore[no-any-return]

    report(cur.iloc[:WARM_UP_ROWS], ref.iloc[:WARM_UP_ROWS])
    measured = measure(lambda: report(cur, ref), repeats, budget)
    snapshot = measured.pop("result")
    found: dict[str, Any] = {}
    share = None
    for metric in snapshot["metrics"]:
        config = metric["config"]
        if config["type"].endswith(":ValueDrift"):
            method, threshold, value = config["method"], config["threshold"], metric["value"]
            test = "p_value" in method  # a test's p-value, otherwise a distance
            found[config["column"]] = {
                "method": method,
                "score": value,
                "drifted": bool(value <= threshold if test else value >= threshold),
            }
        elif config["type"].endswith(":DriftedColumnsCount"):
            share = metric["value"]["share"]
    measured["columns"] = found
    measured["drifted_share"] = share
    measured["dataset_drifted"] = share is not None and share >= 0.5
    return measured


def main(argv: list[str]) -> int:
    config = json.loads(Path(argv[0]).read_text())
    reference = np.load(config["reference"])
    current = np.load(config["current"])
    side = {"slipway": slipway_side, "report": report_side, "evidently": evidently_side}[
        config["side"]
    ]
    result = side(reference, current, int(config["repeats"]), float(config["budget"]))
    Path(argv[1]).write_text(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
