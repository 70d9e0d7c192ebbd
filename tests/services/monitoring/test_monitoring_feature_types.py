"""Types kept end to end, through real servers: a model trained on a float, an integer, a 0/1
flag, a boolean and a category is registered, served with prediction logging to monitoring, and
sent traffic from the same distribution as its training data, each feature in its own protocol
type (FP64, INT64, INT64 0/1, BOOL, BYTES). The report finds no drift on any feature, tests each
with the method of its type, and gives a mean only where the feature has numbers; on SQLite and
PostgreSQL."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

from slipway.common.v1 import feature_pb2
from slipway.core.db import Database
from slipway.inference.v2 import grpc_service_pb2 as infer_pb
from slipway.monitoring.v1 import drift_pb2
from slipway.services.training.engine import spec as s
from support.drift_cases import categories, levels, normal, whole_numbers
from support.monitoring import running_monitoring
from support.registry import Registry
from support.serving import register, running_serving, train_locally

TRAINING_ROWS = 1000  # both splits are the reference: a small one (1000 rows), tested by type
TRAFFIC_ROWS = 1000  # the default window
PER_REQUEST = 50
WAIT_SECONDS = 120.0
COLOURS = ("red", "green", "blue", "white")

# Drawn by stratified sampling (support.drift_cases): a side's empirical distribution lies
# within 1/n of the population, so an unchanged feature gives the tests nothing to find and the
# verdicts do not hinge on the draw.
SAMPLERS = {
    "amount": normal(50.0, 10.0),
    "visits": whole_numbers(0, 12),
    "flag": levels([0.0, 1.0], [0.7, 0.3]),
    "active": levels([0.0, 1.0], [0.5, 0.5]),
    "colour": categories(COLOURS, [0.4, 0.3, 0.2, 0.1]),
}
NUMBERS = ("amount", "visits", "flag", "active")


def _draw(seed: int, rows: int) -> dict[str, npt.NDArray[Any]]:
    rng = np.random.default_rng(seed)
    return {name: sample(rng, rows) for name, sample in SAMPLERS.items()}


def _write_training_csv(path: Path) -> None:
    """Types as a data file has them: a float, an integer, 0/1, true/false, and text."""
    data = _draw(1, TRAINING_ROWS)
    score = (
        data["amount"]
        + data["visits"]
        + 10 * data["flag"]
        + 5 * data["active"]
        + 8 * (data["colour"] == "red")
    )
    lines = ["amount,visits,flag,active,colour,label"]
    for i in range(TRAINING_ROWS):
        lines.append(
            f"{data['amount'][i]:.6f},{int(data['visits'][i])},{int(data['flag'][i])},"
            f"{'true' if data['active'][i] else 'false'},{data['colour'][i]},"
            f"{'yes' if score[i] > 62 else 'no'}"
        )
    path.write_text("\n".join(lines) + "\n")


def _spec() -> s.JobSpec:
    columns = s.ColumnTransformer(
        (
            s.ColumnEntry(
                "numbers",
                s.Pipeline(
                    (
                        s.PipelineStep("impute", s.Estimator("SimpleImputer")),
                        s.PipelineStep("scale", s.Estimator("StandardScaler")),
                    )
                ),
                NUMBERS,
            ),
            s.ColumnEntry(
                "colour", s.Estimator("OneHotEncoder", {"handle_unknown": "ignore"}), ("colour",)
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
        dataset=s.DatasetSpec(path="types.csv", target_column="label"),
    )


def _request(
    columns: Mapping[str, npt.NDArray[Any]], start: int, request_id: str
) -> infer_pb.ModelInferRequest:
    """One request, each feature its own tensor in the protocol type a client would use."""
    end = start + PER_REQUEST
    request = infer_pb.ModelInferRequest(model_name="types", id=request_id)
    shape = [PER_REQUEST]
    amount = request.inputs.add(name="amount", datatype="FP64", shape=shape)
    amount.contents.fp64_contents.extend(columns["amount"][start:end].tolist())
    for name in ("visits", "flag"):
        tensor = request.inputs.add(name=name, datatype="INT64", shape=shape)
        tensor.contents.int64_contents.extend(int(v) for v in columns[name][start:end])
    active = request.inputs.add(name="active", datatype="BOOL", shape=shape)
    active.contents.bool_contents.extend(bool(v) for v in columns["active"][start:end])
    colour = request.inputs.add(name="colour", datatype="BYTES", shape=shape)
    colour.contents.bytes_contents.extend(str(v).encode() for v in columns["colour"][start:end])
    return request


async def test_traffic_like_training_drifts_on_no_feature_of_any_type(
    migrated_db: Database,
    tmp_path: Path,
    tokens_file: Path,
    tokens: dict[str, str],
    registry: Registry,
    service_token_file: Path,
) -> None:
    root = tmp_path / "data"
    root.mkdir()
    _write_training_csv(root / "types.csv")
    trained = train_locally(_spec(), tmp_path / "model", root)
    kinds = {f.name: (f.data_type, f.kind) for f in trained.outcome.inputs}
    assert kinds == {
        "amount": ("FP64", "numeric"),
        "visits": ("FP64", "numeric"),
        "flag": ("FP64", "binary"),
        "active": ("FP64", "binary"),
        "colour": ("BYTES", "categorical"),
    }
    number = await register(registry, service_token_file, "types", trained, alias="production")
    version = f"models/types/versions/{number}"
    traffic = _draw(2, TRAFFIC_ROWS)
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
            deployments=["types@production"],
            monitoring_target=monitoring.address,
            prediction_log_batch=5,
        ) as serving,
    ):
        for i, start in enumerate(range(0, TRAFFIC_ROWS, PER_REQUEST)):
            reply = await serving.infer(_request(traffic, start, f"types-{i}"))
            assert reply.model_version == str(number)
        report = await monitoring.report_with_rows(version, TRAFFIC_ROWS, WAIT_SECONDS)

    assert report.window.row_count == TRAFFIC_ROWS
    assert report.reference_row_count == 1000
    features = {f.feature: f for f in report.data_drift.features}
    verdicts = {name: (f.drifted, round(f.score, 4)) for name, f in features.items()}
    assert not any(f.drifted for f in features.values()), verdicts
    assert not report.data_drift.drifted
    assert {name: f.method for name, f in features.items()} == {
        "amount": drift_pb2.DRIFT_METHOD_KS,
        "visits": drift_pb2.DRIFT_METHOD_KS,
        "flag": drift_pb2.DRIFT_METHOD_Z_TEST,
        "active": drift_pb2.DRIFT_METHOD_Z_TEST,
        "colour": drift_pb2.DRIFT_METHOD_CHI_SQUARE,
    }
    assert features["flag"].kind == feature_pb2.FEATURE_KIND_BINARY
    # A 0/1 feature's mean is its share of ones, on both sides.
    assert features["flag"].current.mean == pytest.approx(0.3)
    assert features["flag"].reference.mean == pytest.approx(0.3, abs=0.02)
    assert features["active"].current.mean == pytest.approx(0.5)
    # A category has counts and no numbers: nothing for a mean to be read from.
    colour = features["colour"]
    assert not colour.reference.quantiles
    assert not colour.current.quantiles
    assert {c.value for c in colour.current.categories} == set(COLOURS)
    quality = {q.feature: q for q in report.data_quality.features}
    assert all(q.unseen_category_count == 0 for q in quality.values())
    assert not report.data_quality.issues_found
