"""The generated Python API in clients/python is exactly what `make protos` produces now."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PROTOS = REPO / "protos"
CLIENT = REPO / "clients" / "python"
BIN = Path(sys.executable).parent


def generated_dirs() -> list[str]:
    """The top-level packages `make protos` owns, as the Makefile lists them."""
    makefile = (REPO / "Makefile").read_text()
    match = re.search(r"^GENERATED_DIRS\s*:=\s*(.+)$", makefile, re.MULTILINE)
    assert match, "Makefile has no GENERATED_DIRS"
    return match.group(1).split()


def generate(out: Path) -> None:
    """The protoc invocation of the Makefile's `protos` target, into `out`."""
    protos = sorted(p.relative_to(REPO).as_posix() for p in (PROTOS / "slipway").rglob("*.proto"))
    subprocess.run(
        [
            sys.executable,
            "-m",
            "grpc_tools.protoc",
            "-Iprotos",
            f"--plugin=protoc-gen-mypy={BIN / 'protoc-gen-mypy'}",
            f"--plugin=protoc-gen-mypy_grpc={BIN / 'protoc-gen-mypy_grpc'}",
            f"--python_out={out}",
            f"--grpc_python_out={out}",
            f"--mypy_out={out}",
            f"--mypy_grpc_out={out}",
            *protos,
        ],
        cwd=REPO,
        check=True,
        capture_output=True,
        text=True,
        timeout=300,
    )
    for name in generated_dirs():
        package = out / "slipway" / name
        for directory in [package, *(p for p in package.rglob("*") if p.is_dir())]:
            (directory / "__init__.py").touch()
        (package / "py.typed").touch()


def snapshot(root: Path) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    for name in generated_dirs():
        for path in (root / "slipway" / name).rglob("*"):
            if path.is_file() and "__pycache__" not in path.parts:
                files[path.relative_to(root).as_posix()] = path.read_bytes()
    return files


def test_every_proto_domain_is_generated() -> None:
    domains = {p.name for p in (PROTOS / "slipway").iterdir() if p.is_dir()}
    assert domains <= set(generated_dirs()), "add the new domain to GENERATED_DIRS in the Makefile"


def test_committed_code_is_fresh(tmp_path: Path) -> None:
    generate(tmp_path)
    fresh = snapshot(tmp_path)
    committed = snapshot(CLIENT)

    missing = sorted(fresh.keys() - committed.keys())
    stale = sorted(n for n in fresh.keys() & committed.keys() if fresh[n] != committed[n])
    extra = sorted(committed.keys() - fresh.keys())
    problems = [
        *(f"missing: {name}" for name in missing),
        *(f"stale: {name}" for name in stale),
        *(f"no longer generated: {name}" for name in extra),
    ]
    assert not problems, "run `make protos` and commit the result:\n" + "\n".join(problems)
