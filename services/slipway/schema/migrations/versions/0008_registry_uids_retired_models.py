"""Registry: a `uid` (UUID4) on every model and version, and the version counter of deleted
models, so that a model re-created under a deleted one's id never reuses a version number.

Existing rows get a fresh UUID4 each.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07
"""

import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("registry_models", "registry_model_versions")


def upgrade() -> None:
    bind = op.get_bind()
    for table in TABLES:
        # A plain ADD COLUMN: no table rebuild on SQLite (the versions reference the models).
        op.add_column(
            table, sa.Column("uid", sa.String(length=36), server_default="", nullable=False)
        )
        rows = sa.table(table, sa.column("id", sa.Integer()), sa.column("uid", sa.String()))
        for (pk,) in bind.execute(sa.select(rows.c.id)).all():
            bind.execute(sa.update(rows).where(rows.c.id == pk).values(uid=str(uuid.uuid4())))
    op.create_table(
        "registry_retired_models",
        sa.Column("model_id", sa.String(length=128), nullable=False),
        sa.Column("latest_version_number", sa.BigInteger(), nullable=False),
        sa.Column("delete_time", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("model_id", name=op.f("pk_registry_retired_models")),
    )


def downgrade() -> None:
    op.drop_table("registry_retired_models")
    for table in reversed(TABLES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("uid")
