"""meetups and proposals keep the tag array (mentions and hashtags) of their text

Revision ID: 0014_fid_c
Revises: 0013_calimport
Create Date: 2026-12-06 01:15:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014_fid_c"
down_revision = "0013_calimport"
branch_labels = None
depends_on = None

TABLES = ("events", "proposals")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(
                sa.Column("tags_json", sa.Text(), nullable=False, server_default="")
            )


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("tags_json")
