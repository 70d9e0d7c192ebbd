"""Reading training data: paths under the data root, CSV and Parquet, bundled datasets."""

from __future__ import annotations

import hashlib
import os

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from slipway.services.training.engine import datasets
from slipway.services.training.engine.datasets import (
    DatasetFormatError,
    DatasetPathError,
    describe,
    load,
    resolve_path,
)
from slipway.services.training.engine.outcome import TrainingFailed
from slipway.services.training.engine.spec import DatasetSpec

# --- paths -------------------------------------------------------------------------------------


def test_resolve_path_finds_files_under_the_root(data_root):
    (data_root / "sub").mkdir()
    (data_root / "sub" / "x.csv").write_text("a\n1\n")
    assert resolve_path(data_root, "people.csv") == (data_root / "people.csv").resolve()
    assert resolve_path(data_root, "sub/x.csv") == (data_root / "sub" / "x.csv").resolve()
    assert resolve_path(data_root, "./sub/x.csv") == (data_root / "sub" / "x.csv").resolve()


@pytest.mark.parametrize(
    ("relative", "text"),
    [
        ("", "required"),
        ("../secret.csv", "'..'"),
        ("sub/../../secret.csv", "'..'"),
        ("/etc/passwd", "absolute"),
        ("missing.csv", "not a file"),
        (".", "not a file"),
        ("bad\x00.csv", "NUL"),
    ],
)
def test_resolve_path_refuses_paths_that_leave_the_root_or_name_nothing(data_root, relative, text):
    (data_root.parent / "secret.csv").write_text("a\n1\n")
    with pytest.raises(DatasetPathError, match=text):
        resolve_path(data_root, relative)


def test_resolve_path_refuses_a_symbolic_link_out_of_the_root(data_root):
    outside = data_root.parent / "outside.csv"
    outside.write_text("a,b\n1,2\n")
    os.symlink(outside, data_root / "link.csv")
    os.symlink(data_root.parent, data_root / "up")
    with pytest.raises(DatasetPathError, match="outside the data root"):
        resolve_path(data_root, "link.csv")
    with pytest.raises(DatasetPathError, match="outside the data root"):
        resolve_path(data_root, "up/outside.csv")
    # A link that stays inside is fine.
    os.symlink(data_root / "people.csv", data_root / "alias.csv")
    assert resolve_path(data_root, "alias.csv") == (data_root / "people.csv").resolve()


def test_the_path_error_is_a_value_error():
    assert issubclass(DatasetPathError, ValueError)
    assert issubclass(DatasetFormatError, ValueError)


# --- files -------------------------------------------------------------------------------------


def test_a_csv_with_a_categorical_column_loads_as_an_object_matrix(data_root):
    data = load(DatasetSpec(path="people.csv", target_column="bought"), data_root)
    assert data.feature_names == ("age", "income", "city")
    assert data.categorical == (False, False, True)
    assert data.columns == ("age", "income", "city", "bought")
    assert data.X.dtype == object
    assert data.X.shape == (120, 3)
    assert isinstance(data.X[0, 0], float)
    assert isinstance(data.X[0, 2], str)
    assert np.isnan(data.X[3, 1])  # the missing income
    assert isinstance(data.X[5, 2], float)
    assert np.isnan(data.X[5, 2])
    assert set(data.y.tolist()) == {"yes", "no"}
    assert all(isinstance(label, str) for label in data.y)
    reference = data.reference
    assert reference.uri == "file:people.csv"
    assert reference.sha256 == hashlib.sha256((data_root / "people.csv").read_bytes()).hexdigest()
    assert reference.row_count == 120


def test_parquet_loads_like_the_csv(data_root):
    from_csv = load(DatasetSpec(path="people.csv", target_column="bought"), data_root)
    from_parquet = load(DatasetSpec(path="people.parquet", target_column="bought"), data_root)
    assert from_parquet.feature_names == from_csv.feature_names
    assert from_parquet.categorical == from_csv.categorical
    np.testing.assert_array_equal(from_parquet.y, from_csv.y)
    np.testing.assert_allclose(from_parquet.X[:, :2].astype(float), from_csv.X[:, :2].astype(float))
    assert from_parquet.reference.uri == "file:people.parquet"


def test_numeric_features_only_give_a_float_matrix_and_int_labels(data_root):
    pq.write_table(
        pa.table(
            {
                "a": [1, 2, 3, None],
                "b": [0.5, 1.5, None, 2.0],
                "flag": [True, False, True, True],
                "y": [0, 1, 0, 1],
            }
        ),
        data_root / "numbers.pq",
    )
    data = load(
        DatasetSpec(path="numbers.pq", target_column="y", feature_columns=("b", "a", "flag")),
        data_root,
    )
    assert data.X.dtype == np.float64
    np.testing.assert_array_equal(data.X[:, 2], [1.0, 0.0, 1.0, 1.0])
    assert np.isnan(data.X[3, 1])
    assert np.isnan(data.X[2, 0])
    assert data.y.dtype == np.int64


def test_categorical_columns_override_the_types(data_root, write_csv):
    write_csv(
        data_root / "codes.csv",
        pa.table(
            {
                "zip": [10115, 75001, 10115, 75001],
                "size": ["1", "2.5", "3", ""],
                "y": [1.5, 2.5, 3.5, 4.5],
            }
        ),
    )
    data = load(
        DatasetSpec(path="codes.csv", target_column="y", categorical_columns=("zip",)), data_root
    )
    assert data.categorical == (True, False)
    assert data.X[:, 0].tolist() == ["10115", "75001", "10115", "75001"]
    assert data.X[:2, 1].tolist() == [1.0, 2.5]
    assert np.isnan(data.X[3, 1])
    assert data.y.dtype == np.float64


def test_text_in_a_numeric_column_is_bad_data(data_root, write_csv):
    write_csv(
        data_root / "text.csv", pa.table({"size": ["1", "big"], "colour": ["a", "b"], "y": [0, 1]})
    )
    with pytest.raises(TrainingFailed, match="'size' is not numeric") as caught:
        load(
            DatasetSpec(path="text.csv", target_column="y", categorical_columns=("colour",)),
            data_root,
        )
    assert caught.value.category == "bad_data"


@pytest.mark.parametrize(
    ("spec", "text"),
    [
        (DatasetSpec(path="people.csv", target_column="nope"), "target column 'nope'"),
        (
            DatasetSpec(
                path="people.csv", target_column="bought", feature_columns=("age", "height")
            ),
            "height",
        ),
        (
            DatasetSpec(path="people.csv", target_column="bought", feature_columns=("bought",)),
            "other than the target",
        ),
    ],
)
def test_missing_columns_are_bad_data(data_root, spec, text):
    with pytest.raises(TrainingFailed, match=text) as caught:
        load(spec, data_root)
    assert caught.value.category == "bad_data"


@pytest.mark.parametrize(
    ("name", "content", "text"),
    [
        ("empty.csv", b"a,y\n", "no rows"),
        ("broken.parquet", b"PAR1 not really", "cannot read file:broken.parquet as parquet"),
        ("ragged.csv", b"a,y\n1,2\n3,4,5\n", "cannot read file:ragged.csv as csv"),
        ("gaps.csv", b"a,y\n1,\n2,1\n", "missing values"),
    ],
)
def test_unreadable_or_empty_files_are_bad_data(data_root, name, content, text):
    (data_root / name).write_bytes(content)
    with pytest.raises(TrainingFailed, match=text) as caught:
        load(DatasetSpec(path=name, target_column="y"), data_root)
    assert caught.value.category == "bad_data"
    assert str(data_root) not in caught.value.message


def test_the_format_comes_from_the_spec_or_the_extension(data_root):
    (data_root / "people.data").write_bytes((data_root / "people.csv").read_bytes())
    with pytest.raises(DatasetFormatError, match="extension"):
        load(DatasetSpec(path="people.data", target_column="bought"), data_root)
    data = load(DatasetSpec(path="people.data", format="csv", target_column="bought"), data_root)
    assert data.reference.row_count == 120


# --- bundled datasets --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "rows", "features", "label_kind"),
    [
        ("iris", 150, 4, "i"),
        ("wine", 178, 13, "i"),
        ("breast_cancer", 569, 30, "i"),
        ("diabetes", 442, 10, "f"),
        ("digits", 1797, 64, "i"),
    ],
)
def test_bundled_datasets_load_with_their_feature_names(name, rows, features, label_kind, tmp_path):
    data = load(DatasetSpec(bundled=name), tmp_path)
    assert data.X.shape == (rows, features)
    assert data.X.dtype == np.float64
    assert data.y.dtype.kind == label_kind
    assert data.columns[-1] == "target"
    assert len(data.feature_names) == features
    assert data.reference.uri == f"sklearn:{name}"
    assert data.reference.row_count == rows
    assert len(data.reference.sha256) == 64


def test_a_bundled_dataset_hashes_the_same_every_time(tmp_path):
    first = load(DatasetSpec(bundled="iris"), tmp_path).reference.sha256
    datasets._bundled.cache_clear()
    assert load(DatasetSpec(bundled="iris"), tmp_path).reference.sha256 == first
    assert load(DatasetSpec(bundled="wine"), tmp_path).reference.sha256 != first


# --- describe ----------------------------------------------------------------------------------


def test_describe_summarises_every_column(data_root):
    info = describe(DatasetSpec(path="people.csv", target_column="bought"), data_root)
    assert info.names == ("age", "income", "city", "bought")
    assert info.row_count == 120
    assert info.uri == "file:people.csv"
    city, bought, age = info.column("city"), info.column("bought"), info.column("age")
    assert city.kind == "text"
    assert city.missing_count == 1
    assert city.distinct_count == 3
    assert not city.numeric_text
    assert bought.distinct_count == 2
    assert bought.smallest_class >= 1
    assert age.kind == "numeric"
    assert age.integral
    assert not info.column("income").integral
    assert info.column("income").missing_count == 1
    assert info.column("nope") is None


def test_describe_reads_a_file_once_until_it_changes(data_root, write_csv, people_table):
    spec = DatasetSpec(path="people.csv", target_column="bought")
    first = describe(spec, data_root)
    assert describe(spec, data_root) is first
    write_csv(data_root / "people.csv", people_table(rows=50))
    os.utime(data_root / "people.csv", ns=(1, 1))  # a new modification time, whatever the clock
    changed = describe(spec, data_root)
    assert changed.row_count == 50


def test_describe_knows_bundled_datasets(tmp_path):
    target = describe(DatasetSpec(bundled="diabetes"), tmp_path).column("target")
    assert target.kind == "numeric"
    assert target.distinct_count == 214
    assert describe(DatasetSpec(bundled="iris"), tmp_path).column("target").distinct_count == 3


@pytest.mark.parametrize("name", ["people.csv", "people.parquet"])
@pytest.mark.parametrize(
    ("limits", "setting"),
    [
        (datasets.DatasetLimits(max_rows=2), "--max-dataset-rows"),
        (datasets.DatasetLimits(max_columns=2), "--max-dataset-columns"),
        (datasets.DatasetLimits(max_decoded_bytes=16), "--max-dataset-decoded-bytes"),
    ],
)
def test_files_over_the_limits_are_bad_data_naming_the_limit(data_root, name, limits, setting):
    spec = DatasetSpec(path=name, target_column="bought")
    for read in (datasets.load, datasets.describe):
        with pytest.raises(TrainingFailed, match=setting) as caught:
            read(spec, data_root, limits)
        assert caught.value.category == "bad_data"
