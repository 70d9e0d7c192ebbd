"""Ordered event streams (for watchers) and the registry: models, versions, aliases, history.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    heads = op.create_table(
        "event_stream_heads",
        sa.Column("stream", sa.String(length=32), nullable=False),
        sa.Column("last_sequence", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("stream", name=op.f("pk_event_stream_heads")),
    )
    op.bulk_insert(
        heads, [{"stream": s, "last_sequence": 0} for s in ("registry", "training", "monitoring")]
    )
    op.create_table(
        "registry_alias_history",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("model", sa.String(length=256), nullable=False),
        sa.Column("alias", sa.String(length=64), nullable=False),
        sa.Column("change", sa.String(length=16), nullable=False),
        sa.Column("from_version", sa.BigInteger(), nullable=False),
        sa.Column("to_version", sa.BigInteger(), nullable=False),
        sa.Column("actor", sa.String(length=255), nullable=False),
        sa.Column("actor_roles", sa.String(length=255), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("change_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("request_id", sa.String(length=128), nullable=False),
        sa.Column("audit_event_id", sa.String(length=36), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registry_alias_history")),
    )
    with op.batch_alter_table("registry_alias_history", schema=None) as batch_op:
        batch_op.create_index(
            "ix_registry_alias_history_model_alias", ["model", "alias", "id"], unique=False
        )

    op.create_table(
        "registry_models",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("model_id", sa.String(length=128), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("labels", sa.Text(), nullable=False),
        sa.Column("latest_version_number", sa.BigInteger(), nullable=False),
        sa.Column("created_by", sa.String(length=255), nullable=False),
        sa.Column("create_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("update_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registry_models")),
        sa.UniqueConstraint("model_id", name=op.f("uq_registry_models_model_id")),
    )
    op.create_table(
        "stream_events",
        sa.Column("stream", sa.String(length=32), nullable=False),
        sa.Column("sequence", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("type", sa.String(length=64), nullable=False),
        sa.Column("key", sa.String(length=1024), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("event_time", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("stream", "sequence", name=op.f("pk_stream_events")),
    )
    with op.batch_alter_table("stream_events", schema=None) as batch_op:
        batch_op.create_index(
            "ix_stream_events_stream_key_sequence", ["stream", "key", "sequence"], unique=False
        )

    op.create_table(
        "registry_aliases",
        sa.Column("model_pk", sa.Integer(), nullable=False),
        sa.Column("alias", sa.String(length=64), nullable=False),
        sa.Column("version_number", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["model_pk"],
            ["registry_models.id"],
            name=op.f("fk_registry_aliases_model_pk_registry_models"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("model_pk", "alias", name=op.f("pk_registry_aliases")),
    )
    op.create_table(
        "registry_model_versions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("model_pk", sa.Integer(), nullable=False),
        sa.Column("number", sa.BigInteger(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("state_message", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("labels", sa.Text(), nullable=False),
        sa.Column("artifact_sha256", sa.String(length=64), nullable=True),
        sa.Column("artifact_size", sa.BigInteger(), nullable=False),
        sa.Column("artifact_format", sa.String(length=16), nullable=False),
        sa.Column("sample_sha256", sa.String(length=64), nullable=True),
        sa.Column("sample_size", sa.BigInteger(), nullable=False),
        sa.Column("sample_format", sa.String(length=16), nullable=False),
        sa.Column("signature", sa.Text(), nullable=False),
        sa.Column("framework_versions", sa.Text(), nullable=False),
        sa.Column("metrics", sa.Text(), nullable=False),
        sa.Column("params", sa.Text(), nullable=False),
        sa.Column("lineage", sa.Text(), nullable=False),
        sa.Column("reference_profile", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=255), nullable=False),
        sa.Column("create_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("update_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ready_time", sa.DateTime(timezone=True), nullable=True),
        sa.Column("archive_time", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["model_pk"],
            ["registry_models.id"],
            name=op.f("fk_registry_model_versions_model_pk_registry_models"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registry_model_versions")),
        sa.UniqueConstraint(
            "model_pk", "number", name=op.f("uq_registry_model_versions_model_pk_number")
        ),
    )


def downgrade() -> None:
    op.drop_table("registry_model_versions")
    op.drop_table("registry_aliases")
    with op.batch_alter_table("stream_events", schema=None) as batch_op:
        batch_op.drop_index("ix_stream_events_stream_key_sequence")

    op.drop_table("stream_events")
    op.drop_table("registry_models")
    with op.batch_alter_table("registry_alias_history", schema=None) as batch_op:
        batch_op.drop_index("ix_registry_alias_history_model_alias")

    op.drop_table("registry_alias_history")
    op.drop_table("event_stream_heads")
