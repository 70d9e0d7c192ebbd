"""The data-drift reference is the whole training data, both splits, in the domain: the holdout
rows join the training rows in the reference sample (thinned to one sampling rate when the two
splits were sampled at different rates), the reference's row count is both splits', and the
sketches of both splits are kept. A file whose sketches cover the training split alone (written
before) keeps the training split as its data reference, so that sample and sketches agree."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from slipway.ml.profiles import feature_sketch, write_reference
from slipway.services.monitoring.domain.reference import (
    FeatureRef,
    Reference,
    VersionFacts,
    build_reference,
)

FEATURES = (
    FeatureRef("x", "numeric", "FP64", frozenset(), None, None, 0.0),
    FeatureRef("city", "categorical", "BYTES", frozenset(), None, None, 0.0),
)
TRAIN_ROWS, HOLDOUT_ROWS = 800, 200
# The holdout rows are told apart from the training rows by their values.
HOLDOUT_OFFSET = 1000.0


def _split(rows: int, offset: float, seed: int) -> dict[str, npt.NDArray[Any]]:
    rng = np.random.default_rng(seed)
    return {
        "x": rng.normal(0.0, 1.0, rows) + offset,
        "city": rng.choice(["a", "b", "c"], rows).astype(object),
    }


def _write(
    path: Path, *, train_sample: int, holdout_sample: int, sketch_holdout: bool = True
) -> tuple[dict[str, npt.NDArray[Any]], dict[str, npt.NDArray[Any]]]:
    train = _split(TRAIN_ROWS, 0.0, 1)
    held = _split(HOLDOUT_ROWS, HOLDOUT_OFFSET, 2)
    rng = np.random.default_rng(3)
    chosen = np.sort(rng.choice(TRAIN_ROWS, train_sample, replace=False))
    held_chosen = np.sort(rng.choice(HOLDOUT_ROWS, holdout_sample, replace=False))
    sketched = {
        name: np.concatenate([train[name], held[name]]) if sketch_holdout else train[name]
        for name in train
    }
    write_reference(
        path,
        {name: values[chosen] for name, values in train.items()},
        np.zeros(train_sample),
        row_count=TRAIN_ROWS,
        holdout_columns={name: values[held_chosen] for name, values in held.items()},
        holdout_target=np.ones(holdout_sample),
        holdout_row_count=HOLDOUT_ROWS,
        sketches={name: feature_sketch(values) for name, values in sketched.items()},
    )
    return train, held


def _reference(path: Path, verified: bool = True) -> Reference:
    facts = VersionFacts(
        name="models/m/versions/1",
        task="regression",
        class_labels=(),
        features=FEATURES,
        artifact_sha256="",
        artifact_format="skops",
        framework_versions={},
        holdout_metrics={},
        training_job="trainingJobs/j",
        profile_row_count=TRAIN_ROWS,
        verified=verified,
    )
    return build_reference(facts, sample_file=path, model_file=None)


def _holdout_rows(reference: Reference) -> int:
    return int(np.sum(np.asarray(reference.columns["x"], dtype=np.float64) > HOLDOUT_OFFSET / 2))


def test_the_holdout_rows_join_the_data_reference(tmp_path: Path) -> None:
    path = tmp_path / "reference.parquet"
    _write(path, train_sample=TRAIN_ROWS, holdout_sample=HOLDOUT_ROWS)
    reference = _reference(path)
    assert (reference.row_count, reference.sample_rows) == (1000, 1000)
    assert _holdout_rows(reference) == HOLDOUT_ROWS
    assert reference.target is not None
    assert len(reference.target) == 1000
    # The sketches of both splits stand for the columns.
    assert set(reference.sketches) == {"x", "city"}
    assert reference.sketches["x"].count == 1000
    assert not reference.notes


def test_splits_sampled_at_different_rates_are_thinned_to_one_rate(tmp_path: Path) -> None:
    path = tmp_path / "reference.parquet"
    # Half of the training rows, every holdout row: the holdout sample is thinned to half.
    _write(path, train_sample=400, holdout_sample=HOLDOUT_ROWS)
    reference = _reference(path)
    assert (reference.row_count, reference.sample_rows) == (1000, 500)
    assert _holdout_rows(reference) == 100
    assert _reference(path).columns["x"].tolist() == reference.columns["x"].tolist()  # seeded


def test_a_self_reported_version_stands_for_its_sample_rows(tmp_path: Path) -> None:
    path = tmp_path / "reference.parquet"
    _write(path, train_sample=TRAIN_ROWS, holdout_sample=HOLDOUT_ROWS)
    reference = _reference(path, verified=False)
    assert (reference.row_count, reference.sample_rows) == (1000, 1000)
    assert _holdout_rows(reference) == HOLDOUT_ROWS
    assert not reference.sketches


def test_a_file_sketched_from_the_training_split_keeps_it_as_the_reference(
    tmp_path: Path,
) -> None:
    path = tmp_path / "reference.parquet"
    _write(path, train_sample=TRAIN_ROWS, holdout_sample=HOLDOUT_ROWS, sketch_holdout=False)
    reference = _reference(path)
    assert (reference.row_count, reference.sample_rows) == (TRAIN_ROWS, TRAIN_ROWS)
    assert _holdout_rows(reference) == 0
    assert reference.sketches["x"].count == TRAIN_ROWS
