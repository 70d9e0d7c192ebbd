"""Drift verdicts on the ground-truth cases: Slipway, the Evidently oracle, and the real Evidently.

The cases are those of the test suite (`tests/support/drift_cases.py`: no drift, a mean shift in
3 of 20 features, variance changes, a categorical frequency change, unseen categories, missing
values, a window of 50 rows, 200,000 rows with a tiny shift, concept drift with unchanged inputs,
a majority of features drifted, a correlation change with unchanged marginals), plus one probe
that is not a ground-truth case: a binary feature whose share moves from 50 % to 62 % against a
large reference, where the base of the Jensen-Shannon logarithm decides the verdict. Each goes
through:

- Slipway's `dataset_drift` with its defaults;
- the oracle of the tests (`tests/support/evidently_oracle.py`), Evidently 0.7's default data
  drift preset restated with scipy;
- the real Evidently 0.7.23, `Report([DataDriftPreset()])` with no options, in its own virtual
  environment (`.tools/bench-evidently`, made on first use by `bench/evidently_env.py`), where
  `bench/drift_verdicts_evidently.py` reads the cases from `.npy` and JSON files in a temporary
  folder.

It prints a table per case (each feature's method and score on the three sides and its verdict
against the ground truth), a summary line per case, and whether the real Evidently agrees with
the oracle on every method, score and verdict. A difference between Slipway and Evidently is
expected only where the case names a documented difference (the contingency chi-square, the
missing-share test).

Run: `.venv/bin/python bench/drift_verdicts.py` (about 15 s, plus the one-time install of the
Evidently environment). `--skip-evidently` compares Slipway with the oracle only.
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import evidently_env
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
sys.path.insert(0, str(ROOT / "tests"))  # the cases and the oracle of the test suite

from slipway.services.monitoring.stats.drift import DatasetDrift, dataset_drift  # noqa: E402
from support.drift_cases import (  # noqa: E402
    CONTINGENCY,
    MISSING_SHARE,
    DriftCase,
    build_cases,
    categories,
)
from support.evidently_oracle import DatasetVerdict, dataset_verdict  # noqa: E402

DRIVER_TIMEOUT = 600
SHORT = {CONTINGENCY: "contingency", MISSING_SHARE: "missing share"}
# Slipway's methods by the names Evidently's equivalents have here; its chi-square is the
# two-sample (contingency) test.
SLIPWAY_METHOD = {
    "ks": "ks",
    "ztest": "z",
    "chisquare": "contingency",
    "wasserstein": "wasserstein",
    "jensenshannon": "jensenshannon",
}


def probe() -> DriftCase:
    """Not a ground-truth case: a change whose Jensen-Shannon distance is 0.103 in base 2 and
    0.086 in the natural logarithm, on either side of the threshold 0.1 (both sides use the
    natural logarithm, so both say no drift)."""
    rng = np.random.default_rng(7)
    reference = {"share": categories(["a", "b"], [0.5, 0.5])(rng, 5_000)}
    current = {"share": categories(["a", "b"], [0.62, 0.38])(rng, 2_000)}
    return DriftCase(
        name="probe_js_base",
        reference=reference,
        current=current,
        drifted=frozenset(),
        dataset_drifted=False,
        note="probe, no ground truth: binary share 50 % -> 62 %, 5000/2000 rows",
    )


def write_cases(cases: list[DriftCase], folder: Path) -> None:
    manifest: list[dict[str, Any]] = []
    for number, case in enumerate(cases):
        columns = []
        for index, name in enumerate(case.features):
            column: dict[str, Any] = {"name": name}
            for side, values in (
                ("reference", case.reference[name]),
                ("current", case.current[name]),
            ):
                if values.dtype.kind == "f":
                    path = f"c{number}_{index}_{side}.npy"
                    np.save(folder / path, values)
                    column.update({"kind": "number", side: path})
                else:
                    column.update({"kind": "text", side: values.tolist()})
            columns.append(column)
        manifest.append({"name": case.name, "columns": columns})
    (folder / "cases.json").write_text(json.dumps({"cases": manifest}))


def run_evidently(cases: list[DriftCase]) -> tuple[dict[str, Any], float]:
    python = evidently_env.ensure()
    with tempfile.TemporaryDirectory(prefix="slipway-drift-verdicts-") as scratch:
        folder = Path(scratch)
        write_cases(cases, folder)
        began = time.perf_counter()
        run = subprocess.run(
            [str(python), str(BENCH / "drift_verdicts_evidently.py"), str(folder)],
            capture_output=True,
            text=True,
            timeout=DRIVER_TIMEOUT,
            check=False,
        )
        seconds = time.perf_counter() - began
        if run.returncode != 0:
            raise RuntimeError(f"the Evidently run failed: {run.stderr.strip()[-2000:]}")
        return json.loads((folder / "evidently.json").read_text()), seconds


def names(features: frozenset[str] | set[str]) -> str:
    return "{" + ", ".join(sorted(features)) + "}" if features else "{}"


def verdict_text(features: frozenset[str] | set[str], dataset: bool | None) -> str:
    return f"{names(features)} dataset={'drift' if dataset else 'no'}"


def score_text(value: float | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value:.3g}"


def same_score(a: float, b: float) -> bool:
    # p-values below 1e-15 count as equal: Evidently's z-test computes 1 - cdf, which rounds to 0.
    return math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-15) or (math.isinf(a) and a == b)


def compare(
    case: DriftCase, ours: DatasetDrift, oracle: DatasetVerdict, real: dict[str, Any] | None
) -> list[str]:
    """Print the table of one case; return the ways the real Evidently and the oracle differ."""
    print(f"\n{case.name}: {case.note}")
    header = (
        f"  {'feature':<14} {'truth':<6} {'Slipway':<30} {'oracle':<28} "
        f"{'Evidently 0.7.23':<28} note"
    )
    print(header)
    print("  " + "-" * (len(header) - 2))
    mismatches: list[str] = []
    for feature in ours.features:
        name = feature.name
        theirs = oracle.columns[name]
        truth = "drift" if name in case.drifted else "-"
        score = feature.p_value if feature.p_value is not None else feature.statistic
        mine = (
            f"{SLIPWAY_METHOD[feature.method]} {score_text(score)}"
            + (" +missing" if feature.missing_drifted else "")
            + (" DRIFT" if feature.drifted else "")
        )
        guess = f"{theirs.method} {score_text(theirs.score)}" + (" DRIFT" if theirs.drifted else "")
        notes = []
        if name in case.evidently_differs:
            notes.append(f"differs from Evidently: {SHORT[case.evidently_differs[name]]}")
        if case.name == "probe_js_base":
            notes.append("0.103 in base 2, 0.086 in natural log (both sides)")
        real_text = "not run"
        if real is not None:
            column = real["columns"].get(name)
            if column is None:
                real_text = "no result"
                mismatches.append(f"{case.name}.{name}: no result from Evidently")
            else:
                real_text = f"{column['method']} {score_text(column['score'])}" + (
                    " DRIFT" if column["drifted"] else ""
                )
                if column["method"] != theirs.method:
                    mismatches.append(
                        f"{case.name}.{name}: method {column['method']} vs {theirs.method}"
                    )
                if not same_score(float(column["score"]), theirs.score):
                    mismatches.append(
                        f"{case.name}.{name}: score {column['score']!r} vs {theirs.score!r}"
                    )
                if column["drifted"] != theirs.drifted:
                    mismatches.append(
                        f"{case.name}.{name}: verdict {column['drifted']} vs {theirs.drifted}"
                    )
        print(f"  {name:<14} {truth:<6} {mine:<30} {guess:<28} {real_text:<28} {'; '.join(notes)}")
    if real is not None and real["dataset_drifted"] != oracle.drifted:
        mismatches.append(
            f"{case.name}: dataset verdict {real['dataset_drifted']} vs {oracle.drifted}"
        )
    return mismatches


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--skip-evidently", action="store_true", help="compare Slipway with the oracle only"
    )
    args = parser.parse_args(argv)

    cases = [*build_cases(), probe()]
    ours = {case.name: dataset_drift(case.reference, case.current) for case in cases}
    oracle = {case.name: dataset_verdict(case.reference, case.current) for case in cases}
    real: dict[str, Any] | None = None
    if not args.skip_evidently:
        try:
            real, seconds = run_evidently(cases)
            print(
                f"Evidently 0.7.23 (DataDriftPreset, defaults) ran {len(cases)} cases in "
                f"{seconds:.1f} s, {sum(r['seconds'] for r in real.values()):.1f} s of it in "
                "the reports"
            )
        except (RuntimeError, OSError, subprocess.SubprocessError) as exc:
            print(f"Evidently not run: {exc}")

    mismatches: list[str] = []
    for case in cases:
        mismatches += compare(
            case, ours[case.name], oracle[case.name], None if real is None else real.get(case.name)
        )

    print("\nsummary (drifted features and dataset verdict)")
    rows = [("case", "ground truth", "Slipway", "oracle", "Evidently 0.7.23")]
    for case in cases:
        result = ours[case.name]
        truth = (
            "(probe)"
            if case.name == "probe_js_base"
            else verdict_text(case.drifted, case.dataset_drifted)
        )
        mine = verdict_text(set(result.drifted_features), result.drifted)
        guess = verdict_text(oracle[case.name].drifted_features, oracle[case.name].drifted)
        actual = "not run"
        if real is not None and case.name in real:
            found = real[case.name]
            actual = verdict_text(
                {n for n, c in found["columns"].items() if c["drifted"]}, found["dataset_drifted"]
            )
        rows.append((case.name, truth, mine, guess, actual))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for number, row in enumerate(rows):
        print("  " + " | ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
        if number == 0:
            print("  " + "-+-".join("-" * width for width in widths))

    truth_ok = all(
        set(ours[c.name].drifted_features) == c.drifted
        and ours[c.name].drifted == c.dataset_drifted
        for c in cases
        if c.name != "probe_js_base"
    )
    print(f"\nSlipway matches the ground truth on every case: {'yes' if truth_ok else 'NO'}")
    if real is None:
        print("real Evidently against the oracle: not run")
    elif mismatches:
        print(f"real Evidently against the oracle: {len(mismatches)} MISMATCHES")
        for line in mismatches:
            print(f"  {line}")
    else:
        count = sum(len(c.features) for c in cases)
        print(
            f"real Evidently against the oracle: the same method, score and verdict on all "
            f"{count} features of {len(cases)} cases, and the same dataset verdicts"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
