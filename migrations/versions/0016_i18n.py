"""members choose their language; groups write in one

Revision ID: 0016_i18n
Revises: 0015_groupmove
Create Date: 2026-12-06 03:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0016_i18n"
down_revision = "0015_groupmove"
branch_labels = None
depends_on = None


def _language_column() -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(
        "language", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False, server_default=""
    )


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(_language_column())
    with op.batch_alter_table("groups", schema=None) as batch_op:
        batch_op.add_column(_language_column())


def downgrade() -> None:
    with op.batch_alter_table("groups", schema=None) as batch_op:
        batch_op.drop_column("language")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("language")
