"""Fixtures of the training engine tests: a data root with small CSV and Parquet files.

`people.csv` (and its Parquet twin `people.parquet`) has a numeric `age` and `income` (with a
missing income), a categorical `city` (with a missing city) and a binary string target `bought`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

CITIES = ("berlin", "paris", "rome")


def _people_table(rows: int = 120, seed: int = 0) -> pa.Table:
    rng = np.random.default_rng(seed)
    age = rng.integers(18, 80, rows)
    income = rng.normal(50_000, 15_000, rows).round(2)
    city = rng.choice(CITIES, rows)
    score = (age - 45) / 20 + (income - 50_000) / 20_000 + (city == "paris") * 1.5
    bought = np.where(score + rng.normal(0, 0.5, rows) > 0.3, "yes", "no")
    income_column = pa.array(income.tolist(), mask=np.arange(rows) == 3)
    city_column = pa.array(city.tolist(), mask=np.arange(rows) == 5)
    return pa.table({"age": age, "income": income_column, "city": city_column, "bought": bought})


def _write_csv(path: Path, table: pa.Table) -> Path:
    """A CSV with a header row; missing values as empty fields."""
    lines = [",".join(table.column_names)]
    for row in table.to_pylist():
        lines.append(",".join("" if v is None else str(v) for v in row.values()))
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture
def data_root(tmp_path: Path) -> Path:
    root = tmp_path / "data"
    root.mkdir()
    table = _people_table()
    _write_csv(root / "people.csv", table)
    pq.write_table(table, root / "people.parquet")
    return root


@pytest.fixture
def write_csv():
    """``write_csv(path, table)``: a pyarrow table as a CSV file (missing values empty)."""
    return _write_csv


@pytest.fixture
def people_table():
    """``people_table(rows=120, seed=0)``: the table behind people.csv."""
    return _people_table
