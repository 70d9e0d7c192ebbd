"""Tables of the registry. Structured metadata (signature, lineage, profile, params) is stored as
JSON text: the registry keeps it verbatim and only the edge knows its protobuf shape."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from slipway.core.tables import Base, UtcDateTime


class ModelRow(Base):
    __tablename__ = "registry_models"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    model_id: Mapped[str] = mapped_column(String(128), unique=True)
    description: Mapped[str] = mapped_column(Text)
    labels: Mapped[str] = mapped_column(Text)
    latest_version_number: Mapped[int] = mapped_column(BigInteger)
    created_by: Mapped[str] = mapped_column(String(255))
    create_time: Mapped[datetime] = mapped_column(UtcDateTime)
    update_time: Mapped[datetime] = mapped_column(UtcDateTime)
    revision: Mapped[int] = mapped_column(Integer)
    uid: Mapped[str] = mapped_column(String(36), server_default="")


class RetiredModelRow(Base):
    """The version counter of a deleted model: a model re-created under its id goes on counting
    from there, so a version name never names a second artifact."""

    __tablename__ = "registry_retired_models"

    model_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    latest_version_number: Mapped[int] = mapped_column(BigInteger)
    delete_time: Mapped[datetime] = mapped_column(UtcDateTime)


class VersionRow(Base):
    __tablename__ = "registry_model_versions"
    __table_args__ = (UniqueConstraint("model_pk", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    model_pk: Mapped[int] = mapped_column(ForeignKey("registry_models.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(BigInteger)
    state: Mapped[str] = mapped_column(String(16))
    state_message: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text)
    labels: Mapped[str] = mapped_column(Text)
    artifact_sha256: Mapped[str | None] = mapped_column(String(64))
    artifact_size: Mapped[int] = mapped_column(BigInteger)
    artifact_format: Mapped[str] = mapped_column(String(16))
    sample_sha256: Mapped[str | None] = mapped_column(String(64))
    sample_size: Mapped[int] = mapped_column(BigInteger)
    sample_format: Mapped[str] = mapped_column(String(16))
    signature: Mapped[str] = mapped_column(Text)
    framework_versions: Mapped[str] = mapped_column(Text)
    metrics: Mapped[str] = mapped_column(Text)
    params: Mapped[str] = mapped_column(Text)
    lineage: Mapped[str] = mapped_column(Text)
    reference_profile: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(255))
    create_time: Mapped[datetime] = mapped_column(UtcDateTime)
    update_time: Mapped[datetime] = mapped_column(UtcDateTime)
    ready_time: Mapped[datetime | None] = mapped_column(UtcDateTime)
    archive_time: Mapped[datetime | None] = mapped_column(UtcDateTime)
    revision: Mapped[int] = mapped_column(Integer)
    uid: Mapped[str] = mapped_column(String(36), server_default="")


class AliasRow(Base):
    __tablename__ = "registry_aliases"

    model_pk: Mapped[int] = mapped_column(
        ForeignKey("registry_models.id", ondelete="CASCADE"), primary_key=True
    )
    alias: Mapped[str] = mapped_column(String(64), primary_key=True)
    version_number: Mapped[int] = mapped_column(BigInteger)


class AliasHistoryRow(Base):
    """Every alias move, kept after the model is gone: who, when, from which version to which,
    why, and the audit event that recorded it."""

    __tablename__ = "registry_alias_history"
    __table_args__ = (Index("ix_registry_alias_history_model_alias", "model", "alias", "id"),)

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    model: Mapped[str] = mapped_column(String(256))
    alias: Mapped[str] = mapped_column(String(64))
    change: Mapped[str] = mapped_column(String(16))
    from_version: Mapped[int] = mapped_column(BigInteger)
    to_version: Mapped[int] = mapped_column(BigInteger)
    actor: Mapped[str] = mapped_column(String(255))
    actor_roles: Mapped[str] = mapped_column(String(255))
    reason: Mapped[str] = mapped_column(Text)
    change_time: Mapped[datetime] = mapped_column(UtcDateTime)
    request_id: Mapped[str] = mapped_column(String(128))
    audit_event_id: Mapped[str] = mapped_column(String(36))
