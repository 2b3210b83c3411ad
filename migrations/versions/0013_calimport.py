"""calendar imports: groups subscribed to external ICS calendars, and the meetups made from them

Revision ID: 0013_calimport
Revises: 0012_harden
Create Date: 2026-12-06 01:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import server.db

revision = "0013_calimport"
down_revision = "0012_harden"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "calendar_imports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("url", sqlmodel.sql.sqltypes.AutoString(length=2048), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("timezone", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", server.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("etag", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("last_modified", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("next_poll_at", server.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_polled_at", server.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_success_at", server.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("event_count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["group_id"], ["groups.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("calendar_imports", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_calendar_imports_group_id"), ["group_id"], unique=False
        )
        batch_op.create_index("ix_calendar_imports_next_poll", ["next_poll_at"], unique=False)

    op.create_table(
        "imported_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("import_id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("uid", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("recurrence_key", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("fingerprint", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("detached", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["event_id"], ["events.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["import_id"], ["calendar_imports.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("event_id"),
        sa.UniqueConstraint("import_id", "uid", "recurrence_key"),
    )
    with op.batch_alter_table("imported_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_imported_events_import_id"), ["import_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("imported_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_imported_events_import_id"))
    op.drop_table("imported_events")
    with op.batch_alter_table("calendar_imports", schema=None) as batch_op:
        batch_op.drop_index("ix_calendar_imports_next_poll")
        batch_op.drop_index(batch_op.f("ix_calendar_imports_group_id"))
    op.drop_table("calendar_imports")
