"""Alembic environment: runs on a connection handed over by ``server.migrate``."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import server.models
import server.models_calendar_import
import server.models_decisions
import server.models_events
import server.models_federation
import server.models_membership
import server.models_moderation
import server.models_practice  # noqa: F401

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations with `hearth migrate`, which supplies the connection")

context.configure(
    connection=connection,
    target_metadata=SQLModel.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
