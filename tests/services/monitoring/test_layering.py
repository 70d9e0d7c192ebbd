"""Monitoring's domain speaks neither the wire nor SQL: no module under ``monitoring/domain``
imports grpc, a generated ``*_pb2`` module, or SQLAlchemy beyond the ``Session`` type."""

from __future__ import annotations

import ast
from pathlib import Path

import slipway.services.monitoring.domain as domain

ALLOWED_SQLALCHEMY = {("sqlalchemy.orm", "Session")}


def _imports(path: Path) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.extend((alias.name, "") for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.extend((node.module, alias.name) for alias in node.names)
    return found


def test_the_domain_imports_no_wire_type_and_no_query() -> None:
    files = sorted(Path(domain.__file__).parent.glob("*.py"))
    assert files
    offending = [
        f"{path.name}: {module} {name}".strip()
        for path in files
        for module, name in _imports(path)
        if module == "grpc"
        or module.startswith("grpc.")
        or module.endswith("_pb2")
        or name.endswith("_pb2")
        or (module.startswith("sqlalchemy") and (module, name) not in ALLOWED_SQLALCHEMY)
    ]
    assert offending == []
