"""Fixtures of the monitoring tests: a version of a model trained on a CSV with numeric, missing
and categorical values (support.training.write_csv), registered in a real registry, and traffic
drawn from the same generator with another seed."""

from __future__ import annotations

from pathlib import Path

import pytest

from support.monitoring import Fruit
from support.registry import Registry
from support.serving import fruit_spec, register, train_locally
from support.training import write_csv


@pytest.fixture
async def fruit(registry: Registry, tmp_path: Path, service_token_file: Path) -> Fruit:
    """``models/fruit`` version 1 (alias production), trained on 1500 rows."""
    root = tmp_path / "fruit-data"
    root.mkdir()
    write_csv(root / "fruit.csv", rows=1500, seed=0)
    trained = train_locally(fruit_spec(), tmp_path / "fruit-model", root)
    number = await register(registry, service_token_file, "fruit", trained, alias="production")
    return Fruit(trained, trained.model(), f"models/fruit/versions/{number}")
