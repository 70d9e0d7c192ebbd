"""Monitoring: prediction logs from serving and ground truth, joined on the request id.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "monitoring_pending_labels",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("request_id", sa.String(length=128), nullable=False),
        sa.Column("model", sa.String(length=256), nullable=False),
        sa.Column("label", sa.LargeBinary(), nullable=False),
        sa.Column("label_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_time", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_monitoring_pending_labels")),
    )
    with op.batch_alter_table("monitoring_pending_labels", schema=None) as batch_op:
        batch_op.create_index(
            "ix_monitoring_pending_labels_request_id", ["request_id"], unique=False
        )

    op.create_table(
        "monitoring_predictions",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("model", sa.String(length=256), nullable=False),
        sa.Column("model_version", sa.String(length=512), nullable=False),
        sa.Column("request_id", sa.String(length=128), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("alias", sa.String(length=64), nullable=False),
        sa.Column("time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("row_count", sa.Integer(), nullable=False),
        sa.Column("record", sa.LargeBinary(), nullable=False),
        sa.Column("label", sa.LargeBinary(), nullable=True),
        sa.Column("label_time", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_monitoring_predictions")),
    )
    with op.batch_alter_table("monitoring_predictions", schema=None) as batch_op:
        batch_op.create_index("ix_monitoring_predictions_request_id", ["request_id"], unique=False)
        batch_op.create_index(
            "ix_monitoring_predictions_version_seq", ["model_version", "seq"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("monitoring_predictions", schema=None) as batch_op:
        batch_op.drop_index("ix_monitoring_predictions_version_seq")
        batch_op.drop_index("ix_monitoring_predictions_request_id")

    op.drop_table("monitoring_predictions")
    with op.batch_alter_table("monitoring_pending_labels", schema=None) as batch_op:
        batch_op.drop_index("ix_monitoring_pending_labels_request_id")

    op.drop_table("monitoring_pending_labels")
