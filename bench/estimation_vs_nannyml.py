"""Performance estimation and multivariate drift: Slipway's statistics against NannyML's, on the
same synthetic data with a known shift.

Four cases, each a 5000-row reference (the labeled rows the estimators learn from) and ten
analysis chunks of 1000 rows, the first five like the reference and the last five shifted:

* ``cbpe``: a logistic model on a fixed logistic concept; the shifted chunks pull the main
  feature towards the decision boundary (covariate shift: the true accuracy drops, the concept
  stays). Estimated accuracy, F1 and ROC AUC per chunk.
* ``cbpe_multiclass``: the same with three classes: a multinomial logistic model on a fixed
  softmax concept whose class directions lie 120 degrees apart in the plane of x0 and x1; the
  shifted chunks shrink both towards the origin, where the three classes meet (covariate shift).
  Estimated accuracy, macro F1 and macro one-against-the-rest ROC AUC per chunk.
* ``dle``: a linear model whose noise grows with x0; the shifted chunks move x0 up (the true
  error rises). Estimated MAE and RMSE per chunk.
* ``reconstruction``: four standard normal features, a and b correlated by 0.9; the shifted chunks
  flip the correlation to -0.9 (every marginal unchanged). The PCA reconstruction error per
  chunk and its thresholds.

For each chunk it prints Slipway's value and band, NannyML's value and band, the realised value
(the labels hidden from both), and whether Slipway's value lies inside NannyML's band. NannyML
0.13.1 runs in its own virtual environment, ``.tools/bench-nannyml`` (made on first use by
``bench/nannyml_env.py``); when it cannot be installed, the table shows Slipway against the
realised values alone and says why.

Run: ``make bench-estimation`` (or ``.venv/bin/python bench/estimation_vs_nannyml.py``).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.linear_model import LinearRegression, LogisticRegression  # type: ignore[import-untyped]

sys.path.insert(0, str(Path(__file__).resolve().parent))
import nannyml_env

from slipway.services.monitoring.stats.estimation import CBPE, DLE
from slipway.services.monitoring.stats.multivariate import ReconstructionDrift

REFERENCE_ROWS = 5000
CHUNK = 1000
CHUNKS = 10
SHIFTED_FROM = 5
DRIVER = Path(__file__).resolve().parent / "estimation_nannyml_driver.py"
DRIVER_SECONDS = 900

Columns = dict[str, np.ndarray]


def _binary(rng: np.random.Generator, n: int, scale: float) -> tuple[np.ndarray, np.ndarray]:
    x = np.column_stack([rng.normal(size=n) * scale, rng.normal(size=n)])
    p = 1.0 / (1.0 + np.exp(-(3.0 * x[:, 0] + x[:, 1])))
    return x, (rng.random(n) < p).astype(int)


CLASS_ANGLES = np.deg2rad([90.0, 210.0, 330.0])  # three class directions, 120 degrees apart


def _multiclass(rng: np.random.Generator, n: int, scale: float) -> tuple[np.ndarray, np.ndarray]:
    x = np.column_stack([rng.normal(size=(n, 2)) * scale, rng.normal(size=n)])
    directions = np.column_stack([np.cos(CLASS_ANGLES), np.sin(CLASS_ANGLES)])
    logits = 2.5 * x[:, :2] @ directions.T + 0.5 * x[:, 2:3] * np.array([1.0, 0.0, -1.0])
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    y = (rng.random((n, 1)) > np.cumsum(p, axis=1)).sum(axis=1)  # one draw per row from p
    return x, y


def _regression(rng: np.random.Generator, n: int, shift: float) -> tuple[np.ndarray, np.ndarray]:
    x = rng.normal(size=(n, 3))
    x[:, 0] += shift
    y = 2.0 * x[:, 0] - x[:, 1] + rng.normal(size=n) * (0.5 + np.abs(x[:, 0]))
    return x, y


def _correlated(rng: np.random.Generator, n: int, rho: float) -> Columns:
    a = rng.normal(size=n)
    return {
        "a": a,
        "b": rho * a + np.sqrt(1 - rho**2) * rng.normal(size=n),
        "c": rng.normal(size=n),
        "d": rng.normal(size=n),
    }


def _chunked(make: Any, before: float, after: float) -> list[Any]:
    return [make(CHUNK, before if i < SHIFTED_FROM else after) for i in range(CHUNKS)]


def build_cases(seed: int = 0) -> dict[str, dict[str, Any]]:
    """Each case's reference and analysis columns (float64), as both sides read them."""
    rng = np.random.default_rng(seed)
    cases: dict[str, dict[str, Any]] = {}

    model = LogisticRegression().fit(*_binary(rng, 5000, 1.0))

    def scored(x: np.ndarray, y: np.ndarray) -> Columns:
        proba = model.predict_proba(x)[:, 1]
        return {"proba": proba, "pred": (proba >= 0.5).astype(float), "y": y.astype(float)}

    chunks = _chunked(lambda n, s: scored(*_binary(rng, n, s)), 1.0, 0.4)
    cases["cbpe"] = {
        "kind": "cbpe",
        "reference": scored(*_binary(rng, REFERENCE_ROWS, 1.0)),
        "chunks": chunks,
    }

    regressor = LinearRegression().fit(*_regression(rng, 5000, 0.0))

    def predicted(x: np.ndarray, y: np.ndarray) -> Columns:
        out = {f"x{i}": x[:, i] for i in range(x.shape[1])}
        return {**out, "pred": regressor.predict(x), "y": y}

    cases["dle"] = {
        "kind": "dle",
        "reference": predicted(*_regression(rng, REFERENCE_ROWS, 0.0)),
        "chunks": _chunked(lambda n, s: predicted(*_regression(rng, n, s)), 0.0, 1.5),
    }
    cases["reconstruction"] = {
        "kind": "reconstruction",
        "reference": _correlated(rng, REFERENCE_ROWS, 0.9),
        "chunks": _chunked(lambda n, r: _correlated(rng, n, r), 0.9, -0.9),
    }
    # Drawn last, so that the other cases keep the data of the figures published before it.
    multinomial = LogisticRegression().fit(*_multiclass(rng, 5000, 1.0))

    def scored_multiclass(x: np.ndarray, y: np.ndarray) -> Columns:
        proba = multinomial.predict_proba(x)
        out = {f"proba_{c}": proba[:, c] for c in range(proba.shape[1])}
        return {**out, "pred": proba.argmax(axis=1).astype(float), "y": y.astype(float)}

    cases["cbpe_multiclass"] = {
        "kind": "cbpe_multiclass",
        "reference": scored_multiclass(*_multiclass(rng, REFERENCE_ROWS, 1.0)),
        "chunks": _chunked(lambda n, s: scored_multiclass(*_multiclass(rng, n, s)), 1.0, 0.4),
    }
    order = ("cbpe", "cbpe_multiclass", "dle", "reconstruction")
    return {name: cases[name] for name in order}


def ours(cases: dict[str, dict[str, Any]]) -> dict[str, dict[str, list[dict[str, float]]]]:
    """Slipway's value, band and realised value per case, metric and chunk."""
    out: dict[str, dict[str, list[dict[str, float]]]] = {}
    ref = cases["cbpe"]["reference"]
    proba2 = lambda p: np.column_stack([1 - p, p])  # noqa: E731
    cbpe = CBPE.fit(proba2(ref["proba"]), ref["y"].astype(int), ref["pred"].astype(int))
    rows: dict[str, list[dict[str, float]]] = {"accuracy": [], "f1": [], "roc_auc": []}
    for chunk in cases["cbpe"]["chunks"]:
        y, pred, p = chunk["y"].astype(int), chunk["pred"].astype(int), chunk["proba"]
        realised = _classification_metrics(y, pred, p)
        for e in cbpe.estimate(proba2(p), pred):
            rows[e.metric].append(
                {
                    "value": e.value,
                    "lower": e.lower,
                    "upper": e.upper,
                    "realized": realised[e.metric],
                }
            )
    out["cbpe"] = rows
    out["cbpe_multiclass"] = _multiclass_rows(cases["cbpe_multiclass"])
    ref = cases["dle"]["reference"]
    features = lambda c: {k: v for k, v in c.items() if k.startswith("x")}  # noqa: E731
    dle = DLE.fit(features(ref), frozenset(), ref["pred"], ref["y"])
    rows = {"mae": [], "rmse": []}
    for chunk in cases["dle"]["chunks"]:
        error = chunk["y"] - chunk["pred"]
        realised = {"mae": float(np.abs(error).mean()), "rmse": float(np.sqrt((error**2).mean()))}
        for e in dle.estimate(features(chunk), chunk["pred"]):
            rows[e.metric].append(
                {
                    "value": e.value,
                    "lower": e.lower,
                    "upper": e.upper,
                    "realized": realised[e.metric],
                }
            )
    out["dle"] = rows
    pca = ReconstructionDrift.fit(cases["reconstruction"]["reference"], frozenset())
    rows = {"reconstruction_error": []}
    for chunk in cases["reconstruction"]["chunks"]:
        m = pca.measure(chunk)
        rows["reconstruction_error"].append(
            {"value": m.error, "lower": m.lower, "upper": m.upper, "alert": float(m.drifted)}
        )
    out["reconstruction"] = rows
    return out


def _multiclass_rows(case: dict[str, Any]) -> dict[str, list[dict[str, float]]]:
    from sklearn.metrics import accuracy_score, f1_score, roc_auc_score  # type: ignore[import-untyped]

    def proba(columns: Columns) -> np.ndarray:
        names = sorted(name for name in columns if name.startswith("proba_"))
        return np.column_stack([columns[name] for name in names])

    ref = case["reference"]
    cbpe = CBPE.fit(proba(ref), ref["y"].astype(int), ref["pred"].astype(int))
    rows: dict[str, list[dict[str, float]]] = {"accuracy": [], "f1": [], "roc_auc": []}
    for chunk in case["chunks"]:
        y, pred, p = chunk["y"].astype(int), chunk["pred"].astype(int), proba(chunk)
        realised = {
            "accuracy": float(accuracy_score(y, pred)),
            "f1": float(f1_score(y, pred, average="macro")),
            "roc_auc": float(roc_auc_score(y, p, multi_class="ovr", average="macro")),
        }
        for e in cbpe.estimate(p, pred):
            rows[e.metric].append(
                {
                    "value": e.value,
                    "lower": e.lower,
                    "upper": e.upper,
                    "realized": realised[e.metric],
                }
            )
    return rows


def _classification_metrics(y: np.ndarray, pred: np.ndarray, p: np.ndarray) -> dict[str, float]:
    from sklearn.metrics import accuracy_score, f1_score, roc_auc_score  # type: ignore[import-untyped]

    return {
        "accuracy": float(accuracy_score(y, pred)),
        "f1": float(f1_score(y, pred)),
        "roc_auc": float(roc_auc_score(y, p)),
    }


def nannyml(cases: dict[str, dict[str, Any]]) -> tuple[dict[str, Any] | None, str]:
    """NannyML's results per case, metric and chunk, or None and why."""
    try:
        python = nannyml_env.ensure()
    except RuntimeError as exc:
        return None, str(exc)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        described = []
        for name, case in cases.items():
            analysis = {
                k: np.concatenate([c[k] for c in case["chunks"]]) for k in case["reference"]
            }
            for side, columns in (("reference", case["reference"]), ("analysis", analysis)):
                for column, values in columns.items():
                    np.save(folder / f"{name}_{side}_{column}.npy", np.asarray(values, np.float64))
            described.append(
                {
                    "name": name,
                    "kind": case["kind"],
                    "columns": list(case["reference"]),
                    "chunk": CHUNK,
                }
            )
        (folder / "cases.json").write_text(json.dumps(described))
        run = subprocess.run(
            [str(python), str(DRIVER), str(folder)],
            capture_output=True,
            text=True,
            timeout=DRIVER_SECONDS,
        )
        if run.returncode != 0:
            return None, f"the NannyML driver failed: {run.stderr.strip()[-800:]}"
        return json.loads((folder / "nannyml.json").read_text()), ""


def _f(value: float | None) -> str:
    return "-" if value is None else f"{value:.4f}"


def _errors(
    rows: list[dict[str, float]], theirs: dict[str, Any] | None, case: str, metric: str
) -> str:
    """Mean absolute error of each side's estimate to the realised value, ours / NannyML."""
    realised = np.array([row["realized"] for row in rows])
    mine = float(np.mean(np.abs(np.array([row["value"] for row in rows]) - realised)))
    if theirs is None:
        return f"ours {mine:.4f}"
    values = np.array(theirs[case][metric]["value"], dtype=np.float64)
    return f"ours {mine:.4f} / NannyML {float(np.mean(np.abs(values - realised))):.4f}"


def report(ours_rows: dict[str, Any], theirs: dict[str, Any] | None) -> None:
    for case, metrics in ours_rows.items():
        for metric, rows in metrics.items():
            print(f"\n{case}: {metric} per chunk of {CHUNK} rows (chunks {SHIFTED_FROM}+ shifted)")
            header = (
                "chunk",
                "ours",
                "ours band",
                "NannyML",
                "NannyML band",
                "realised",
                "in NML band",
            )
            print(
                "  ".join(f"{h:>21}" if i in (2, 4) else f"{h:>10}" for i, h in enumerate(header))
            )
            inside = 0
            for i, row in enumerate(rows):
                nml_value = nml_low = nml_high = None
                if theirs is not None:
                    t = theirs[case][metric]
                    nml_value = t["value"][i]
                    # An estimate's band; the reconstruction error's alert thresholds.
                    band = ("lower_threshold", "upper_threshold")
                    if case != "reconstruction":
                        band = ("lower", "upper")
                    nml_low, nml_high = t[band[0]][i], t[band[1]][i]
                within = "-"
                if nml_low is not None and nml_high is not None:
                    # A reconstruction error is compared with its thresholds: same verdict.
                    if case == "reconstruction":
                        same = bool(t["alert"][i]) == bool(row["alert"])
                        within = "same" if same else "DIFFERS"
                        inside += same
                    else:
                        ok = nml_low <= row["value"] <= nml_high
                        within = "yes" if ok else "NO"
                        inside += ok
                realised = row.get("realized")
                print(
                    "  ".join(
                        [
                            f"{i:>10}",
                            f"{_f(row['value']):>10}",
                            f"{_f(row['lower']) + ' to ' + _f(row['upper']):>21}",
                            f"{_f(nml_value):>10}",
                            f"{_f(nml_low) + ' to ' + _f(nml_high):>21}",
                            f"{_f(realised):>10}",
                            f"{within:>10}",
                        ]
                    )
                )
            if theirs is not None:
                what = "same verdict" if case == "reconstruction" else "ours inside NannyML's band"
                print(f"  {what}: {inside} of {len(rows)} chunks")
            if case != "reconstruction":
                errors = _errors(rows, theirs, case, metric)
                print(f"  mean absolute error to the realised value: {errors}")


def main() -> None:
    cases = build_cases()
    ours_rows = ours(cases)
    theirs, why = nannyml(cases)
    if theirs is None:
        print(f"NannyML could not be run ({why}); Slipway against the realised values only.")
    else:
        print(
            f"NannyML {theirs['version']} in .tools/{nannyml_env.VENV.name}, "
            f"Slipway on Python {sys.version.split()[0]}"
        )
    report(ours_rows, theirs)


if __name__ == "__main__":
    main()
