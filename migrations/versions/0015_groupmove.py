"""groups remember the actors they were (alsoKnownAs) and the one they moved to (movedTo)

Revision ID: 0015_groupmove
Revises: 0014_fid_c
Create Date: 2026-12-06 01:55:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0015_groupmove"
down_revision = "0014_fid_c"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("groups", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("also_known_as", sa.Text(), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column(
                "moved_to",
                sqlmodel.sql.sqltypes.AutoString(length=2048),
                nullable=False,
                server_default="",
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("groups", schema=None) as batch_op:
        batch_op.drop_column("moved_to")
        batch_op.drop_column("also_known_as")
