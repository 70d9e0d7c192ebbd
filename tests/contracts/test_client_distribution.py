"""The client distribution other teams install: the generated API, the client facades, and
light dependencies (grpc, protobuf, numpy)."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
ALLOWED_TOP_LEVEL = {
    "common",
    "registry",
    "lineage",
    "training",
    "monitoring",
    "audit",
    "inference",
    "client",
}


@pytest.mark.slow  # builds a wheel
def test_client_wheel_holds_the_api_and_clients_and_needs_only_light_dependencies(tmp_path):
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--quiet",
            "-w",
            str(tmp_path),
            str(REPO / "clients" / "python"),
        ],
        check=True,
        timeout=300,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("slipway_client-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        metadata_name = next(n for n in names if n.endswith(".dist-info/METADATA"))
        metadata = Parser().parsestr(archive.read(metadata_name).decode())
    requirements = sorted(
        r.split(">")[0].split("<")[0].split("=")[0].strip()
        for r in metadata.get_all("Requires-Dist") or []
    )
    assert requirements == [
        "googleapis-common-protos",
        "grpcio",
        "grpcio-status",
        "numpy",
        "protobuf",
    ]
    packages = {n.split("/")[1] for n in names if n.startswith("slipway/") and n.count("/") > 1}
    assert packages == ALLOWED_TOP_LEVEL
    assert "slipway/registry/v1/registry_service_pb2_grpc.py" in names
    assert "slipway/registry/v1/registry_service_pb2.pyi" in names
    assert "slipway/client/__init__.py" in names
    assert "slipway/client/aio/__init__.py" in names
    assert "slipway/client/py.typed" in names
    assert not [n for n in names if "/core/" in n or "/services/" in n]
