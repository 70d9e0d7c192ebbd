"""Serving: the loads and unloads stored through the repository API, one row per model.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "serving_deployments",
        sa.Column("model_id", sa.String(length=128), nullable=False),
        sa.Column("loaded", sa.Boolean(), nullable=False),
        sa.Column("target", sa.String(length=256), nullable=False),
        sa.Column("reason", sa.String(length=1024), nullable=False),
        sa.Column("changed_by", sa.String(length=256), nullable=False),
        sa.Column("update_time", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("model_id", name=op.f("pk_serving_deployments")),
    )


def downgrade() -> None:
    op.drop_table("serving_deployments")
