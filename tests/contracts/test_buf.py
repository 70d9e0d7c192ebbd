"""buf lint, format and breaking-change checks on protos/, against the committed baseline image."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from support.ci import unavailable

REPO = Path(__file__).resolve().parents[2]
PROTOS = REPO / "protos"
BASELINE = PROTOS / "baseline.binpb"


@pytest.fixture(scope="module")
def buf() -> str:
    """The buf executable: PATH first, then the copy `make tools` installs under .tools/."""
    found = shutil.which("buf")
    if found:
        return found
    local = REPO / ".tools" / "node" / "node_modules" / ".bin" / "buf"
    if not local.exists():
        unavailable("buf not found on PATH or in .tools/ (run `make tools`)")
    return str(local)


def run_buf(buf: str, *args: str, cwd: Path = PROTOS) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [buf, *args], cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )


def test_lint_is_clean(buf: str) -> None:
    result = run_buf(buf, "lint")
    assert result.returncode == 0, result.stdout + result.stderr


def test_files_are_formatted(buf: str) -> None:
    result = run_buf(buf, "format", "--diff", "--exit-code")
    assert result.returncode == 0, "run `buf format -w` in protos/:\n" + result.stdout


def test_no_breaking_change_against_baseline(buf: str) -> None:
    assert BASELINE.exists(), "protos/baseline.binpb is missing (see protos/README.md)"
    result = run_buf(buf, "breaking", "--against", str(BASELINE))
    assert result.returncode == 0, result.stdout + result.stderr


def test_renumbered_field_breaks(buf: str, tmp_path: Path) -> None:
    copy = tmp_path / "protos"
    shutil.copytree(PROTOS, copy, ignore=shutil.ignore_patterns("*.binpb"))
    proto = copy / "slipway" / "registry" / "v1" / "model.proto"
    text = proto.read_text()
    renumbered, count = re.subn(r"string description = 2 ", "string description = 12 ", text)
    assert count == 1, "the field this test renumbers has moved; pick another one"
    proto.write_text(renumbered)

    result = run_buf(buf, "breaking", "--against", str(BASELINE), cwd=copy)

    assert result.returncode != 0, "renumbering a field was not reported as breaking"
    output = result.stdout + result.stderr
    assert "slipway/registry/v1/model.proto" in output, output
    assert '"description"' in output, output
