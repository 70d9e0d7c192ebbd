"""Performance estimated before any label arrives, through real servers: a logistic model is
trained on a fixed concept, registered, served with prediction logging to monitoring, and sent
traffic whose main feature moved towards the decision boundary (a covariate shift: the concept
is unchanged, the task harder). No label is sent; the report estimates (CBPE) an accuracy below
the holdout's, within the band of the accuracy the hidden labels would give, and flags the drop.
The multivariate reconstruction error is in the same report."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from slipway.core.db import Database
from slipway.inference.v2 import grpc_service_pb2 as infer_pb
from slipway.monitoring.v1 import monitoring_report_pb2
from slipway.services.training.engine import spec as s
from support.monitoring import running_monitoring
from support.registry import Registry
from support.serving import register, running_serving, train_locally

TRAINING_ROWS = 3000
TRAFFIC_ROWS = 1000  # the default window
PER_REQUEST = 50
WAIT_SECONDS = 120.0
SHIFT = 0.3  # traffic's x0 is scaled by this: rows crowd the decision boundary


def _draw(seed: int, rows: int, scale: float) -> tuple[dict[str, npt.NDArray[Any]], Any]:
    rng = np.random.default_rng(seed)
    x0 = rng.normal(size=rows) * scale
    x1 = rng.normal(size=rows)
    p = 1.0 / (1.0 + np.exp(-(3.0 * x0 + 1.0 * x1)))
    label = np.where(rng.random(rows) < p, "yes", "no")
    return {"x0": x0, "x1": x1}, label


def _write_training_csv(path: Path) -> None:
    columns, label = _draw(1, TRAINING_ROWS, 1.0)
    lines = ["x0,x1,label"]
    lines += [
        f"{columns['x0'][i]:.6f},{columns['x1'][i]:.6f},{label[i]}" for i in range(TRAINING_ROWS)
    ]
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
        dataset=s.DatasetSpec(path="shift.csv", target_column="label"),
    )


def _request(
    columns: Mapping[str, npt.NDArray[Any]], start: int, request_id: str
) -> infer_pb.ModelInferRequest:
    request = infer_pb.ModelInferRequest(model_name="shift", id=request_id)
    for name in ("x0", "x1"):
        tensor = request.inputs.add(name=name, datatype="FP64", shape=[PER_REQUEST])
        tensor.contents.fp64_contents.extend(columns[name][start : start + PER_REQUEST].tolist())
    return request


async def test_a_covariate_shift_shows_as_an_estimated_accuracy_drop_before_labels(
    migrated_db: Database,
    tmp_path: Path,
    tokens_file: Path,
    tokens: dict[str, str],
    registry: Registry,
    service_token_file: Path,
) -> None:
    root = tmp_path / "data"
    root.mkdir()
    _write_training_csv(root / "shift.csv")
    trained = train_locally(_spec(), tmp_path / "model", root)
    number = await register(registry, service_token_file, "shift", trained, alias="production")
    version = f"models/shift/versions/{number}"
    traffic, hidden_labels = _draw(2, TRAFFIC_ROWS, SHIFT)
    predicted: list[str] = []
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
            deployments=["shift@production"],
            monitoring_target=monitoring.address,
            prediction_log_batch=5,
        ) as serving,
    ):
        for i, start in enumerate(range(0, TRAFFIC_ROWS, PER_REQUEST)):
            reply = await serving.infer(_request(traffic, start, f"shift-{i}"))
            (labels,) = [o for o in reply.outputs if o.name == "predict"]
            predicted += [v.decode() for v in labels.contents.bytes_contents]
        report = await monitoring.report_with_rows(version, TRAFFIC_ROWS, WAIT_SECONDS)

    assert report.window.row_count == TRAFFIC_ROWS
    assert not report.performance.labeled_row_count  # no label has arrived
    estimate = report.performance_estimate
    assert estimate.method == monitoring_report_pb2.ESTIMATION_METHOD_CBPE
    assert estimate.row_count == TRAFFIC_ROWS
    assert estimate.note == "learned from the holdout sample registered with the version"
    metrics = {m.metric: m for m in estimate.metrics}
    assert set(metrics) == {"accuracy", "f1", "roc_auc"}
    accuracy = metrics["accuracy"]
    realised = float(np.mean(np.array(predicted) == hidden_labels))
    # The estimate follows the true accuracy the hidden labels give, within its band, well
    # below the holdout accuracy; the default threshold (10 % of the holdout) calls it a drop.
    assert accuracy.lower_confidence_bound <= realised <= accuracy.upper_confidence_bound
    assert accuracy.HasField("reference_value")
    assert accuracy.value < accuracy.reference_value - 0.08
    assert accuracy.degraded
    assert estimate.degraded
    assert not accuracy.HasField("realized_value")  # nothing realised yet
    # Per feature x0 drifted (its spread shrank); the reconstruction error is reported with its
    # reference band.
    multivariate = report.multivariate_drift
    assert multivariate.row_count == TRAFFIC_ROWS
    assert multivariate.upper_threshold > multivariate.lower_threshold
    assert multivariate.component_count >= 1
