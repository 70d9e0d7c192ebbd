"""The whole lifecycle, end to end, as `make demo` runs it: `slipway demo` starts a suite of four
service processes on the test's database (SQLite, or a PostgreSQL database of the throwaway
cluster) and goes through training, promotion, traffic, drift, alert, retraining, shadow
scoring, a live swap and the lineage report. Each step's outcome is asserted from the summary it
writes, and the suite is stopped cleanly."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

# Bounds for a failure, not waits: each step ends as soon as its condition holds. A machine
# loaded by other work (CI beside two CPU hogs) took more than 120 s for one retraining step.
STEP_SECONDS = 300
DEMO_SECONDS = 900


def _run_demo(home: Path, database_url: str) -> dict[str, Any]:
    command = [
        sys.executable,
        "-m",
        "slipway.cli.main",
        "demo",
        "--home",
        str(home),
        "--json",
        "--timeout",
        str(STEP_SECONDS),
        "--database-url",
        database_url,
    ]
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLIPWAY_")}
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=DEMO_SECONDS, env=env, check=False
    )
    summary_file = home / "demo-summary.json"
    assert summary_file.exists(), done.stderr[-4000:]
    summary: dict[str, Any] = json.loads(summary_file.read_text())
    assert done.returncode == 0, (
        summary.get("error"),
        done.stderr[-4000:],
        (home / "up.log").read_text()[-4000:] if (home / "up.log").exists() else "",
    )
    return summary


@pytest.mark.slow
@pytest.mark.timeout(DEMO_SECONDS + 60)
def test_the_lifecycle_from_training_to_a_retrained_production_version(
    database_url: str, tmp_path: Path
) -> None:
    summary = _run_demo(tmp_path / "demo", database_url)
    assert summary["ok"]
    steps = {s["step"]: s for s in summary["steps"]}
    assert sorted(steps) == list(range(1, 10))

    started = steps[1]
    assert set(started["services"]) == {"registry", "training", "monitoring", "serving"}
    assert started["database"] == (
        "sqlite" if database_url.startswith("sqlite") else database_url.split("@")[-1]
    )

    trained = steps[2]
    assert trained["version"] == "models/demo/versions/1"
    assert trained["metrics"]["accuracy"] > 0.9
    assert set(trained["best_params"]) == {"max_depth", "min_samples_leaf"}

    assert steps[3]["alias"] == "production"
    assert steps[3]["version"] == 1
    assert steps[3]["reason"]

    traffic = steps[4]
    assert traffic["failed"] == 0
    assert traffic["rows"] == 300
    assert traffic["tritonclient"]["ok"], traffic["tritonclient"]
    assert traffic["tritonclient"]["model_version"] == "1"

    drift = steps[5]
    assert drift["summary"].startswith("data drift: 20 of 30 features drifted")
    assert drift["trigger"] == "TRAINING_TRIGGER_DRIFT"
    assert drift["version"] == "models/demo/versions/2"
    assert drift["parent"] == "models/demo/versions/1"

    shadow = steps[6]
    assert shadow["labeled_rows"] >= 300
    assert shadow["challenger_accuracy"] > shadow["champion_accuracy"]

    swap = steps[7]
    assert swap["failed"] == 0
    assert swap["by_version"].get("2", 0) >= 20
    assert swap["version"] == 2

    lineage = steps[8]
    assert lineage["version"] == "models/demo/versions/2"
    moves = [(m["alias"], m["to"], m["reason"]) for m in lineage["alias_moves"]]
    assert ("challenger", 2, moves[0][2]) == moves[0]  # set by the retraining job
    assert any(
        alias == "production" and to == 2 and reason == swap["reason"]
        for alias, to, reason in moves
    )
    assert drift["alert"] in lineage["alerts"]
    assert lineage["training_job"] == drift["training_job"]
    assert lineage["trigger"] == "TRAINING_TRIGGER_DRIFT"
    assert lineage["chain"] == "CHAIN_STATUS_OK"
    assert lineage["audit_events"] > 0
    assert (tmp_path / "demo" / "lineage-report.md").read_text().count(drift["alert"]) >= 1

    stopped = steps[9]
    assert stopped["stopped"]
    assert stopped["exit_code"] == 0
    assert summary["seconds"] < 180
