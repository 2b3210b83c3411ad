"""The email queue: queued emails reach a real SMTP server (aiosmtpd on 127.0.0.1) once;
a refusing or unreachable server is retried later, then given up; two workers never send the
same email; an email left by a worker that died is sent once its lease runs out."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlmodel import select

from server.activitypub.runtime import runtime_of
from server.config import Settings
from server.db import transaction, utcnow
from server.models import OutgoingEmail
from server.services.email_queue import (
    LEASE,
    MAX_ATTEMPTS,
    after_failure,
    claim_emails,
    send_due_emails,
)
from server.services.notices import queue_email
from tests.conftest import SettingsMaker
from tests.mailbox import Mailbox, running_mailbox
from tests.servers import free_port


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    with running_mailbox() as box:
        yield box


class Outbox:
    """An app's email queue, driven as the worker drives it, at chosen moments."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.settings: Settings = runtime_of(app).settings
        self.sessions = runtime_of(app).sessions

    async def queue(self, *addresses: str) -> None:
        async with transaction(self.sessions) as session:
            for address in addresses:
                email = await queue_email(
                    session, self.settings, address, "Hello", f"Dear {address}\n"
                )
                assert email is not None

    async def send(self, now: datetime | None = None) -> int:
        return await send_due_emails(self.sessions, self.settings, now=now)

    async def rows(self) -> list[OutgoingEmail]:
        async with transaction(self.sessions) as session:
            query = select(OutgoingEmail).order_by(OutgoingEmail.id)  # type: ignore[arg-type]
            return list((await session.exec(query)).all())


@pytest.fixture
def outbox(
    mailbox: Mailbox, settings_for: SettingsMaker, app_for: Callable[[Settings], Any]
) -> Outbox:
    return Outbox(app_for(settings_for(smtp=mailbox.smtp_settings())))


async def test_a_queued_email_is_sent_by_the_worker_once(outbox: Outbox, mailbox: Mailbox) -> None:
    await outbox.queue("ann@example.org")
    assert mailbox.messages == []
    await runtime_of(outbox.app).worker.run_periodic(force=True)
    await runtime_of(outbox.app).worker.run_periodic(force=True)
    assert await outbox.send() == 0

    [message] = mailbox.messages
    assert (message["To"], message["Subject"]) == ("ann@example.org", "Hello")
    assert message.get_content().strip() == "Dear ann@example.org"
    [row] = await outbox.rows()
    assert (row.state, row.attempts, row.last_error) == ("sent", 1, "")
    assert row.sent_at is not None


async def test_a_refused_email_is_tried_again_later_and_then_sent(
    outbox: Outbox, mailbox: Mailbox
) -> None:
    mailbox.refuse_next = 1
    await outbox.queue("ann@example.org")
    start = utcnow()
    assert await outbox.send(start) == 0
    [row] = await outbox.rows()
    assert (row.state, row.attempts) == ("pending", 1)
    assert "451" in row.last_error
    assert row.next_attempt_at >= start + timedelta(seconds=15)

    assert await outbox.send(start + timedelta(seconds=5)) == 0  # not due yet
    assert await outbox.send(row.next_attempt_at) == 1
    assert len(mailbox.messages) == 1
    [row] = await outbox.rows()
    assert (row.state, row.attempts, row.last_error) == ("sent", 2, "")


async def test_an_unreachable_server_is_given_up_after_max_attempts(
    settings_for: SettingsMaker, app_for: Callable[[Settings], Any]
) -> None:
    smtp = {"host": "127.0.0.1", "port": free_port(), "starttls": False}
    outbox = Outbox(app_for(settings_for(smtp=smtp)))
    await outbox.queue("ann@example.org")
    moment = utcnow()
    for _ in range(MAX_ATTEMPTS + 2):
        assert await outbox.send(moment) == 0
        moment += timedelta(days=1)
    [row] = await outbox.rows()
    assert (row.state, row.attempts) == ("failed", MAX_ATTEMPTS)
    assert "ConnectionRefusedError" in row.last_error


async def test_two_workers_never_send_the_same_email(outbox: Outbox, mailbox: Mailbox) -> None:
    addresses = [f"person{number}@example.org" for number in range(6)]
    await outbox.queue(*addresses)
    sent = await asyncio.gather(outbox.send(), outbox.send())
    assert sum(sent) == len(addresses)
    assert sorted(message["To"] for message in mailbox.messages) == sorted(addresses)
    assert {row.state for row in await outbox.rows()} == {"sent"}


async def test_an_email_left_by_a_dead_worker_is_sent_after_its_lease(
    outbox: Outbox, mailbox: Mailbox
) -> None:
    await outbox.queue("ann@example.org")
    start = utcnow()
    async with transaction(outbox.sessions) as session:
        [claimed] = await claim_emails(session, now=start)  # …and the worker dies
    assert claimed.to_address == "ann@example.org"

    assert await outbox.send(start + timedelta(seconds=30)) == 0
    assert await outbox.send(start + LEASE + timedelta(seconds=1)) == 1
    assert len(mailbox.messages) == 1
    [row] = await outbox.rows()
    assert (row.state, row.attempts) == ("sent", 2)


async def test_an_abandoned_email_without_attempts_left_is_given_up(
    outbox: Outbox, mailbox: Mailbox
) -> None:
    await outbox.queue("ann@example.org")
    moment = utcnow()
    mailbox.refuse_next = MAX_ATTEMPTS - 1
    for _ in range(MAX_ATTEMPTS - 1):
        await outbox.send(moment)
        moment += timedelta(days=1)
    async with transaction(outbox.sessions) as session:
        [claimed] = await claim_emails(session, now=moment)  # the last try; the worker dies
    assert claimed.attempts == MAX_ATTEMPTS
    assert await outbox.send(moment + LEASE + timedelta(seconds=1)) == 0
    [row] = await outbox.rows()
    assert (row.state, row.attempts) == ("failed", MAX_ATTEMPTS)
    assert mailbox.messages == []


async def test_without_smtp_nothing_is_queued_or_sent(
    settings: Settings, app_for: Callable[[Settings], Any]
) -> None:
    app = app_for(settings)
    async with transaction(runtime_of(app).sessions) as session:
        assert await queue_email(session, settings, "ann@example.org", "Hi", "Hi") is None
    assert await send_due_emails(runtime_of(app).sessions, settings) == 0


@pytest.mark.parametrize(
    ("attempts", "earliest", "latest"),
    [(1, 15, 24), (2, 16, 35), (4, 96, 173), (7, 1311, 2022)],
)
def test_a_failure_is_retried_with_growing_waits(
    attempts: int, earliest: float, latest: float
) -> None:
    now = utcnow()
    values = after_failure(attempts, "451 busy", now, random.Random(attempts))
    assert values["state"] == "pending" and values["last_error"] == "451 busy"
    wait = values["next_attempt_at"] - now  # type: ignore[operator]
    assert timedelta(seconds=earliest) <= wait <= timedelta(seconds=latest)


def test_the_last_failure_gives_up() -> None:
    values = after_failure(MAX_ATTEMPTS, "x" * 900, utcnow(), random.Random(0))
    assert values == {"state": "failed", "last_error": "x" * 500}
