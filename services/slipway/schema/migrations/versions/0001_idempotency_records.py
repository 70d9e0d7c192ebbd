"""Baseline: stored responses of mutating RPCs for idempotent retries (AIP-155 request_id).

Revision ID: 0001
Revises:
Create Date: 2025-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "idempotency_records",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("service", sa.String(length=64), nullable=False),
        sa.Column("method", sa.String(length=128), nullable=False),
        sa.Column("request_id", sa.String(length=128), nullable=False),
        sa.Column("principal", sa.String(length=255), nullable=False),
        sa.Column("response_type", sa.String(length=255), nullable=False),
        sa.Column("response", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_idempotency_records")),
        sa.UniqueConstraint(
            "service",
            "method",
            "request_id",
            "principal",
            name=op.f("uq_idempotency_records_service_method_request_id_principal"),
        ),
    )
    op.create_index(
        op.f("ix_idempotency_records_created_at"), "idempotency_records", ["created_at"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_idempotency_records_created_at"), table_name="idempotency_records")
    op.drop_table("idempotency_records")
