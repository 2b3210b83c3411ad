"""Alembic environment: runs on a connection handed over by ``server.migrate``."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import server.models  # noqa: F401  (registers every table)

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
