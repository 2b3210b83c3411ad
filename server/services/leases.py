"""Claiming rows with a lease, shared by the durable queues (deliveries, stored inbox
activities, outgoing email): one ``UPDATE … RETURNING`` over due rows, with ``FOR UPDATE
SKIP LOCKED`` on PostgreSQL so workers in several processes never claim the same row."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from server.db import utcnow


async def claim_with_lease(
    session: AsyncSession, sql: str, now: datetime | None, lease: timedelta, **params: object
) -> list[tuple[object, ...]]:
    """Run a claiming ``UPDATE … RETURNING`` (``sql`` has a ``{lock}`` slot and the
    ``:now`` and ``:until`` parameters; ``params`` are the others)."""
    now = now or utcnow()
    dialect = session.bind.dialect.name if session.bind else "sqlite"
    lock = "FOR UPDATE SKIP LOCKED" if dialect == "postgresql" else ""
    times = {"until": _param(now + lease, dialect), "now": _param(now, dialect)}
    statement = text(sql.format(lock=lock)).bindparams(**times, **params)
    return [tuple(row) for row in (await session.exec(statement)).all()]  # type: ignore[call-overload]


def _param(moment: datetime, dialect: str) -> datetime:
    """Datetimes in raw SQL: naive UTC on SQLite (as UTCDateTime stores them)."""
    return moment.replace(tzinfo=None) if dialect == "sqlite" else moment
