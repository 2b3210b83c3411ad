"""relayed posts as peers send them: title, content warning, attachments

Revision ID: 0007_fid_b
Revises: 0006
Create Date: 2026-12-06 00:55:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0007_fid_b"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("relayed_posts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "title",
                sqlmodel.sql.sqltypes.AutoString(length=300),
                nullable=False,
                server_default="",
            )
        )
        batch_op.add_column(
            sa.Column(
                "summary",
                sqlmodel.sql.sqltypes.AutoString(length=1000),
                nullable=False,
                server_default="",
            )
        )
        batch_op.add_column(
            sa.Column("sensitive", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column("attachments_json", sa.Text(), nullable=False, server_default="[]")
        )


def downgrade() -> None:
    with op.batch_alter_table("relayed_posts", schema=None) as batch_op:
        batch_op.drop_column("attachments_json")
        batch_op.drop_column("sensitive")
        batch_op.drop_column("summary")
        batch_op.drop_column("title")
