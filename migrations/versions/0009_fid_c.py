"""group posts keep their tag array (mentions and hashtags)

Revision ID: 0009_fid_c
Revises: 0008_events
Create Date: 2026-12-06 01:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_fid_c"
down_revision = "0008_events"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("group_posts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("tags_json", sa.Text(), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("group_posts", schema=None) as batch_op:
        batch_op.drop_column("tags_json")
