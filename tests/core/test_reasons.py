"""The catalogue of ErrorInfo reasons: its shape, its page in docs/, and that the code uses it.

The code is read, not run: an AST scan of ``services/`` finds every reason handed to an error
(``reason=...`` of an error class, ``for_field`` or ``simple_status``, the positional reason of a
module's helper that forwards its ``reason`` parameter to one, and ``default_reason`` of error
classes) and checks it against ``slipway.core.reasons.Reason``.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

import grpc
import pytest

from slipway.core import errors
from slipway.core.reasons import VARIOUS, Reason
from slipway.core.reasons_doc import render

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ROOT / "services"
UPPER_SNAKE = re.compile(r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*")

# The status code of each error class of slipway.core.errors, by class name.
_BASE_KINDS = {
    cls.__name__: cls.kind.value
    for cls in vars(errors).values()
    if isinstance(cls, type) and issubclass(cls, errors.SlipwayError)
}


@dataclass(frozen=True)
class Use:
    """One reason given to an error: where, which, with which status code (if known)."""

    path: str
    line: int
    reason: str
    literal: bool  # a string literal rather than a Reason member
    code: str | None  # canonical status code, None when the scan cannot tell

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.reason}"


def _sources() -> dict[str, ast.Module]:
    return {
        path.relative_to(ROOT).as_posix(): ast.parse(path.read_text(encoding="utf-8"))
        for path in sorted(SERVICES.rglob("*.py"))
        if "migrations" not in path.parts
    }


def _error_kinds(trees: dict[str, ast.Module]) -> dict[str, str]:
    """Class name -> status code for the error tree and its subclasses anywhere in services/."""
    kinds = dict(_BASE_KINDS)
    classes = [n for tree in trees.values() for n in ast.walk(tree) if isinstance(n, ast.ClassDef)]
    changed = True
    while changed:  # subclasses of subclasses: until nothing new is learnt
        changed = False
        for cls in classes:
            if cls.name in kinds:
                continue
            bases = [b.id for b in cls.bases if isinstance(b, ast.Name)]
            inherited = [kinds[b] for b in bases if b in kinds]
            if inherited:
                kinds[cls.name] = _own_kind(cls) or inherited[0]
                changed = True
    return kinds


def _own_kind(cls: ast.ClassDef) -> str | None:
    for stmt in cls.body:
        if (
            isinstance(stmt, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == "kind" for t in stmt.targets)
            and isinstance(stmt.value, ast.Attribute)
        ):
            return stmt.value.attr
    return None


def _reason_of(node: ast.expr) -> tuple[str, bool] | None:
    """The reason an expression names: a string literal, or ``Reason.X``."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value, True
    if (
        isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id == "Reason"
    ):
        return node.attr, False
    return None


def _callee(call: ast.Call) -> str:
    func = call.func
    if isinstance(func, ast.Attribute) and func.attr == "for_field":
        func = func.value  # InvalidArgumentError.for_field -> InvalidArgumentError
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else ""


def _code_of_call(call: ast.Call, kinds: dict[str, str], enclosing: str | None) -> str | None:
    name = _callee(call)
    if name in kinds:
        return kinds[name]
    if name == "__init__" and enclosing in kinds:  # super().__init__(..., reason=...)
        return kinds[enclosing]
    if name == "simple_status" and call.args and isinstance(call.args[0], ast.Attribute):
        return call.args[0].attr  # grpc.StatusCode.INTERNAL
    return None


def _is_error_call(call: ast.Call, kinds: dict[str, str], enclosing: str | None) -> bool:
    name = _callee(call)
    if name == "__init__":
        return enclosing in kinds
    return name in kinds or name in ("simple_status", "_status")


def _helpers(tree: ast.Module, kinds: dict[str, str]) -> dict[str, tuple[int, str | None]]:
    """Module functions that forward a ``reason`` parameter to an error: name -> (position of
    that parameter, status code of the error they build)."""
    found: dict[str, tuple[int, str | None]] = {}
    for fn in tree.body:
        if not isinstance(fn, ast.FunctionDef):
            continue
        names = [a.arg for a in fn.args.args]
        if "reason" not in names:
            continue
        for call in (n for n in ast.walk(fn) if isinstance(n, ast.Call)):
            forwards = any(
                k.arg == "reason" and isinstance(k.value, ast.Name) and k.value.id == "reason"
                for k in call.keywords
            )
            if forwards and _is_error_call(call, kinds, None):
                found[fn.name] = (names.index("reason"), _code_of_call(call, kinds, None))
    return found


def _uses_in(path: str, tree: ast.Module, kinds: dict[str, str]) -> list[Use]:
    helpers = _helpers(tree, kinds)
    uses: list[Use] = []

    def add(node: ast.expr, code: str | None) -> None:
        named = _reason_of(node)
        if named is not None:
            uses.append(Use(path, node.lineno, named[0], named[1], code))

    def visit(node: ast.AST, enclosing: str | None) -> None:
        if isinstance(node, ast.ClassDef):
            enclosing = node.name
            for stmt in node.body:
                target = stmt.target if isinstance(stmt, ast.AnnAssign) else None
                if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
                    target = stmt.targets[0]
                value = getattr(stmt, "value", None)
                is_default = isinstance(target, ast.Name) and target.id == "default_reason"
                if is_default and value is not None and node.name in kinds:
                    add(value, kinds[node.name])
        if isinstance(node, ast.Call):
            name = _callee(node)
            if name in helpers:
                position, code = helpers[name]
                if len(node.args) > position:
                    add(node.args[position], code)
                for keyword in node.keywords:
                    if keyword.arg == "reason":
                        add(keyword.value, code)
            elif _is_error_call(node, kinds, enclosing):
                for keyword in node.keywords:
                    if keyword.arg == "reason":
                        add(keyword.value, _code_of_call(node, kinds, enclosing))
        for child in ast.iter_child_nodes(node):
            visit(child, enclosing)

    visit(tree, None)
    return uses


@pytest.fixture(scope="module")
def uses() -> list[Use]:
    trees = _sources()
    kinds = _error_kinds(trees)
    return [use for path, tree in trees.items() for use in _uses_in(path, tree, kinds)]


def test_members_are_upper_snake_and_their_own_name() -> None:
    for reason in Reason:
        assert UPPER_SNAKE.fullmatch(reason.value), reason.value
        assert reason.name == reason.value
        assert Reason(reason.value) is reason


def test_members_are_unique() -> None:
    # A repeated value would make the later member a silent alias of the first.
    values = [reason.value for reason in Reason.__members__.values()]
    assert len(values) == len(set(values)) == len(Reason)


def test_every_member_has_a_code_and_a_one_line_meaning() -> None:
    codes = {code.name for code in grpc.StatusCode} - {"OK"}
    for reason in Reason:
        assert reason.code in codes or reason.code == VARIOUS, reason
        assert reason.meaning.strip(), reason
        assert "\n" not in reason.meaning, reason


def test_error_classes_default_to_their_own_code() -> None:
    for name, code in _BASE_KINDS.items():
        assert getattr(errors, name).default_reason == code


def test_the_scan_finds_reasons(uses: list[Use]) -> None:
    # Guards the scan itself: if it stopped seeing call sites, the tests below would pass vacuously.
    found = {use.reason for use in uses}
    assert {"TOKEN_MISSING", "INVALID_NAME", "MODEL_ID_REQUIRED", "ARTIFACT_TOO_LARGE"} <= found
    assert {"INVALID_SHAPE", "INTERNAL", "DUPLICATE_REQUEST"} <= found
    assert len(uses) > 150


def test_every_reason_in_the_code_is_in_the_catalogue(uses: list[Use]) -> None:
    unknown = [str(use) for use in uses if use.reason not in Reason.__members__]
    assert not unknown, "add these reasons to slipway.core.reasons.Reason:\n" + "\n".join(unknown)


def test_reasons_are_members_never_literals(uses: list[Use]) -> None:
    literals = [str(u) for u in uses if u.literal]
    assert not literals, "use Reason members instead of these literals:\n" + "\n".join(literals)


def test_each_reason_is_sent_with_its_catalogued_code(uses: list[Use]) -> None:
    wrong = [
        f"{use} is sent as {use.code}, catalogued as {Reason[use.reason].code}"
        for use in uses
        if use.code is not None
        and use.reason in Reason.__members__
        and Reason[use.reason].code not in (use.code, VARIOUS)
    ]
    assert not wrong, "\n".join(wrong)


def test_docs_errors_md_is_current() -> None:
    page = ROOT / "docs" / "errors.md"
    assert page.read_text(encoding="utf-8") == render(), "docs/errors.md is stale: run make docs"
