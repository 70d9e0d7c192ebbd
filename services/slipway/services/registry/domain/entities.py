"""The registry's domain objects: plain dataclasses, no protobuf, no SQL."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from slipway.core.audit.chain import AuditEntry, Verification


class VersionState(enum.Enum):
    PENDING = "PENDING"
    READY = "READY"
    FAILED = "FAILED"
    ARCHIVED = "ARCHIVED"


class AliasChange(enum.Enum):
    SET = "SET"
    MOVED = "MOVED"
    DELETED = "DELETED"


class ArtifactKind(enum.Enum):
    MODEL = "MODEL"
    REFERENCE_SAMPLE = "REFERENCE_SAMPLE"


class Provenance(enum.Enum):
    """How the registry knows a version's lineage (kept in the lineage under ``provenance``)."""

    VERIFIED = "VERIFIED"  # the training service registered it for a job its record confirms
    SELF_REPORTED = "SELF_REPORTED"  # the uploader's claims; also every version from before


PROVENANCE_KEY = "provenance"
JOB_ALIAS_KEY = "job_alias"  # the alias a verified job asked for (``alias_on_success``)


ARTIFACT_FORMATS = ("skops", "pickle", "joblib", "onnx", "npz", "parquet")


@dataclass(frozen=True)
class ArtifactInfo:
    sha256: str
    size: int
    format: str
    uri: str = ""


@dataclass(frozen=True)
class Model:
    model_id: str
    description: str
    labels: dict[str, str]
    aliases: dict[str, int]
    latest_version_number: int
    created_by: str
    create_time: datetime
    update_time: datetime
    revision: int
    uid: str = ""  # a UUID4 set at creation: tells a re-created model from the deleted one

    @property
    def name(self) -> str:
        return f"models/{self.model_id}"

    @property
    def etag(self) -> str:
        return f"m{self.revision}"


@dataclass(frozen=True)
class ModelVersion:
    model_id: str
    number: int
    state: VersionState
    state_message: str
    description: str
    labels: dict[str, str]
    aliases: tuple[str, ...]
    artifact: ArtifactInfo | None
    sample: ArtifactInfo | None
    signature: dict[str, Any]
    framework_versions: dict[str, Any]
    metrics: dict[str, float]
    params: dict[str, Any]
    lineage: dict[str, Any]
    reference_profile: dict[str, Any]
    created_by: str
    create_time: datetime
    update_time: datetime
    ready_time: datetime | None
    archive_time: datetime | None
    revision: int
    uid: str = ""  # a UUID4 set at creation

    @property
    def name(self) -> str:
        return f"models/{self.model_id}/versions/{self.number}"

    @property
    def model_name(self) -> str:
        return f"models/{self.model_id}"

    @property
    def etag(self) -> str:
        return f"v{self.revision}"

    @property
    def provenance(self) -> Provenance:
        """Versions registered before lineage was checked count as self-reported."""
        verified = self.lineage.get(PROVENANCE_KEY) == Provenance.VERIFIED.value
        return Provenance.VERIFIED if verified else Provenance.SELF_REPORTED


@dataclass(frozen=True)
class NewVersion:
    """What a client declares when it starts uploading a version."""

    description: str = ""
    labels: dict[str, str] = field(default_factory=dict)
    signature: dict[str, Any] = field(default_factory=dict)
    framework_versions: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)
    lineage: dict[str, Any] = field(default_factory=dict)
    reference_profile: dict[str, Any] = field(default_factory=dict)
    artifact_format: str = "skops"
    artifact_sha256: str = ""
    sample_format: str = ""
    sample_sha256: str = ""


@dataclass(frozen=True)
class AliasHistoryEntry:
    id: int
    model: str
    alias: str
    change: AliasChange
    from_version: int
    to_version: int
    actor: str
    actor_roles: tuple[str, ...]
    reason: str
    change_time: datetime
    request_id: str
    audit_event_id: str

    @property
    def name(self) -> str:
        return f"{self.model}/aliasHistory/{self.id}"


@dataclass(frozen=True)
class RegistryEvent:
    sequence: int
    type: str
    model: str
    version_number: int
    alias: str
    previous_version_number: int
    version_state: str
    actor: str
    actor_roles: tuple[str, ...]
    reason: str
    event_time: datetime


@dataclass(frozen=True)
class VersionLineage:
    """A version with its parent and every move of an alias to or away from it, oldest first;
    ``notes`` say what could not be found."""

    version: ModelVersion
    parent: ModelVersion | None
    alias_history: list[AliasHistoryEntry]
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class AuditTrail:
    """Audit events about a version, oldest first (``truncated`` when more matched), and the
    verification of the chain up to the newest of them."""

    events: list[AuditEntry]
    truncated: bool
    verification: Verification
    chain_empty: bool
