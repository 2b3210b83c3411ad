"""The durable email queue: ``OutgoingEmail`` rows, written in the same transaction as what
they tell about (``notices.queue_email``), sent by the worker.

A round claims due rows in a short transaction of its own (``state = 'sending'``, the lease
kept in ``next_attempt_at``, ``SKIP LOCKED`` on PostgreSQL: the claim of
:mod:`server.services.leases`), commits, talks to the SMTP server outside any transaction,
then records each outcome. Two workers never send the same row; a worker that dies while
sending leaves its rows ``sending`` until the lease runs out, then they are due again (so an
email is sent at least once, and once in the ordinary case). A failure is retried with the
delivery queue's backoff (15 s, 16 s, 31 s, 96 s, 4.5 min, 11 min, 22 min…); after
``MAX_ATTEMPTS`` the row is ``failed`` with ``last_error`` for the admins.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, update
from sqlmodel.ext.asyncio.session import AsyncSession

from federation.retry import backoff_delay
from server.config import Settings
from server.db import session_factory, transaction, utcnow
from server.email import deliver_email
from server.models import EmailState, OutgoingEmail
from server.services.leases import claim_with_lease
from server.uris import LocalUris

#: Attempts before an email is given up (``failed``).
MAX_ATTEMPTS = 8
#: How long a claimed email is this worker's to send.
LEASE = timedelta(minutes=2)
#: Emails claimed per round.
BATCH = 20
#: How often the worker looks for email to send.
EVERY_SECONDS = 5.0

_CLAIM_SQL = """
UPDATE outgoing_emails
SET state = 'sending', attempts = attempts + 1, next_attempt_at = :until
WHERE id IN (
    SELECT id FROM outgoing_emails
    WHERE state IN ('pending', 'sending') AND next_attempt_at <= :now
      AND attempts < :max_attempts
    ORDER BY next_attempt_at, id
    LIMIT :limit {lock}
)
RETURNING id, to_address, subject, body, attempts
"""


@dataclass(frozen=True)
class ClaimedEmail:
    """An email this worker holds the lease on; ``attempts`` counts this one."""

    id: int
    to_address: str
    subject: str
    body: str
    attempts: int


async def claim_emails(
    session: AsyncSession, *, limit: int = BATCH, now: datetime | None = None
) -> list[ClaimedEmail]:
    """Lease up to ``limit`` due emails (commit to make the lease stick)."""
    rows = await claim_with_lease(
        session, _CLAIM_SQL, now, LEASE, limit=limit, max_attempts=MAX_ATTEMPTS
    )
    return [ClaimedEmail(*row) for row in rows]  # type: ignore[arg-type]


async def give_up_abandoned(session: AsyncSession, now: datetime) -> None:
    """Emails whose last attempt's worker died mid-send and that have no attempts left."""
    await session.exec(
        update(OutgoingEmail)
        .where(
            col(OutgoingEmail.state) == EmailState.SENDING,
            col(OutgoingEmail.next_attempt_at) <= now,
            col(OutgoingEmail.attempts) >= MAX_ATTEMPTS,
        )
        .values(state=EmailState.FAILED, last_error="the worker stopped while sending it")
    )


def after_failure(
    attempts: int, error: str, now: datetime, rand: random.Random
) -> dict[str, object]:
    """The row's new values after its ``attempts``-th attempt failed with ``error``."""
    if attempts >= MAX_ATTEMPTS:
        return {"state": EmailState.FAILED, "last_error": error[:500]}
    next_at = now + backoff_delay(attempts - 1, rand)
    return {"state": EmailState.PENDING, "next_attempt_at": next_at, "last_error": error[:500]}


async def record_email_outcome(
    session: AsyncSession,
    claimed: ClaimedEmail,
    error: str | None,
    *,
    now: datetime | None = None,
    rand: random.Random | None = None,
) -> None:
    """Mark the email sent, or schedule its next try (or give it up)."""
    now = now or utcnow()
    values: dict[str, object] = (
        {"state": EmailState.SENT, "sent_at": now, "last_error": ""}
        if error is None
        else after_failure(claimed.attempts, error, now, rand or random.Random())
    )
    await session.exec(
        update(OutgoingEmail).where(col(OutgoingEmail.id) == claimed.id).values(**values)
    )


async def send_due_emails(
    sessions: async_sessionmaker[AsyncSession], settings: Settings, *, now: datetime | None = None
) -> int:
    """Claim, send and record one batch of due emails; returns how many were sent."""
    if not settings.smtp.host:
        return 0
    now = now or utcnow()
    async with transaction(sessions) as session:
        await give_up_abandoned(session, now)
        claimed = await claim_emails(session, now=now)
    outcomes = [
        (email, await deliver_email(settings, email.to_address, email.subject, email.body))
        for email in claimed
    ]
    if outcomes:
        async with transaction(sessions) as session:
            for email, error in outcomes:
                await record_email_outcome(session, email, error, now=now)
    return sum(1 for _, error in outcomes if error is None)


async def send_queued_email(session: AsyncSession, uris: LocalUris) -> int:
    """The worker's periodic job. It claims and records in short transactions of its own, so
    no transaction stays open while the SMTP server answers; ``session`` only holds the
    worker's job lock."""
    if session.bind is None:
        return 0
    return await send_due_emails(session_factory(session.bind), uris.settings)  # type: ignore[arg-type]
