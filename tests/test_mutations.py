"""`make mutate` stays runnable: every mutation of tools/mutate.py still finds its text exactly
once in the code and names tests that exist, so a refactor that moves a guarded line shows up
here rather than as an ERROR row the next time someone runs the mutations."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent


def _mutate() -> ModuleType:
    spec = importlib.util.spec_from_file_location("mutate", ROOT / "tools" / "mutate.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up while defined
    spec.loader.exec_module(module)
    return module


def test_every_mutation_applies_once_and_names_existing_tests() -> None:
    mutations = _mutate().MUTATIONS
    assert len({m.name for m in mutations}) == len(mutations)
    for m in mutations:
        assert (ROOT / m.path).read_text().count(m.old) == 1, m.name
        assert m.old != m.new, m.name
        for selection in m.tests:
            file, _, test = selection.partition("::")
            assert (ROOT / file).is_file(), (m.name, selection)
            name = test.split("[")[0]
            assert not name or f"def {name}(" in (ROOT / file).read_text(), (m.name, selection)


def test_the_issues_mutations_are_listed() -> None:
    names = {m.name for m in _mutate().MUTATIONS}
    assert {
        "audit-archive-version-removed",
        "audit-update-version-removed",
        "serving-download-digest-unchecked",
        "serving-cache-rehash-skipped",
        "serving-smoke-test-skipped",
        "ks-threshold-0.01",
        "ks-threshold-0.10",
    } <= names
