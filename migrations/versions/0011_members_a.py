"""members' email choices per notification category

Revision ID: 0011_members_a
Revises: 0010_practice
Create Date: 2026-12-06 00:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0011_members_a"
down_revision = "0010_practice"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "email_choices",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("category", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("email", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id", "category"),
    )
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.create_index(
            "ix_notifications_user_unread", ["user_id", "read_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_index("ix_notifications_user_unread")
    op.drop_table("email_choices")
