"""Our Open Inference Protocol definition is wire-compatible with the one tritonclient ships.

tritonclient's generated module registers `inference.*` in protobuf's default descriptor pool, and
so would ours: the two cannot be imported into one process. Both sides are therefore read as plain
FileDescriptorProto messages: tritonclient's from a subprocess, ours from protoc.
"""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from google.protobuf import descriptor_pb2

from support.ci import unavailable

REPO = Path(__file__).resolve().parents[2]
OIP_PROTO = "slipway/inference/v2/grpc_service.proto"
SERVICE = "GRPCInferenceService"

# Triton's service file and the model configuration file it imports (ModelConfig and DataType):
# both declare package `inference`, so their messages are compared as one set.
DUMP_TRITON = """
import base64, json
from google.protobuf import descriptor_pb2
from tritonclient.grpc import model_config_pb2, service_pb2
files = []
for module in (service_pb2, model_config_pb2):
    proto = descriptor_pb2.FileDescriptorProto()
    module.DESCRIPTOR.CopyToProto(proto)
    files.append(base64.b64encode(proto.SerializeToString()).decode())
print(json.dumps({"files": files}))
"""
# Messages the server only sends, of which we define the fields we fill: a client reading them
# sees Triton's other fields unset. Every other message carries all of Triton's fields.
SENT_IN_PART = {"inference.ModelConfig", "inference.ModelInput", "inference.ModelOutput"}

Field = tuple[int, int, int, str, str]  # number, type, label, type name, oneof name


def messages(*files: descriptor_pb2.FileDescriptorProto) -> dict[str, dict[str, Field]]:
    """Every message of ``files``, nested ones included, by full name: its fields by name."""
    found: dict[str, dict[str, Field]] = {}

    def visit(message: descriptor_pb2.DescriptorProto, prefix: str) -> None:
        full_name = f"{prefix}.{message.name}"
        oneofs = [oneof.name for oneof in message.oneof_decl]
        found[full_name] = {
            field.name: (
                field.number,
                field.type,
                field.label,
                field.type_name,
                oneofs[field.oneof_index] if field.HasField("oneof_index") else "",
            )
            for field in message.field
        }
        for nested in message.nested_type:
            visit(nested, full_name)

    for file in files:
        for message in file.message_type:
            visit(message, file.package)
    return found


def enums(*files: descriptor_pb2.FileDescriptorProto) -> dict[str, dict[str, int]]:
    """Every top-level and message-level enum of ``files`` by full name: its values."""
    found: dict[str, dict[str, int]] = {}

    def add(enum: descriptor_pb2.EnumDescriptorProto, prefix: str) -> None:
        found[f"{prefix}.{enum.name}"] = {value.name: value.number for value in enum.value}

    def visit(message: descriptor_pb2.DescriptorProto, prefix: str) -> None:
        for enum in message.enum_type:
            add(enum, f"{prefix}.{message.name}")
        for nested in message.nested_type:
            visit(nested, f"{prefix}.{message.name}")

    for file in files:
        for enum in file.enum_type:
            add(enum, file.package)
        for message in file.message_type:
            visit(message, file.package)
    return found


def methods(file: descriptor_pb2.FileDescriptorProto) -> dict[str, tuple[str, str, bool, bool]]:
    service = next(s for s in file.service if s.name == SERVICE)
    return {
        m.name: (m.input_type, m.output_type, m.client_streaming, m.server_streaming)
        for m in service.method
    }


@pytest.fixture(scope="module")
def triton_files() -> list[descriptor_pb2.FileDescriptorProto]:
    result = subprocess.run(
        [sys.executable, "-c", DUMP_TRITON],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if result.returncode != 0:
        message = f"cannot load tritonclient's descriptors: {result.stderr.strip()[-500:]}"
        unavailable(message)
    return [
        descriptor_pb2.FileDescriptorProto.FromString(base64.b64decode(encoded))
        for encoded in json.loads(result.stdout)["files"]
    ]


@pytest.fixture(scope="module")
def triton(
    triton_files: list[descriptor_pb2.FileDescriptorProto],
) -> descriptor_pb2.FileDescriptorProto:
    """Triton's service file."""
    return triton_files[0]


@pytest.fixture(scope="module")
def ours(tmp_path_factory: pytest.TempPathFactory) -> descriptor_pb2.FileDescriptorProto:
    out = tmp_path_factory.mktemp("oip") / "oip.binpb"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "grpc_tools.protoc",
            "-Iprotos",
            f"--descriptor_set_out={out}",
            f"protos/{OIP_PROTO}",
        ],
        cwd=REPO,
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    )
    files = descriptor_pb2.FileDescriptorSet.FromString(out.read_bytes())
    return next(f for f in files.file if f.name == OIP_PROTO)


def test_same_package_and_service(
    ours: descriptor_pb2.FileDescriptorProto, triton: descriptor_pb2.FileDescriptorProto
) -> None:
    assert ours.package == triton.package == "inference"
    assert SERVICE in {s.name for s in triton.service}
    assert [s.name for s in ours.service] == [SERVICE]


def test_every_message_matches_field_by_field(
    ours: descriptor_pb2.FileDescriptorProto, triton_files: list[descriptor_pb2.FileDescriptorProto]
) -> None:
    theirs = messages(*triton_files)
    mine = messages(ours)
    unknown = sorted(mine.keys() - theirs.keys())
    assert not unknown, f"messages tritonclient does not define: {unknown}"

    differences: list[str] = []
    for name, fields in sorted(mine.items()):
        for field_name, shape in sorted(fields.items()):
            expected: Any = theirs[name].get(field_name)
            if expected != shape:
                differences.append(f"{name}.{field_name}: ours {shape}, tritonclient {expected}")
    assert not differences, "\n".join(differences)


def test_required_messages_are_complete(
    ours: descriptor_pb2.FileDescriptorProto, triton_files: list[descriptor_pb2.FileDescriptorProto]
) -> None:
    """Messages we define carry every field Triton's have, so nothing a client sends is lost
    (but for the configuration messages the server only sends, ``SENT_IN_PART``)."""
    theirs = messages(*triton_files)
    missing = [
        f"{name}.{field}"
        for name, fields in sorted(messages(ours).items())
        if name not in SENT_IN_PART
        for field in sorted(theirs[name].keys() - fields.keys())
    ]
    assert not missing, f"fields tritonclient has and we lack: {missing}"


def test_every_enum_matches_value_by_value(
    ours: descriptor_pb2.FileDescriptorProto, triton_files: list[descriptor_pb2.FileDescriptorProto]
) -> None:
    theirs = enums(*triton_files)
    mine = enums(ours)
    assert "inference.DataType" in mine
    for name, values in sorted(mine.items()):
        assert values == theirs.get(name), f"{name}: ours {values}, tritonclient {theirs.get(name)}"


def test_the_metadata_keeps_kserves_properties_number_free(
    ours: descriptor_pb2.FileDescriptorProto,
) -> None:
    """KServe numbers ModelMetadataResponse's properties 6: never ours to use for anything else."""
    metadata = next(m for m in ours.message_type if m.name == "ModelMetadataResponse")
    assert all(field.number != 6 for field in metadata.field)
    assert any(r.start <= 6 < r.end for r in metadata.reserved_range)


def test_every_rpc_matches(
    ours: descriptor_pb2.FileDescriptorProto, triton: descriptor_pb2.FileDescriptorProto
) -> None:
    theirs = methods(triton)
    mine = methods(ours)
    required = {
        "ServerLive",
        "ServerReady",
        "ModelReady",
        "ServerMetadata",
        "ModelMetadata",
        "ModelInfer",
        "ModelStreamInfer",
        "ModelConfig",
        "ModelStatistics",
        "RepositoryIndex",
        "RepositoryModelLoad",
        "RepositoryModelUnload",
    }
    assert required <= mine.keys()
    for name, signature in sorted(mine.items()):
        assert name in theirs, f"tritonclient has no RPC {name}"
        assert signature == theirs[name], f"{name}: ours {signature}, tritonclient {theirs[name]}"
