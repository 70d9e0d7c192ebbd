"""AIP-203 field behaviour and AIP-122/123 resource annotations, read from generated descriptors.

Clients (and generators of client libraries) learn from these annotations which fields they must
send, which the server fills in and which name a resource; the comments say the same in words.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterator

import pytest
from google.api import field_behavior_pb2, resource_pb2
from google.protobuf.descriptor import Descriptor, FieldDescriptor

# The packages this contract covers: every one but the Open Inference Protocol's.
PACKAGES = (
    "slipway.audit.v1",
    "slipway.common.v1",
    "slipway.lineage.v1",
    "slipway.monitoring.v1",
    "slipway.registry.v1",
    "slipway.training.v1",
)
MAIN_BEHAVIOURS = {
    field_behavior_pb2.REQUIRED,
    field_behavior_pb2.OPTIONAL,
    field_behavior_pb2.OUTPUT_ONLY,
    field_behavior_pb2.IDENTIFIER,
}
# Fields of a request naming the resource it acts on or the parent it lists under.
NAMING_FIELDS = {"name", "parent"}


def messages() -> Iterator[Descriptor]:
    def nested(message: Descriptor) -> Iterator[Descriptor]:
        yield message
        for inner in message.nested_types:
            if not inner.GetOptions().map_entry:
                yield from nested(inner)

    for package in PACKAGES:
        for info in pkgutil.iter_modules(importlib.import_module(package).__path__):
            if not info.name.endswith("_pb2"):
                continue
            module = importlib.import_module(f"{package}.{info.name}")
            for message in module.DESCRIPTOR.message_types_by_name.values():
                yield from nested(message)


def behaviours(field: FieldDescriptor) -> set[int]:
    return set(field.GetOptions().Extensions[field_behavior_pb2.field_behavior])


def reference(field: FieldDescriptor) -> str:
    ref = field.GetOptions().Extensions[resource_pb2.resource_reference]
    return ref.type or ref.child_type


ALL = list(messages())


def test_the_packages_were_found() -> None:
    assert {m.file.package for m in ALL} == set(PACKAGES)


@pytest.mark.parametrize("message", ALL, ids=lambda m: m.full_name)
def test_every_field_states_its_behaviour(message: Descriptor) -> None:
    """Responses carry what the server returns; every other field says what a client does."""
    if message.name.endswith("Response"):
        return
    missing = [f.name for f in message.fields if not behaviours(f) & MAIN_BEHAVIOURS]
    assert not missing, (
        f"{message.full_name}: no REQUIRED/OPTIONAL/OUTPUT_ONLY/IDENTIFIER on {missing}"
    )


def test_etags_are_sent_back_so_not_output_only() -> None:
    wrong = [
        f"{m.full_name}.etag"
        for m in ALL
        if "etag" in m.fields_by_name
        and field_behavior_pb2.OUTPUT_ONLY in behaviours(m.fields_by_name["etag"])
    ]
    assert not wrong, wrong


def test_resources_are_annotated_and_named_by_an_identifier() -> None:
    resources = {
        m.full_name: m.GetOptions().Extensions[resource_pb2.resource]
        for m in ALL
        if m.GetOptions().HasExtension(resource_pb2.resource)
    }
    assert {
        "slipway.registry.v1.Model",
        "slipway.registry.v1.ModelVersion",
        "slipway.registry.v1.AliasHistoryEntry",
        "slipway.training.v1.TrainingJob",
    } <= resources.keys()
    for full_name, resource in resources.items():
        message = next(m for m in ALL if m.full_name == full_name)
        assert resource.type.endswith("/" + message.name), full_name
        assert resource.pattern, full_name
        assert resource.plural, full_name
        assert resource.singular, full_name
        assert behaviours(message.fields_by_name["name"]) == {field_behavior_pb2.IDENTIFIER}
    identified = {
        m.full_name
        for m in ALL
        if any(field_behavior_pb2.IDENTIFIER in behaviours(f) for f in m.fields)
    }
    assert identified == resources.keys()


def test_request_names_and_parents_reference_their_resource() -> None:
    types = {
        m.GetOptions().Extensions[resource_pb2.resource].type
        for m in ALL
        if m.GetOptions().HasExtension(resource_pb2.resource)
    }
    missing = []
    for message in ALL:
        if not message.name.endswith(("Request", "Metadata")):
            continue
        for field in message.fields:
            naming = field.name in NAMING_FIELDS and field.type == FieldDescriptor.TYPE_STRING
            if naming and reference(field) not in types:
                missing.append(f"{message.full_name}.{field.name}")
    assert not missing, f"no resource_reference to a known resource: {missing}"


def test_references_name_known_resources_or_any() -> None:
    types = {
        m.GetOptions().Extensions[resource_pb2.resource].type
        for m in ALL
        if m.GetOptions().HasExtension(resource_pb2.resource)
    }
    unknown = [
        f"{m.full_name}.{f.name} -> {reference(f)}"
        for m in ALL
        for f in m.fields
        if reference(f) and reference(f) != "*" and reference(f) not in types
    ]
    assert not unknown, unknown
