"""Training jobs: the queue that workers claim from, with heartbeats and attempts.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "training_jobs",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("job_id", sa.String(length=64), nullable=False),
        sa.Column("model", sa.String(length=256), nullable=False),
        sa.Column("task", sa.String(length=32), nullable=False),
        sa.Column("spec", sa.Text(), nullable=False),
        sa.Column("max_runtime_seconds", sa.Float(), nullable=False),
        sa.Column("alias_on_success", sa.String(length=64), nullable=False),
        sa.Column("trigger", sa.String(length=32), nullable=False),
        sa.Column("trigger_source", sa.String(length=1024), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("parent_version", sa.String(length=512), nullable=False),
        sa.Column("labels", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("progress", sa.Text(), nullable=False),
        sa.Column("failure_category", sa.String(length=32), nullable=False),
        sa.Column("failure_message", sa.Text(), nullable=False),
        sa.Column("failure_retryable", sa.Boolean(), nullable=False),
        sa.Column("attempt_count", sa.Integer(), nullable=False),
        sa.Column("worker", sa.String(length=255), nullable=False),
        sa.Column("heartbeat_time", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempt_start_time", sa.DateTime(timezone=True), nullable=True),
        sa.Column("registration_key", sa.String(length=128), nullable=False),
        sa.Column("created_by", sa.String(length=255), nullable=False),
        sa.Column("cancelled_by", sa.String(length=255), nullable=False),
        sa.Column("cancel_reason", sa.Text(), nullable=False),
        sa.Column("create_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("start_time", sa.DateTime(timezone=True), nullable=True),
        sa.Column("end_time", sa.DateTime(timezone=True), nullable=True),
        sa.Column("update_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("model_version", sa.String(length=512), nullable=False),
        sa.Column("metrics", sa.Text(), nullable=False),
        sa.Column("best_params", sa.Text(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_training_jobs")),
        sa.UniqueConstraint("job_id", name=op.f("uq_training_jobs_job_id")),
    )
    with op.batch_alter_table("training_jobs", schema=None) as batch_op:
        batch_op.create_index(
            "ix_training_jobs_created_by_seq", ["created_by", "seq"], unique=False
        )
        batch_op.create_index("ix_training_jobs_model_seq", ["model", "seq"], unique=False)
        batch_op.create_index("ix_training_jobs_state_seq", ["state", "seq"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("training_jobs", schema=None) as batch_op:
        batch_op.drop_index("ix_training_jobs_state_seq")
        batch_op.drop_index("ix_training_jobs_model_seq")
        batch_op.drop_index("ix_training_jobs_created_by_seq")

    op.drop_table("training_jobs")
