"""deploy/image: the Dockerfile passes hadolint at the warning threshold and keeps its promises
(pinned base, wheels built in a builder stage, a final stage with no build tools running as a
non-root user, one target per service with its health check), read without a Docker engine.
"""

from __future__ import annotations

import re
import subprocess
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from support.dockerfile import DOCKERFILE, exec_form, inherited, stages
from support.tools import require_tool

ROOT = Path(__file__).resolve().parents[2]
IMAGE = ROOT / "deploy" / "image"
SERVICES = {
    "registry": (7101, 9101),
    "training": (7102, 9102),
    "serving": (7103, 9103),
    "monitoring": (7104, 9104),
}
# Words that mean a compiler or a package manager at work in a stage.
BUILD_TOOLS = re.compile(
    r"\b(apt-get|apt|apk|gcc|g\+\+|cc|make|build-essential|pip install"
    r"|pip wheel)\b"
)


def test_hadolint_passes_at_the_warning_threshold():
    hadolint = require_tool("hadolint")
    done = subprocess.run(
        [hadolint, "--failure-threshold", "warning", "--format", "tty", str(DOCKERFILE)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_hadolint_fails_a_dockerfile_with_warnings(tmp_path):
    """The check above is live: an unpinned base (DL3006/DL3007) fails it."""
    hadolint = require_tool("hadolint")
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python:latest\nRUN pip install requests\n")
    done = subprocess.run(
        [hadolint, "--failure-threshold", "warning", str(bad)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode != 0
    assert "DL3007" in done.stdout


def test_every_external_base_is_pinned_and_the_same():
    found = stages()
    external = {s.base for s in found.values() if s.base not in found}
    assert len(external) == 1, external
    (base,) = external
    pinned_tag = re.fullmatch(r"python:\d+\.\d+\.\d+-slim-[a-z]+(@sha256:[0-9a-f]{64})?", base)
    assert pinned_tag, f"{base} is not an exact slim Python tag (or digest)"
    # The image runs the Python the project supports and tests with.
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    version = re.match(r"python:(\d+)\.(\d+)", base)
    assert version is not None
    floor = re.fullmatch(r">=(\d+)\.(\d+)", project["requires-python"])
    assert floor is not None
    assert tuple(map(int, version.groups())) >= tuple(map(int, floor.groups()))


def test_builder_makes_the_wheels_and_the_final_stages_build_nothing():
    found = stages()
    assert found["builder"].base == found["runtime"].base
    builder_runs = " ".join(found["builder"].all("RUN"))
    assert "pip wheel" in builder_runs
    assert "./clients/python ." in builder_runs
    assert "-r deploy/image/requirements.txt" in builder_runs
    assert "--only-binary=:all:" in builder_runs
    copies = found["runtime"].all("COPY")
    assert "--from=builder /opt/slipway /opt/slipway" in copies
    for name, stage in found.items():
        if name == "builder":
            continue
        for run in stage.all("RUN"):
            assert not BUILD_TOOLS.search(run), f"stage {name} builds or installs: {run}"
        for copy in stage.all("COPY"):
            assert "--from=" in copy or not copy.startswith(("services", "clients")), (
                f"stage {name} copies sources: {copy}"
            )
    assert "pip uninstall --yes pip setuptools wheel" in " ".join(found["runtime"].all("RUN"))


def test_runtime_runs_slipway_as_a_non_root_user():
    found = stages()
    for target in (*SERVICES, "migrate"):
        user = inherited(found, target, "USER")
        assert user is not None
        uid = user.split(":")[0]
        assert uid.isdigit(), f"{target} runs as {user}"
        assert int(uid) >= 1000, f"{target} runs as {user}"
        entrypoint = inherited(found, target, "ENTRYPOINT")
        assert exec_form(entrypoint or "[]") == ["slipway"]
    env = " ".join(found["runtime"].all("ENV"))
    assert "SLIPWAY_HOME=/var/lib/slipway" in env  # the volume the pods mount there
    assert "PYTHONDONTWRITEBYTECODE=1" in env  # the root filesystem is read-only in the pods


def test_one_target_per_service_with_its_command_ports_and_health_check():
    found = stages()
    for service, (grpc_port, metrics_port) in SERVICES.items():
        stage = found[service]
        assert stage.base == "runtime"
        command = stage.last("CMD")
        assert exec_form(command or "[]") == [service]
        health_port = grpc_port + 1000
        assert stage.last("EXPOSE") == f"{grpc_port} {metrics_port} {health_port}"
        env = " ".join(stage.all("ENV"))
        assert f"SLIPWAY_{service.upper()}_GRPC_ADDRESS=0.0.0.0:{grpc_port}" in env
        assert f"SLIPWAY_{service.upper()}_METRICS_ADDRESS=0.0.0.0:{metrics_port}" in env
        # The check reaches the plaintext health-only listener, TLS on the gRPC port or not.
        assert f"SLIPWAY_{service.upper()}_HEALTH_ADDRESS=0.0.0.0:{health_port}" in env
        check = stage.last("HEALTHCHECK")
        assert check is not None
        options, _, probe = check.partition(" CMD ")
        assert "--interval=" in options
        assert "--timeout=" in options
        assert exec_form(probe) == [
            "python",
            "-m",
            "slipway.core.health_probe",
            f"127.0.0.1:{health_port}",
        ]
    migrate = found["migrate"]
    assert exec_form(migrate.last("CMD") or "[]") == ["db", "upgrade"]
    assert migrate.last("HEALTHCHECK") == "NONE"


def _requirements() -> dict[str, Requirement]:
    pinned: dict[str, Requirement] = {}
    for line in (IMAGE / "requirements.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            requirement = Requirement(line)
            pinned[canonicalize_name(requirement.name)] = requirement
    return pinned


def test_pinned_requirements_satisfy_both_pyprojects():
    pinned = _requirements()
    for requirement in pinned.values():
        (spec,) = requirement.specifier
        assert spec.operator == "==", f"{requirement} is not pinned exactly"
    assert not {"slipway", "slipway-client"} & pinned.keys(), "built from source, not pinned"
    for pyproject in (ROOT / "pyproject.toml", ROOT / "clients" / "python" / "pyproject.toml"):
        for line in tomllib.loads(pyproject.read_text())["project"]["dependencies"]:
            wanted = Requirement(line)
            key = canonicalize_name(wanted.name)
            if key == "slipway-client":
                continue
            assert key in pinned, f"{wanted.name} ({pyproject.name}) is not pinned"
            (version,) = [s.version for s in pinned[key].specifier]
            assert wanted.specifier.contains(version, prereleases=True), (
                f"{key}=={version} does not satisfy {wanted} in {pyproject}"
            )
            assert set(wanted.extras) <= set(pinned[key].extras), wanted


def test_build_context_ignore_file_keeps_what_the_build_copies():
    """deploy/image/Dockerfile.dockerignore allow-lists the context (the repository root)."""
    rules = [
        line.strip()
        for line in (IMAGE / "Dockerfile.dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert rules[0] == "*"
    allowed = {rule[1:] for rule in rules if rule.startswith("!")}
    for name, stage in stages().items():
        for copy in stage.all("COPY"):
            if copy.startswith("--from="):
                continue
            *sources, _ = copy.split()
            for source in sources:
                source = source.removeprefix("./")
                assert (ROOT / source).exists(), f"{name}: COPY {source} does not exist"
                assert any(source == a or source.startswith(f"{a}/") for a in allowed), (
                    f"{name}: COPY {source} is excluded from the build context"
                )
