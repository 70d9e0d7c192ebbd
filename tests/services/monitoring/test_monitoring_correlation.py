"""A correlation change with unchanged marginals, through real servers (the drift case
``correlation_change`` of ``support.drift_cases``): a model is trained on the case's reference
rows (x1 and x2 correlated 0.9), served with prediction logging to monitoring, and sent the
case's current rows (the correlation flipped to -0.9, every marginal the same). The report's
per-feature drift flags no feature; its multivariate section (the PCA reconstruction error)
says drifted. Traffic keeping the training correlation flags neither."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from slipway.client.tensors import infer_request
from slipway.core.db import Database
from slipway.services.training.engine import spec as s
from support.drift_cases import case, correlated_normals, normal
from support.monitoring import running_monitoring
from support.registry import SQLITE_ONLY, Registry
from support.serving import register, running_serving, train_locally

pytestmark = SQLITE_ONLY

FEATURES = ("x1", "x2", "x3", "x4")
PER_REQUEST = 50
WAIT_SECONDS = 120.0


def _write_training_csv(path: Path, rows: Mapping[str, npt.NDArray[Any]]) -> None:
    rng = np.random.default_rng(5)
    score = rows["x1"] + rows["x3"] + rng.normal(scale=0.5, size=len(rows["x1"]))
    lines = [",".join((*FEATURES, "label"))]
    for i, positive in enumerate(score > 0):
        values = ",".join(f"{rows[name][i]:.6f}" for name in FEATURES)
        lines.append(f"{values},{'yes' if positive else 'no'}")
    path.write_text("\n".join(lines) + "\n")


def _spec() -> s.JobSpec:
    return s.JobSpec(
        task="classification",
        estimator=s.Pipeline(
            (
                s.PipelineStep("scale", s.Estimator("StandardScaler")),
                s.PipelineStep("model", s.Estimator("LogisticRegression")),
            )
        ),
        dataset=s.DatasetSpec(path="correlated.csv", target_column="label"),
    )


def _unchanged(rows: int) -> dict[str, npt.NDArray[Any]]:
    """Traffic from the reference's populations, correlation included."""
    rng = np.random.default_rng(11)
    x1, x2 = correlated_normals(0.9)(rng, rows)
    return {"x1": x1, "x2": x2, "x3": normal()(rng, rows), "x4": normal()(rng, rows)}


async def test_a_flipped_correlation_is_multivariate_drift_and_no_feature_drift(
    migrated_db: Database,
    tmp_path: Path,
    tokens_file: Path,
    tokens: dict[str, str],
    registry: Registry,
    service_token_file: Path,
) -> None:
    built = case("correlation_change")
    assert built.multivariate_drifted
    assert not built.drifted
    root = tmp_path / "data"
    root.mkdir()
    _write_training_csv(root / "correlated.csv", built.reference)
    trained = train_locally(_spec(), tmp_path / "model", root)
    # One trained model as two, each with a window of its own against the same reference.
    for model in ("flipped", "steady"):
        await register(registry, service_token_file, model, trained, alias="production")
    window = len(built.current["x1"])
    traffic = {"flipped": dict(built.current), "steady": _unchanged(window)}
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
            deployments=["flipped@production", "steady@production"],
            monitoring_target=monitoring.address,
            prediction_log_batch=5,
        ) as serving,
    ):
        for model, columns in traffic.items():
            for i, start in enumerate(range(0, window, PER_REQUEST)):
                rows = {name: columns[name][start : start + PER_REQUEST] for name in FEATURES}
                await serving.infer(infer_request(model, rows, outputs=None, request_id=f"{i}"))
        reports = {
            model: await monitoring.report_with_rows(
                f"models/{model}/versions/1", window, WAIT_SECONDS
            )
            for model in traffic
        }

    for model, report in reports.items():
        assert report.window.row_count == window
        assert report.reference_row_count > 1000  # the distance tests, as Evidently would
        features = {
            f.feature: (f.method, round(f.score, 4), f.drifted) for f in report.data_drift.features
        }
        assert set(features) == set(FEATURES)
        assert not any(drifted for _, _, drifted in features.values()), (model, features)
        assert not report.data_drift.drifted

    flipped = reports["flipped"].multivariate_drift
    assert flipped.row_count == window
    assert flipped.drifted, flipped
    assert flipped.reconstruction_error > flipped.upper_threshold
    steady = reports["steady"].multivariate_drift
    assert not steady.drifted, steady
    assert steady.lower_threshold <= steady.reconstruction_error <= steady.upper_threshold
