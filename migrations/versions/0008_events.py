"""remote events keep their picture and hashtags (My calendar shows them)

Revision ID: 0008_events
Revises: 0007_fid_c
Create Date: 2026-12-06 01:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0008_events"
down_revision = "0007_fid_c"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("remote_events", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "image_url",
                sqlmodel.sql.sqltypes.AutoString(length=2048),
                nullable=False,
                server_default="",
            )
        )
        batch_op.add_column(sa.Column("tags", sa.Text(), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("remote_events", schema=None) as batch_op:
        batch_op.drop_column("tags")
        batch_op.drop_column("image_url")
