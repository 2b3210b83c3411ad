"""reactions: remote Likes and Announces of group posts and meetups

Revision ID: 0007_fid_c
Revises: 0007_fid_b
Create Date: 2026-12-06 01:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import server.db

revision = "0007_fid_c"
down_revision = "0007_fid_b"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reactions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("activity_uri", sqlmodel.sql.sqltypes.AutoString(length=2048), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("actor_uri", sqlmodel.sql.sqltypes.AutoString(length=2048), nullable=False),
        sa.Column("object_uri", sqlmodel.sql.sqltypes.AutoString(length=2048), nullable=False),
        sa.Column("created_at", server.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("kind", "actor_uri", "object_uri"),
    )
    with op.batch_alter_table("reactions", schema=None) as batch_op:
        batch_op.create_index("ix_reactions_activity_uri", ["activity_uri"], unique=False)
        batch_op.create_index("ix_reactions_object_uri", ["object_uri"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("reactions", schema=None) as batch_op:
        batch_op.drop_index("ix_reactions_object_uri")
        batch_op.drop_index("ix_reactions_activity_uri")
    op.drop_table("reactions")
