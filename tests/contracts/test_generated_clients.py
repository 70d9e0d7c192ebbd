"""The Go, Java and TypeScript clients: generated from protos/ by buf.gen.yaml, fresh, and building.

The freshness tests regenerate every language into a temporary folder with the pinned plugins of
`make codegen-tools` and compare with what is committed. The build tests compile the committed
code offline with each language's own toolchain (`make codegen-tools` fetches the dependencies
first): `go build` and `go vet`, `mvn -o compile`, `tsc --noEmit`.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from support.ci import unavailable

REPO = Path(__file__).resolve().parents[2]
PROTOS = REPO / "protos"
TOOLS = REPO / ".tools"
BUF = TOOLS / "node" / "node_modules" / ".bin" / "buf"
PLUGINS = [
    TOOLS / "go" / "bin" / "protoc-gen-go",
    TOOLS / "go" / "bin" / "protoc-gen-go-grpc",
    TOOLS / "java" / "protoc",
    TOOLS / "java" / "protoc-gen-grpc-java",
    TOOLS / "node" / "node_modules" / ".bin" / "protoc-gen-es",
]
GO = REPO / "clients" / "go"
JAVA = REPO / "clients" / "java"
TS = REPO / "clients" / "ts"

# Where each language's generated code lies, relative to the repository (or a generation folder).
GENERATED = {
    "go": ("clients/go", "*.pb.go"),
    "java": ("clients/java/src/main/java", "*.java"),
    "ts": ("clients/ts/src", "*.ts"),
}


def snapshot(root: Path, language: str) -> dict[str, bytes]:
    folder, pattern = GENERATED[language]
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in (root / folder).rglob(pattern)
        if path.is_file()
    }


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every language generated afresh by `buf generate` into a temporary folder."""
    missing = [str(p.relative_to(REPO)) for p in [BUF, *PLUGINS] if not p.exists()]
    if missing:
        unavailable(f"code generators missing: {', '.join(missing)} (run `make codegen-tools`)")
    out = tmp_path_factory.mktemp("generated")
    # The same two runs as `make protos`: Slipway's protos for every language, then the vendored
    # googleapis files for TypeScript only.
    for template in ("buf.gen.yaml", "buf.gen.googleapis.yaml"):
        result = subprocess.run(
            [str(BUF), "generate", "--template", template, "-o", str(out)],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        assert result.returncode == 0, template + ": " + result.stdout + result.stderr
    return out


@pytest.mark.parametrize("language", sorted(GENERATED))
def test_committed_code_is_fresh(generated: Path, language: str) -> None:
    fresh = snapshot(generated, language)
    committed = snapshot(REPO, language)
    assert fresh, f"buf generated no {language} code"

    problems = [
        *(f"missing: {name}" for name in sorted(fresh.keys() - committed.keys())),
        *(
            f"stale: {name}"
            for name in sorted(fresh.keys() & committed.keys())
            if fresh[name] != committed[name]
        ),
        *(f"no longer generated: {name}" for name in sorted(committed.keys() - fresh.keys())),
    ]
    assert not problems, "run `make protos` and commit the result:\n" + "\n".join(problems)


def test_protos_name_no_language_packages() -> None:
    """Import paths are decided once, in buf.gen.yaml's managed mode, not in the .proto files."""
    offenders = [
        f"{path.relative_to(REPO)}: {match.group(0)}"
        for path in sorted((PROTOS / "slipway").rglob("*.proto"))
        for match in re.finditer(r"option\s+(go_package|java_\w+)\s*=[^;]*;", path.read_text())
    ]
    assert not offenders, "\n".join(offenders)


def test_every_proto_package_has_its_own_go_package() -> None:
    template = (REPO / "buf.gen.yaml").read_text()
    folders = sorted(
        {p.parent.relative_to(PROTOS).as_posix() for p in PROTOS.glob("slipway/*/*/*.proto")}
    )
    missing = [f for f in folders if not re.search(rf"path: {re.escape(f)}\n\s+value: ", template)]
    assert not missing, f"add a go_package override to buf.gen.yaml for: {missing}"


def test_googleapis_come_from_google_in_go_and_java() -> None:
    """The vendored google/rpc and google/api protos are generated for TypeScript only."""
    assert not list(GO.rglob("google")), "googleapis generated into clients/go"
    assert not list((JAVA / "src").rglob("google")), "googleapis generated into clients/java"
    assert "<artifactId>proto-google-common-protos</artifactId>" in (JAVA / "pom.xml").read_text()
    assert "google.golang.org/genproto/googleapis/api " in (GO / "go.mod").read_text()
    assert (TS / "src" / "google" / "rpc" / "status_pb.ts").is_file()
    assert (TS / "src" / "google" / "api" / "field_behavior_pb.ts").is_file()
    assert (TS / "src" / "google" / "api" / "resource_pb.ts").is_file()
    # The annotations stay in the descriptors Go embeds (a plugin's `exclude_types` strips them).
    assert (
        "google.golang.org/genproto/googleapis/api/annotations"
        in (GO / "registry" / "v1" / "model.pb.go").read_text()
    )


def test_open_inference_protocol_keeps_its_wire_names_under_slipway_paths() -> None:
    go_stub = (GO / "inference" / "v2" / "grpc_service_grpc.pb.go").read_text()
    assert "package inferencev2" in go_stub
    assert '"/inference.GRPCInferenceService/ModelInfer"' in go_stub

    java_stub = JAVA / "src/main/java/dev/slipway/inference/v2/GRPCInferenceServiceGrpc.java"
    text = java_stub.read_text()
    assert "package dev.slipway.inference.v2;" in text
    assert 'SERVICE_NAME = "inference.GRPCInferenceService"' in text

    ts = (TS / "src" / "slipway" / "inference" / "v2" / "grpc_service_pb.ts").read_text()
    assert "@generated from service inference.GRPCInferenceService" in ts


def test_only_the_inference_package_links_the_open_inference_protocol() -> None:
    """Go registers proto names globally: a second copy of `inference.*` (Triton's) panics at start.

    Slipway's other packages must never import the OIP file, so that a program using them beside
    Triton's or KServe's Go client links only one copy.
    """
    importers = [
        str(path.relative_to(REPO))
        for path in (PROTOS / "slipway").rglob("*.proto")
        if path.parent.name != "v2" and "slipway/inference/" in path.read_text()
    ]
    assert not importers, importers
    go_importers = [
        str(path.relative_to(REPO))
        for path in GO.rglob("*.go")
        if "inference/v2" not in path.parent.as_posix()
        and "clients/go/inference/v2" in path.read_text()
    ]
    assert not go_importers, go_importers


def run(command: list[str], cwd: Path, **env: str) -> None:
    result = subprocess.run(
        command,
        cwd=cwd,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert result.returncode == 0, f"{' '.join(command)}:\n{result.stdout}{result.stderr}"


def require(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        unavailable(f"{name} is not installed")
    assert found is not None
    return found


@pytest.mark.slow
def test_go_client_builds_and_vets_offline() -> None:
    go = require("go")
    if not (TOOLS / "go" / ".modules").exists():
        unavailable("the Go client's modules are not downloaded (run `make codegen-tools`)")
    offline = {"GOFLAGS": "-mod=readonly", "GOPROXY": "off"}
    run([go, "build", "./..."], GO, **offline)
    run([go, "vet", "./..."], GO, **offline)


@pytest.mark.slow
def test_java_client_compiles_offline(tmp_path: Path) -> None:
    mvn = require("mvn")
    if not (TOOLS / "java" / ".dependencies").exists():
        unavailable("the Java client's dependencies are not fetched (run `make codegen-tools`)")
    project = tmp_path / "java"
    shutil.copytree(JAVA, project, ignore=shutil.ignore_patterns("target"))
    run([mvn, "-q", "-B", "-o", "compile"], project)


@pytest.mark.slow
def test_typescript_client_typechecks() -> None:
    tsc = TS / "node_modules" / ".bin" / "tsc"
    if not tsc.exists():
        unavailable("the TypeScript client's packages are not installed (run `make codegen-tools`)")
    require("node")
    run([str(tsc), "--noEmit", "-p", "tsconfig.json"], TS)
