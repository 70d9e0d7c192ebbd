"""The reference a report compares with, through real servers (train, register, serve with
prediction logging, report): its row count and the rows the statistic used, prediction drift
against the model's outputs on the holdout rows, and a version registered with the former
1000-row ``.npz`` sample; on SQLite and PostgreSQL. These versions are registered without a
training service to vouch for them (self-reported): their reference stands for its sample rows,
whatever training rows they claim (``test_monitoring_reference_limits``)."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

from slipway.core.db import Database
from slipway.inference.v2 import grpc_service_pb2 as infer_pb
from slipway.ml.profiles import read_reference, write_sample
from slipway.monitoring.v1 import drift_pb2
from slipway.monitoring.v1 import monitoring_report_pb2 as report_pb2
from slipway.services.training.engine import spec as s
from slipway.services.training.engine.outcome import ArtifactFile
from slipway.services.training.engine.run import DEFAULT_SAMPLE_ROWS, train
from support.monitoring import running_monitoring
from support.registry import Registry
from support.serving import Trained, register, running_serving

FEATURES = tuple(f"x{i}" for i in range(8))
TRAFFIC_ROWS = 1000  # the default window
PER_REQUEST = 100
WAIT_SECONDS = 120.0


def _draw(seed: int, rows: int) -> npt.NDArray[np.float64]:
    """Features of several shapes: normal, skewed, uniform, heavy-tailed."""
    rng = np.random.default_rng(seed)
    columns = []
    for i in range(len(FEATURES)):
        shape = i % 4
        if shape == 0:
            columns.append(rng.normal(10.0 * i, 1.0 + i, rows))
        elif shape == 1:
            columns.append(rng.lognormal(1.0, 0.5, rows))
        elif shape == 2:
            columns.append(rng.uniform(-i, i, rows))
        else:
            columns.append(rng.standard_t(5, rows))
    return np.column_stack(columns)


def _write_csv(path: Path, rows: int, seed: int) -> None:
    """Features and a noisy label: a model that learns every training row is overconfident."""
    x = _draw(seed, rows)
    rng = np.random.default_rng(seed + 1000)
    z = (x - x.mean(axis=0)) / x.std(axis=0)
    label = z[:, 0] + z[:, 1] - z[:, 2] + rng.normal(0.0, 1.5, rows) > 0
    lines = [",".join((*FEATURES, "label"))]
    lines.extend(
        ",".join(f"{v:.6g}" for v in row) + ("," + ("yes" if y else "no"))
        for row, y in zip(x, label, strict=True)
    )
    path.write_text("\n".join(lines) + "\n")


def _logistic() -> s.Estimator | s.Pipeline:
    return s.Pipeline(
        (
            s.PipelineStep("scale", s.Estimator("StandardScaler")),
            s.PipelineStep("model", s.Estimator("LogisticRegression")),
        )
    )


def _train(
    tmp_path: Path, estimator: s.Estimator | s.Pipeline, rows: int, sample_rows: int
) -> Trained:
    root = tmp_path / "data"
    root.mkdir()
    _write_csv(root / "wide.csv", rows, seed=1)
    spec = s.JobSpec(
        task="classification",
        estimator=estimator,
        dataset=s.DatasetSpec(path="wide.csv", target_column="label"),
    )
    folder = tmp_path / "model"
    folder.mkdir()
    outcome = train(
        spec, data_root=root, out_dir=folder, progress=lambda p: None, sample_rows=sample_rows
    )
    return Trained(outcome, folder)


def _request(model: str, rows: npt.NDArray[np.float64], request_id: str) -> Any:
    request = infer_pb.ModelInferRequest(model_name=model, id=request_id)
    for j, name in enumerate(FEATURES):
        tensor = request.inputs.add(name=name, datatype="FP64", shape=[len(rows)])
        tensor.contents.fp64_contents.extend(rows[:, j].tolist())
    return request


async def _serve_unchanged_traffic(
    migrated_db: Database,
    tmp_path: Path,
    tokens_file: Path,
    tokens: dict[str, str],
    registry: Registry,
    service_token_file: Path,
    model: str,
    trained: Trained,
) -> report_pb2.MonitoringReport:
    """Registers ``trained``, serves it fresh rows drawn like its training rows, and returns the
    report of those rows."""
    number = await register(registry, service_token_file, model, trained, alias="production")
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
            deployments=[f"{model}@production"],
            monitoring_target=monitoring.address,
            prediction_log_batch=5,
        ) as serving,
    ):
        for i, start in enumerate(range(0, TRAFFIC_ROWS, PER_REQUEST)):
            rows = traffic[start : start + PER_REQUEST]
            reply = await serving.infer(_request(model, rows, f"{model}-{i}"))
            assert reply.model_version == str(number)
        report: report_pb2.MonitoringReport = await monitoring.report_with_rows(
            f"models/{model}/versions/{number}", TRAFFIC_ROWS, WAIT_SECONDS
        )
    return report


@pytest.mark.slow
async def test_a_large_training_set_is_the_reference_and_flags_no_unchanged_feature(
    migrated_db: Database,
    tmp_path: Path,
    tokens_file: Path,
    tokens: dict[str, str],
    registry: Registry,
    service_token_file: Path,
) -> None:
    # 200k rows: 160k to train on, of which the reference keeps a uniform 100k (the default
    # setting); 40k holdout rows, of which it keeps all (the prediction reference), and 25k in
    # the data reference (both splits, at the training split's sampling rate).
    trained = _train(tmp_path, _logistic(), rows=200_000, sample_rows=DEFAULT_SAMPLE_ROWS)
    assert trained.outcome.profile_row_count == 160_000
    report = await _serve_unchanged_traffic(
        migrated_db, tmp_path, tokens_file, tokens, registry, service_token_file, "wide", trained
    )

    # The report says what the reference is: 125k rows (of 200k rows that nobody vouches for:
    # the version is self-reported).
    assert (report.reference_row_count, report.reference_sample_row_count) == (125_000, 125_000)
    features = {f.feature: f for f in report.data_drift.features}
    assert list(features) == list(FEATURES)
    # The method of a large reference (Evidently's rule).
    assert {f.method for f in features.values()} == {drift_pb2.DRIFT_METHOD_WASSERSTEIN}
    scores = {name: round(f.score, 4) for name, f in features.items()}
    assert not any(f.drifted for f in features.values()), scores
    assert all(f.reference.count == 125_000 for f in features.values())
    # Prediction drift against the model's outputs on the holdout rows.
    outputs = {f.feature: f for f in report.prediction_drift.features}
    assert set(outputs) == {"predict", "predict_proba[no]", "predict_proba[yes]"}
    for output in outputs.values():
        assert output.note == "reference: the model's outputs on 40000 of 40000 holdout rows"
    assert outputs["predict"].method == drift_pb2.DRIFT_METHOD_JENSEN_SHANNON
    assert outputs["predict_proba[yes]"].method == drift_pb2.DRIFT_METHOD_WASSERSTEIN
    assert not report.prediction_drift.drifted


async def test_an_unconstrained_tree_model_shows_no_prediction_drift_on_fresh_data(
    migrated_db: Database,
    tmp_path: Path,
    tokens_file: Path,
    tokens: dict[str, str],
    registry: Registry,
    service_token_file: Path,
) -> None:
    # Fully grown trees learn every training row (labels are noisy): on those rows their
    # probabilities are near 0 or 1, on any other row they are not.
    forest = s.Estimator("RandomForestClassifier", {"n_estimators": 20, "bootstrap": False})
    trained = _train(tmp_path, forest, rows=10_000, sample_rows=100_000)
    model = trained.model()
    reference = read_reference(trained.folder / trained.outcome.sample.filename)
    training_rows = np.column_stack([reference.columns[name] for name in FEATURES])
    assert np.mean(np.abs(model.predict_proba(training_rows)[:, 1] - 0.5) > 0.4) > 0.8

    report = await _serve_unchanged_traffic(
        migrated_db, tmp_path, tokens_file, tokens, registry, service_token_file, "forest", trained
    )

    assert report.reference_row_count == 10_000  # both splits: 8000 + 2000
    outputs = {f.feature: f for f in report.prediction_drift.features}
    scores = {name: (f.method, round(f.score, 4)) for name, f in outputs.items()}
    assert not any(f.drifted for f in outputs.values()), scores
    assert not report.prediction_drift.drifted
    proba = outputs["predict_proba[yes]"]
    assert proba.method == drift_pb2.DRIFT_METHOD_WASSERSTEIN  # 2000 holdout rows: large
    assert proba.note == "reference: the model's outputs on 2000 of 2000 holdout rows"
    assert proba.reference.count == 2_000
    assert not report.data_drift.drifted


async def test_a_version_with_the_former_1000_row_sample_still_gets_a_report(
    migrated_db: Database,
    tmp_path: Path,
    tokens_file: Path,
    tokens: dict[str, str],
    registry: Registry,
    service_token_file: Path,
) -> None:
    trained = _train(tmp_path, _logistic(), rows=10_000, sample_rows=100_000)
    # Registered as versions were before the reference files: 1000 training rows as .npz.
    reference = read_reference(trained.folder / trained.outcome.sample.filename)
    chosen = np.sort(np.random.default_rng(0).choice(reference.sample_rows, 1000, replace=False))
    old = trained.folder / "reference_sample.npz"
    write_sample(
        old,
        {name: values[chosen] for name, values in reference.columns.items()},
        reference.target[chosen],
    )
    content = old.read_bytes()
    sample = ArtifactFile(old.name, hashlib.sha256(content).hexdigest(), len(content), "npz")
    trained = Trained(
        replace(trained.outcome, sample=sample, sample_row_count=1000), trained.folder
    )
    report = await _serve_unchanged_traffic(
        migrated_db, tmp_path, tokens_file, tokens, registry, service_token_file, "former", trained
    )

    # Self-reported: the 1000 rows of the sample, not the 8000 the version claims.
    assert (report.reference_row_count, report.reference_sample_row_count) == (1_000, 1_000)
    features = {f.feature: f for f in report.data_drift.features}
    assert list(features) == list(FEATURES)
    # The method of a small reference (Evidently's rule).
    assert {f.method for f in features.values()} == {drift_pb2.DRIFT_METHOD_KS}
    assert not report.data_drift.drifted
    # No holdout rows in the old file: the outputs on the training sample stay the reference.
    outputs = {f.feature: f for f in report.prediction_drift.features}
    assert set(outputs) == {"predict", "predict_proba[no]", "predict_proba[yes]"}
    assert all(
        f.note == "reference: the model's outputs on 1000 of 1000 training rows"
        for f in outputs.values()
    )
