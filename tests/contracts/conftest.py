"""The contract tests that run against a live registry use the service tests' fixtures
(`tokens`, `registry`, `start_training`, ...): loaded here from their conftest files, not copied."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

_SERVICES = Path(__file__).resolve().parents[1] / "services"


def _load(path: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_common = _load(_SERVICES / "conftest.py", "service_fixtures_for_contracts")
_registry = _load(_SERVICES / "registry" / "conftest.py", "registry_fixtures_for_contracts")

tokens_file = _common.tokens_file
tokens = _common.tokens
service_token_file = _common.service_token_file
data_root = _common.data_root
start_training = _common.start_training
start_registry = _registry.start_registry
registry = _registry.registry
