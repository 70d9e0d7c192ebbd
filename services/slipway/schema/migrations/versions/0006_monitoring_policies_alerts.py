"""Monitoring: policies, alerts, stored reports, and how far each policy evaluated each version.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("monitoring_predictions", schema=None) as batch_op:
        batch_op.create_index("ix_monitoring_predictions_model_seq", ["model", "seq"], unique=False)
    op.create_table(
        "monitoring_alerts",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("model", sa.String(length=256), nullable=False),
        sa.Column("model_version", sa.String(length=512), nullable=False),
        sa.Column("policy", sa.String(length=128), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("fire_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("update_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("retraining_time", sa.DateTime(timezone=True), nullable=True),
        sa.Column("alert", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_monitoring_alerts")),
    )
    with op.batch_alter_table("monitoring_alerts", schema=None) as batch_op:
        batch_op.create_index("ix_monitoring_alerts_fire", ["fire_time", "id"], unique=False)
        batch_op.create_index(
            "ix_monitoring_alerts_model_fire", ["model", "fire_time"], unique=False
        )
        batch_op.create_index(
            "ix_monitoring_alerts_open", ["policy", "model_version", "kind", "state"], unique=False
        )

    op.create_table(
        "monitoring_evaluations",
        sa.Column("policy", sa.String(length=63), nullable=False),
        sa.Column("model_version", sa.String(length=512), nullable=False),
        sa.Column("first_seq", sa.BigInteger(), nullable=False),
        sa.Column("last_seq", sa.BigInteger(), nullable=False),
        sa.Column("labeled_records", sa.Integer(), nullable=False),
        sa.Column("evaluate_time", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("policy", "model_version", name=op.f("pk_monitoring_evaluations")),
    )
    op.create_table(
        "monitoring_policies",
        sa.Column("id", sa.String(length=63), nullable=False),
        sa.Column("model", sa.String(length=256), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("policy", sa.LargeBinary(), nullable=False),
        sa.Column("created_by", sa.String(length=256), nullable=False),
        sa.Column("create_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("update_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("etag", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_monitoring_policies")),
    )
    with op.batch_alter_table("monitoring_policies", schema=None) as batch_op:
        batch_op.create_index("ix_monitoring_policies_model", ["model"], unique=False)

    op.create_table(
        "monitoring_reports",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("model_version", sa.String(length=512), nullable=False),
        sa.Column("policy", sa.String(length=128), nullable=False),
        sa.Column("create_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("report", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_monitoring_reports")),
    )
    with op.batch_alter_table("monitoring_reports", schema=None) as batch_op:
        batch_op.create_index(
            "ix_monitoring_reports_version", ["model_version", "create_time"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("monitoring_predictions", schema=None) as batch_op:
        batch_op.drop_index("ix_monitoring_predictions_model_seq")
    with op.batch_alter_table("monitoring_reports", schema=None) as batch_op:
        batch_op.drop_index("ix_monitoring_reports_version")

    op.drop_table("monitoring_reports")
    with op.batch_alter_table("monitoring_policies", schema=None) as batch_op:
        batch_op.drop_index("ix_monitoring_policies_model")

    op.drop_table("monitoring_policies")
    op.drop_table("monitoring_evaluations")
    with op.batch_alter_table("monitoring_alerts", schema=None) as batch_op:
        batch_op.drop_index("ix_monitoring_alerts_open")
        batch_op.drop_index("ix_monitoring_alerts_model_fire")
        batch_op.drop_index("ix_monitoring_alerts_fire")

    op.drop_table("monitoring_alerts")
