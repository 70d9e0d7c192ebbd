"""The arrows between packages that must never exist, checked on the imports of every module.

The layering is described in docs/architecture.md. This test reads each ``.py`` file under
``services/`` and ``clients/python/`` with :mod:`ast` (nothing is imported, so a module that
fails to import still gets checked) and applies one rule per forbidden arrow. An import counts
wherever it appears: at the top, inside a function, or under ``TYPE_CHECKING`` (a type-only
dependency still couples the layers).

There is no allowlist: every rule holds for the whole tree.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# Each source root holds the top-level `slipway` namespace package.
SOURCE_ROOTS = (REPO / "services", REPO / "clients" / "python")
# Alembic revisions are generated scripts that only speak SQL; they are not a layer.
SKIPPED_DIRS = ("services/slipway/schema/migrations/versions",)

SERVICES = "slipway.services"
# What a client user must never need installed: everything server-side.
SERVER_ONLY = ("slipway.services", "slipway.core", "slipway.ml", "slipway.schema", "slipway.cli")
# The one SQLAlchemy name a domain may hold: the session of the unit of work it opens.
DOMAIN_SQLALCHEMY_ALLOWED = frozenset({"sqlalchemy.orm.Session", "sqlalchemy.Session"})


@dataclass(frozen=True)
class Import:
    """One name a module imports: ``target`` is the full dotted name (``from a import b`` gives
    ``a.b``, whether ``b`` is a module or an attribute; the rules below work either way)."""

    path: str  # repository-relative, POSIX separators
    module: str  # dotted name of the importing module
    target: str
    line: int


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def resolve_relative(module: str, is_package: bool, level: int, name: str | None) -> str:
    """The absolute name of ``from <level dots><name> import ...`` written in ``module``."""
    package = module.split(".") if is_package else module.split(".")[:-1]
    base = package[: len(package) - (level - 1)] if level > 1 else package
    return ".".join([*base, name] if name else base)


def imports_in(path: Path, root: Path) -> Iterator[Import]:
    module = module_name(path, root)
    rel = path.relative_to(REPO).as_posix()
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=rel)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(rel, module, alias.name, node.lineno)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = resolve_relative(module, path.name == "__init__.py", node.level, node.module)
            for alias in node.names:
                target = base if alias.name == "*" else f"{base}.{alias.name}"
                yield Import(rel, module, target, node.lineno)


def all_imports() -> list[Import]:
    found: list[Import] = []
    for root in SOURCE_ROOTS:
        for path in sorted(root.rglob("*.py")):
            rel = path.relative_to(REPO).as_posix()
            if path.name.endswith(("_pb2.py", "_pb2_grpc.py")) or rel.startswith(SKIPPED_DIRS):
                continue
            found.extend(imports_in(path, root))
    return found


def within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def service_of(name: str) -> str | None:
    """``registry`` for ``slipway.services.registry.api.servicer``; None outside a service."""
    parts = name.split(".")
    return parts[2] if len(parts) > 2 and within(name, SERVICES) else None


def is_generated(target: str) -> bool:
    return any(part.endswith(("_pb2", "_pb2_grpc")) for part in target.split("."))


# Each rule returns why an import breaks it, or None.
Rule = Callable[[Import], str | None]


def domain_is_plain(imp: Import) -> str | None:
    parts = imp.module.split(".")
    if not (within(imp.module, SERVICES) and len(parts) > 3 and parts[3] == "domain"):
        return None
    top = imp.target.split(".")[0]
    if top == "grpc" or top.startswith("grpc_"):
        return "a domain module imports gRPC; gRPC belongs to api/ (servicer) and peers/"
    if is_generated(imp.target):
        return (
            "a domain module imports a generated protobuf module; map messages to domain "
            "objects in api/converters.py (or in the peer adapter) instead"
        )
    if top == "sqlalchemy" and imp.target not in DOMAIN_SQLALCHEMY_ALLOWED:
        return (
            "a domain module uses SQLAlchemy beyond the unit of work's Session; build queries "
            "(and catch database errors) in storage/ behind the repository Protocol"
        )
    return None


def storage_below_api(imp: Import) -> str | None:
    if "storage" not in imp.module.split("."):
        return None
    if within(imp.target, "slipway") and "api" in imp.target.split("."):
        return "a storage module imports an api/ module; storage sits below the servicer"
    return None


def core_knows_no_service(imp: Import) -> str | None:
    if not within(imp.module, "slipway.core"):
        return None
    for package in (SERVICES, "slipway.ml", "slipway.cli"):
        if within(imp.target, package):
            return f"slipway.core imports {package}; the shared core must not know its users"
    # The schema package imports every service's tables; core may only reach its migration
    # runner, and only from the process entry point that checks the schema at start-up.
    if within(imp.target, "slipway.schema") and not (
        imp.module == "slipway.core.bootstrap" and within(imp.target, "slipway.schema.migrate")
    ):
        return (
            "slipway.core imports slipway.schema (which imports every service's tables); only "
            "core/bootstrap.py may use slipway.schema.migrate"
        )
    return None


def ml_knows_no_service(imp: Import) -> str | None:
    if not within(imp.module, "slipway.ml"):
        return None
    for package in (SERVICES, "slipway.schema", "slipway.cli"):
        if within(imp.target, package):
            return f"slipway.ml imports {package}; ML knowledge is shared by services, not theirs"
    return None


# A package served inside another service's process, reading that service's data in process:
# it may import its host, never the reverse (only the host's entry point wires it in).
HOSTED_BY = {"lineage": "registry"}


def services_are_independent(imp: Import) -> str | None:
    mine, theirs = service_of(imp.module), service_of(imp.target)
    if HOSTED_BY.get(mine or "") == theirs:
        return None
    if theirs is not None and HOSTED_BY.get(theirs) == mine and imp.module.endswith(".main"):
        return None
    if mine is not None and theirs is not None and mine != theirs:
        return (
            f"service {mine!r} imports service {theirs!r}; services talk over gRPC through "
            "their peers/ adapters, and share only slipway.core, slipway.ml and the client"
        )
    return None


# The registry contract and code stand alone, so that training (and monitoring) can use the
# registry without a cycle: the lineage report, which needs training, monitoring and the audit
# log, is its own package (`slipway.lineage.v1`, `slipway.services.lineage`). The one call the
# registry makes to training, the provenance check of an upload, goes through peers/.
REGISTRY = "slipway.services.registry"
REGISTRY_NEVER = ("slipway.monitoring", "slipway.lineage", "slipway.services.lineage")


def registry_stands_alone(imp: Import) -> str | None:
    if not within(imp.module, REGISTRY) or imp.module == f"{REGISTRY}.main":
        return None
    for package in REGISTRY_NEVER:
        if within(imp.target, package):
            return (
                f"the registry imports {package}; the lineage report (and whatever it needs "
                "from monitoring) lives in slipway.services.lineage, wired in by registry/main.py"
            )
    if within(imp.target, "slipway.training") and not within(imp.module, f"{REGISTRY}.peers"):
        return "the registry uses training's API outside peers/ (the provenance adapter)"
    return None


def client_is_standalone(imp: Import) -> str | None:
    if not imp.path.startswith("clients/python/"):
        return None
    for package in SERVER_ONLY:
        if within(imp.target, package):
            return f"the client distribution imports server-side {package}; it ships alone"
    return None


RULES: dict[str, Rule] = {
    "domain-is-plain": domain_is_plain,
    "storage-below-api": storage_below_api,
    "core-knows-no-service": core_knows_no_service,
    "ml-knows-no-service": ml_knows_no_service,
    "services-are-independent": services_are_independent,
    "registry-stands-alone": registry_stands_alone,
    "client-is-standalone": client_is_standalone,
}


@dataclass(frozen=True)
class Violation:
    rule: str
    imp: Import
    why: str

    @property
    def key(self) -> tuple[str, str]:
        return (self.imp.path, self.imp.target)

    def __str__(self) -> str:
        return f"{self.imp.path}:{self.imp.line} imports {self.imp.target}: {self.why}"


def find_violations(imports: list[Import]) -> list[Violation]:
    found = []
    for imp in imports:
        for name, rule in RULES.items():
            why = rule(imp)
            if why is not None:
                found.append(Violation(name, imp, why))
    return found


@pytest.fixture(scope="module")
def violations() -> list[Violation]:
    imports = all_imports()
    # A wrong root would find nothing and pass; the tree has hundreds of imports.
    assert len({imp.path for imp in imports}) > 100, "layering test found too few modules"
    return find_violations(imports)


@pytest.mark.parametrize("rule", sorted(RULES))
def test_no_violation(rule, violations):
    broken = [v for v in violations if v.rule == rule]
    assert not broken, f"layering rule {rule!r} broken:\n" + "\n".join(map(str, broken))


@pytest.mark.parametrize(
    ("path", "module", "target", "rule"),
    [
        ("services/slipway/services/x/domain/a.py", "slipway.services.x.domain.a", "grpc", "d"),
        ("services/slipway/services/x/domain/a.py", "slipway.services.x.domain.a",
         "slipway.x.v1.thing_pb2", "d"),
        ("services/slipway/services/x/domain/a.py", "slipway.services.x.domain.a",
         "sqlalchemy.select", "d"),
        ("services/slipway/services/x/storage/a.py", "slipway.services.x.storage.a",
         "slipway.services.x.api.converters", "s"),
        ("services/slipway/core/a.py", "slipway.core.a", "slipway.services.x", "c"),
        ("services/slipway/core/a.py", "slipway.core.a", "slipway.schema.metadata", "c"),
        ("services/slipway/services/x/api/a.py", "slipway.services.x.api.a",
         "slipway.services.y.domain", "i"),
        ("clients/python/slipway/client/a.py", "slipway.client.a", "slipway.core.errors", "l"),
        ("services/slipway/services/registry/api/a.py", "slipway.services.registry.api.a",
         "slipway.services.lineage.domain.lineage", "i"),
        ("services/slipway/services/registry/api/a.py", "slipway.services.registry.api.a",
         "slipway.monitoring.v1.alert_pb2", "r"),
        ("services/slipway/services/registry/api/a.py", "slipway.services.registry.api.a",
         "slipway.lineage.v1.lineage_report_pb2", "r"),
        ("services/slipway/services/registry/api/a.py", "slipway.services.registry.api.a",
         "slipway.training.v1.training_job_pb2", "r"),
    ],
)  # fmt: skip
def test_each_rule_catches_its_arrow(path, module, target, rule):
    """The rules themselves: each forbidden arrow, written once, is reported."""
    rules = {"d": domain_is_plain, "s": storage_below_api, "c": core_knows_no_service,
             "i": services_are_independent, "l": client_is_standalone,
             "r": registry_stands_alone}  # fmt: skip
    assert rules[rule](Import(path, module, target, 1)) is not None


@pytest.mark.parametrize(
    ("module", "target"),
    [
        ("slipway.services.x.domain.a", "sqlalchemy.orm.Session"),
        ("slipway.services.x.domain.a", "slipway.services.x.storage.repository"),
        ("slipway.core.bootstrap", "slipway.schema.migrate.ensure_schema_current"),
        ("slipway.services.x.api.a", "slipway.core.errors"),
        ("slipway.services.lineage.domain.lineage", "slipway.services.registry.domain.service"),
        ("slipway.services.registry.main", "slipway.services.lineage.api.servicer"),
        ("slipway.services.registry.peers.training", "slipway.training.v1.training_service_pb2"),
    ],
)
def test_allowed_arrows_pass(module, target):
    path = "services/" + module.replace(".", "/") + ".py"
    imp = Import(path, module, target, 1)
    assert [name for name, rule in RULES.items() if rule(imp)] == []


def test_relative_imports_resolve():
    assert resolve_relative("slipway.a.b", False, 1, "c") == "slipway.a.c"
    assert resolve_relative("slipway.a", True, 1, "c") == "slipway.a.c"
    assert resolve_relative("slipway.a.b", False, 2, None) == "slipway"


def test_generated_registry_package_imports_no_other_domain():
    """The registry contract itself depends on nothing but the common types: a generated
    ``slipway.registry.v1`` importing training, monitoring or audit would make every user of
    the registry (training included) load them, and no training code could import it back."""
    from slipway.registry.v1 import registry_service_pb2

    seen, pending = set(), [registry_service_pb2.DESCRIPTOR]
    while pending:
        file = pending.pop()
        if file.name in seen:
            continue
        seen.add(file.name)
        pending.extend(file.dependencies)
    ours = {name.split("/")[1] for name in seen if name.startswith("slipway/")}
    assert ours == {"registry", "common"}, sorted(seen)
