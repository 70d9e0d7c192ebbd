"""Audit: the id of the key each event's hash is an HMAC under (keyed chain, hash version 2).

Events written before have no key (hash version 1) and keep the empty id.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A plain ADD COLUMN (no table rebuild on SQLite), so the append-only triggers stay.
    op.add_column(
        "audit_events",
        sa.Column("key_id", sa.String(length=16), server_default="", nullable=False),
    )


def downgrade() -> None:
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_column("key_id")
