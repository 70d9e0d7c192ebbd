"""Missing values through the inference protocol, as far as the report: a model whose pipeline
imputes a number and a category is trained on complete rows, served with prediction logging to
monitoring, and sent traffic through ``ModelInfer`` built by the Python client's request helper
(NaN for a missing number, None for a missing category, which the helper sends as an element
named in the input's ``missing_elements`` parameter). Where 30 % of both features go missing
the report flags both (missing share 0 -> 0.3) and counts no unseen category (a missing colour
is not the category ""); where nothing goes missing it flags neither."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

from slipway.client.tensors import infer_request
from slipway.core.db import Database
from slipway.services.training.engine import spec as s
from support.drift_cases import categories, normal, with_missing
from support.monitoring import running_monitoring
from support.registry import SQLITE_ONLY, Registry
from support.serving import register, running_serving, train_locally

pytestmark = SQLITE_ONLY

TRAINING_ROWS = 1250  # 1000 after the holdout
TRAFFIC_ROWS = 1000  # the default window
PER_REQUEST = 50
MISSING_SHARE = 0.3
WAIT_SECONDS = 120.0
COLOURS = ("red", "green", "blue", "white")


def _samplers(missing: float) -> dict[str, Any]:
    amount, colour = normal(50.0, 10.0), categories(COLOURS, [0.4, 0.3, 0.2, 0.1])
    if missing:
        amount, colour = with_missing(amount, missing), with_missing(colour, missing)
    return {"amount": amount, "colour": colour}


def _draw(seed: int, rows: int, missing: float = 0.0) -> dict[str, npt.NDArray[Any]]:
    rng = np.random.default_rng(seed)
    return {name: sample(rng, rows) for name, sample in _samplers(missing).items()}


def _write_training_csv(path: Path) -> None:
    data = _draw(1, TRAINING_ROWS)
    lines = ["amount,colour,label"]
    for amount, colour in zip(data["amount"], data["colour"], strict=True):
        label = "yes" if amount + 8 * (colour == "red") > 52 else "no"
        lines.append(f"{amount:.6f},{colour},{label}")
    path.write_text("\n".join(lines) + "\n")


def _spec() -> s.JobSpec:
    def imputed(then: s.Estimator, **impute: str) -> s.Pipeline:
        return s.Pipeline(
            (
                s.PipelineStep("impute", s.Estimator("SimpleImputer", dict(impute))),
                s.PipelineStep("then", then),
            )
        )

    columns = s.ColumnTransformer(
        (
            s.ColumnEntry("amount", imputed(s.Estimator("StandardScaler")), ("amount",)),
            s.ColumnEntry(
                "colour",
                imputed(s.Estimator("OneHotEncoder"), strategy="most_frequent"),
                ("colour",),
            ),
        )
    )
    return s.JobSpec(
        task="classification",
        estimator=s.Pipeline(
            (
                s.PipelineStep("prepare", columns),
                s.PipelineStep("model", s.Estimator("LogisticRegression")),
            )
        ),
        dataset=s.DatasetSpec(path="missing.csv", target_column="label"),
    )


async def test_the_missing_share_of_served_traffic_reaches_the_report(
    migrated_db: Database,
    tmp_path: Path,
    tokens_file: Path,
    tokens: dict[str, str],
    registry: Registry,
    service_token_file: Path,
) -> None:
    root = tmp_path / "data"
    root.mkdir()
    _write_training_csv(root / "missing.csv")
    trained = train_locally(_spec(), tmp_path / "model", root)
    assert trained.outcome.accepts_missing_values
    # The same trained model as two models, one per kind of traffic: each report has its own
    # window, and both have the same reference (no missing value at all).
    for model in ("steady", "gappy"):
        await register(registry, service_token_file, model, trained, alias="production")
    traffic = {
        "steady": _draw(2, TRAFFIC_ROWS),
        "gappy": _draw(3, TRAFFIC_ROWS, missing=MISSING_SHARE),
    }
    async with (
        running_monitoring(
            migrated_db,
            tmp_path / "monitoring",
            tokens_file,
            tokens,
            registry.address,
            service_token_file,
            evaluate=False,
        ) as monitoring,
        running_serving(
            migrated_db,
            tmp_path / "serving",
            tokens_file,
            tokens,
            registry.address,
            service_token_file,
            deployments=["steady@production", "gappy@production"],
            monitoring_target=monitoring.address,
            prediction_log_batch=5,
        ) as serving,
    ):
        for model, columns in traffic.items():
            for i, start in enumerate(range(0, TRAFFIC_ROWS, PER_REQUEST)):
                rows = {
                    name: values[start : start + PER_REQUEST] for name, values in columns.items()
                }
                request = infer_request(model, rows, outputs=None, request_id=f"{model}-{i}")
                reply = await serving.infer(request)
                assert len(reply.outputs) == 2  # predicted, missing values and all
        reports = {
            model: await monitoring.report_with_rows(
                f"models/{model}/versions/1", TRAFFIC_ROWS, WAIT_SECONDS
            )
            for model in traffic
        }

    steady, gappy = reports["steady"], reports["gappy"]
    for report in (steady, gappy):
        assert report.window.row_count == TRAFFIC_ROWS
        quality = {q.feature: q for q in report.data_quality.features}
        assert quality["colour"].unseen_category_count == 0
        assert not quality["colour"].unseen_categories
        assert all(q.reference_missing_share == 0.0 for q in quality.values())

    steady_drift = {f.feature: f for f in steady.data_drift.features}
    assert not steady_drift["amount"].drifted
    assert not steady_drift["colour"].drifted
    assert all(q.missing_count == 0 for q in steady.data_quality.features)

    gappy_drift = {f.feature: f for f in gappy.data_drift.features}
    assert gappy_drift["amount"].drifted
    assert gappy_drift["colour"].drifted
    quality = {q.feature: q for q in gappy.data_quality.features}
    assert quality["amount"].missing_share == pytest.approx(MISSING_SHARE)
    assert quality["colour"].missing_share == pytest.approx(MISSING_SHARE)
    # The present colours keep their frequencies: no category "" among them.
    assert {c.value for c in gappy_drift["colour"].current.categories} == set(COLOURS)
