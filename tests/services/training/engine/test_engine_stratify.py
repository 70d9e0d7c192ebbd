"""The holdout split of a classification keeps the data's class proportions unless told not to:
unset stratifies when every class has 2 rows and otherwise falls back (and says so), `False`
never stratifies."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pyarrow as pa
from sklearn.model_selection import train_test_split

from slipway.ml.profiles import read_reference
from slipway.services.training.engine.run import train
from slipway.services.training.engine.spec import DatasetSpec, Estimator, JobSpec, SplitSpec
from slipway.services.training.engine.validation import validate

ROWS = 100
LABELS = np.array(["common"] * 80 + ["rare"] * 20)
EXPECTED_RARE = 4  # 20% of the 20 holdout rows
# A seed whose unstratified holdout is visibly off the data's proportions, so that a stratified
# one is told apart from luck.
SKEWED_SEED = next(
    s
    for s in range(1000)
    if abs(
        Counter(train_test_split(LABELS, test_size=0.2, random_state=s)[1].tolist())["rare"]
        - EXPECTED_RARE
    )
    >= 3
)


def _spec(path: str, stratify: bool | None, seed: int = SKEWED_SEED) -> JobSpec:
    return JobSpec(
        task="classification",
        estimator=Estimator("LogisticRegression"),
        dataset=DatasetSpec(path=path, target_column="y"),
        split=SplitSpec(test_fraction=0.2, stratify=stratify, seed=seed),
    )


def _run(spec, data_root, out):
    assert validate(spec, data_root) == []
    events = []
    outcome = train(spec, data_root=data_root, out_dir=out, progress=events.append)
    holdout = read_reference(out / outcome.sample.filename).holdout_target
    assert holdout is not None
    split_note = next(e.message for e in events if "holdout rows" in e.message)
    return outcome, Counter(holdout.tolist()), split_note


def _write(data_root, write_csv, name, labels):
    rng = np.random.default_rng(0)
    x = rng.normal(size=len(labels)) + (labels == labels[-1])
    write_csv(data_root / name, pa.table({"x": x, "y": labels}))


def test_a_classification_is_stratified_by_default(data_root, write_csv, tmp_path):
    _write(data_root, write_csv, "skewed.csv", LABELS)
    outcome, holdout, note = _run(_spec("skewed.csv", None), data_root, tmp_path / "out")
    assert abs(holdout["rare"] - EXPECTED_RARE) <= 1
    assert abs(holdout["common"] - (20 - EXPECTED_RARE)) <= 1
    assert "(stratified on the target)" in note
    assert outcome.extra["stratified"] is True


def test_no_stratify_splits_at_random(data_root, write_csv, tmp_path):
    _write(data_root, write_csv, "skewed.csv", LABELS)
    outcome, holdout, note = _run(_spec("skewed.csv", False), data_root, tmp_path / "out")
    expected = Counter(train_test_split(LABELS, test_size=0.2, random_state=SKEWED_SEED)[1])
    assert holdout == expected
    assert abs(holdout["rare"] - EXPECTED_RARE) >= 3
    assert "(not stratified)" in note
    assert outcome.extra["stratified"] is False


def test_a_class_of_one_row_falls_back_to_a_random_split(data_root, write_csv, tmp_path):
    labels = np.array(["a"] * 60 + ["b"] * 39 + ["c"])
    # A seed that keeps the lone row in training, so the job's only difference is the split.
    seed = next(
        s
        for s in range(1000)
        if "c" not in train_test_split(labels, test_size=0.2, random_state=s)[1]
    )
    _write(data_root, write_csv, "lone.csv", labels)
    outcome, holdout, note = _run(_spec("lone.csv", None, seed), data_root, tmp_path / "out")
    assert holdout == Counter(train_test_split(labels, test_size=0.2, random_state=seed)[1])
    assert "not stratified: a class of the target has a single row" in note
    assert outcome.extra["stratified"] is False
    # Asked for explicitly, the same data is refused before a job runs, as before.
    assert validate(_spec("lone.csv", True, seed), data_root)


def test_more_classes_than_holdout_rows_falls_back_to_a_random_split(
    data_root, write_csv, tmp_path
):
    labels = np.repeat([f"k{i}" for i in range(10)], 3)  # 30 rows: a holdout of 6 for 10 classes
    _write(data_root, write_csv, "many.csv", labels)
    outcome, holdout, note = _run(_spec("many.csv", None, 0), data_root, tmp_path / "out")
    assert holdout == Counter(train_test_split(labels, test_size=0.2, random_state=0)[1])
    assert "not stratified: too few holdout rows for every class" in note
    assert outcome.extra["stratified"] is False
