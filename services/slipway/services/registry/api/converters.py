"""Protobuf <-> registry domain objects. Symmetric; protobuf never enters the domain.

Structured metadata (signature, lineage, reference profile, params, framework versions) crosses as
the JSON form of its message (``MessageToDict`` with proto field names), which the registry stores
verbatim and turns back into the same message on the way out.
"""

from __future__ import annotations

from typing import Any

from google.protobuf import json_format
from google.protobuf.message import Message

from slipway.core.errors import InvalidArgumentError
from slipway.core.principals import principal_to_pb
from slipway.core.reasons import Reason
from slipway.core.values import timestamp
from slipway.registry.v1 import (
    alias_history_pb2,
    artifact_pb2,
    lineage_pb2,
    model_event_pb2,
    model_pb2,
)
from slipway.registry.v1 import model_version_pb2 as version_pb
from slipway.services.registry.domain.entities import (
    JOB_ALIAS_KEY,
    PROVENANCE_KEY,
    AliasHistoryEntry,
    ArtifactInfo,
    ArtifactKind,
    Model,
    ModelVersion,
    NewVersion,
    Provenance,
    RegistryEvent,
)

FORMAT_TO_PB = {
    "skops": artifact_pb2.ARTIFACT_FORMAT_SKOPS,
    "pickle": artifact_pb2.ARTIFACT_FORMAT_PICKLE,
    "joblib": artifact_pb2.ARTIFACT_FORMAT_JOBLIB,
    "onnx": artifact_pb2.ARTIFACT_FORMAT_ONNX,
    "npz": artifact_pb2.ARTIFACT_FORMAT_NPZ,
    "parquet": artifact_pb2.ARTIFACT_FORMAT_PARQUET,
}
FORMAT_FROM_PB = {v: k for k, v in FORMAT_TO_PB.items()}
KIND_FROM_PB = {
    artifact_pb2.ARTIFACT_KIND_MODEL: ArtifactKind.MODEL,
    artifact_pb2.ARTIFACT_KIND_REFERENCE_SAMPLE: ArtifactKind.REFERENCE_SAMPLE,
}
KIND_TO_PB = {v: k for k, v in KIND_FROM_PB.items()}
STATE_TO_PB = {
    "PENDING": version_pb.MODEL_VERSION_STATE_PENDING,
    "READY": version_pb.MODEL_VERSION_STATE_READY,
    "FAILED": version_pb.MODEL_VERSION_STATE_FAILED,
    "ARCHIVED": version_pb.MODEL_VERSION_STATE_ARCHIVED,
}
CHANGE_TO_PB = {
    "SET": alias_history_pb2.ALIAS_CHANGE_SET,
    "MOVED": alias_history_pb2.ALIAS_CHANGE_MOVED,
    "DELETED": alias_history_pb2.ALIAS_CHANGE_DELETED,
}
PROVENANCE_TO_PB = {
    Provenance.VERIFIED: lineage_pb2.LINEAGE_PROVENANCE_VERIFIED,
    Provenance.SELF_REPORTED: lineage_pb2.LINEAGE_PROVENANCE_SELF_REPORTED,
}
EVENT_TYPE_TO_PB = {
    name.removeprefix("MODEL_EVENT_TYPE_"): number
    for name, number in model_event_pb2.ModelEventType.items()
    if number
}
EVENT_TYPE_FROM_PB = {v: k for k, v in EVENT_TYPE_TO_PB.items()}


def as_dict(message: Message) -> dict[str, Any]:
    return json_format.MessageToDict(message, preserving_proto_field_name=True)


def model_to_pb(model: Model) -> model_pb2.Model:
    return model_pb2.Model(
        name=model.name,
        description=model.description,
        labels=model.labels,
        aliases=model.aliases,
        latest_version_number=model.latest_version_number,
        created_by=model.created_by,
        create_time=timestamp(model.create_time),
        update_time=timestamp(model.update_time),
        etag=model.etag,
        uid=model.uid,
    )


def artifact_to_pb(artifact: ArtifactInfo | None) -> artifact_pb2.Artifact | None:
    if artifact is None:
        return None
    fmt = FORMAT_TO_PB.get(artifact.format, artifact_pb2.ARTIFACT_FORMAT_UNSPECIFIED)
    return artifact_pb2.Artifact(
        sha256=artifact.sha256, size_bytes=artifact.size, format=fmt, uri=artifact.uri
    )


def to_basic_view(message: version_pb.ModelVersion) -> None:
    """Clear what the BASIC view leaves out: the parts that grow with features and categories."""
    message.ClearField("signature")
    message.ClearField("reference_profile")


def version_to_pb(version: ModelVersion, *, full: bool = True) -> version_pb.ModelVersion:
    """The version in the FULL view, or in the BASIC one (see ModelVersionView)."""
    message = version_pb.ModelVersion(
        name=version.name,
        uid=version.uid,
        version_number=version.number,
        state=STATE_TO_PB[version.state.value],
        state_message=version.state_message,
        description=version.description,
        labels=version.labels,
        aliases=version.aliases,
        artifact=artifact_to_pb(version.artifact),
        metrics=version.metrics,
        created_by=version.created_by,
        create_time=timestamp(version.create_time),
        update_time=timestamp(version.update_time),
        ready_time=timestamp(version.ready_time),
        archive_time=timestamp(version.archive_time),
        etag=version.etag,
    )
    # The registry's own keys of the stored lineage are not the message's fields.
    lineage = {k: v for k, v in version.lineage.items() if k not in (PROVENANCE_KEY, JOB_ALIAS_KEY)}
    parts: dict[str, Any] = {
        "framework_versions": version.framework_versions,
        "params": version.params,
        "lineage": lineage,
    }
    if full:  # the BASIC view does not even build the large parts
        parts["signature"] = version.signature
        parts["reference_profile"] = version.reference_profile
    json_format.ParseDict(parts, message, ignore_unknown_fields=True)
    sample = artifact_to_pb(version.sample)
    if full and sample is not None:
        message.reference_profile.sample.CopyFrom(sample)
    message.lineage.provenance = PROVENANCE_TO_PB[version.provenance]
    return message


def new_version(message: version_pb.ModelVersion) -> NewVersion:
    """What an upload declares; output-only fields of the message are ignored."""
    fmt = FORMAT_FROM_PB.get(message.artifact.format, "") if message.artifact.format else "skops"
    if message.artifact.format and not fmt:
        raise InvalidArgumentError.for_field(
            "model_version.artifact.format", "unknown format", reason=Reason.INVALID_FORMAT
        )
    profile = as_dict(message.reference_profile)
    sample = profile.pop("sample", {})
    sample_format = (
        FORMAT_FROM_PB.get(message.reference_profile.sample.format, "npz") if sample else ""
    )
    params = as_dict(version_pb.ModelVersion(params=message.params)).get("params", {})
    return NewVersion(
        description=message.description,
        labels=dict(message.labels),
        signature=as_dict(message.signature),
        framework_versions=as_dict(message.framework_versions),
        metrics=dict(message.metrics),
        params=params,
        lineage=as_dict(message.lineage),
        reference_profile=profile,
        artifact_format=fmt,
        artifact_sha256=message.artifact.sha256.lower(),
        sample_format=sample_format,
        sample_sha256=str(sample.get("sha256", "")).lower(),
    )


def history_to_pb(entry: AliasHistoryEntry) -> alias_history_pb2.AliasHistoryEntry:
    return alias_history_pb2.AliasHistoryEntry(
        name=entry.name,
        model=entry.model,
        alias=entry.alias,
        change=CHANGE_TO_PB[entry.change.value],
        from_version_number=entry.from_version,
        to_version_number=entry.to_version,
        actor=principal_to_pb(entry.actor, entry.actor_roles),
        reason=entry.reason,
        change_time=timestamp(entry.change_time),
        request_id=entry.request_id,
        audit_event_id=entry.audit_event_id,
    )


def event_to_pb(event: RegistryEvent) -> model_event_pb2.ModelEvent:
    return model_event_pb2.ModelEvent(
        sequence=event.sequence,
        model=event.model,
        type=EVENT_TYPE_TO_PB.get(event.type, model_event_pb2.MODEL_EVENT_TYPE_UNSPECIFIED),
        model_version=(
            f"{event.model}/versions/{event.version_number}" if event.version_number else ""
        ),
        version_number=event.version_number,
        alias=event.alias,
        previous_version_number=event.previous_version_number,
        version_state=STATE_TO_PB.get(
            event.version_state, version_pb.MODEL_VERSION_STATE_UNSPECIFIED
        ),
        actor=principal_to_pb(event.actor, event.actor_roles),
        reason=event.reason,
        event_time=timestamp(event.event_time),
    )
