"""Reminders before meetups: every attendee who is going gets one reminder — a notification
and an email for local people (a real SMTP server receives it), a direct message for people on
other servers — once per meetup, however often the worker runs, after a restart, and with two
workers at once."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import select

from server.activitypub.runtime import runtime_of
from server.app import create_app
from server.db import create_engine, session_factory, transaction, utcnow
from server.models import Event, Notification, Participation, User
from server.services import rsvp
from server.services.reminders import send_due_reminders
from server.services.rsvp import Attendee
from tests.events.conftest import FORM
from tests.federation_net import FederationNet, Instance
from tests.flows.peer import JsonObject, Peer, PeerActor
from tests.flows.scenes import follow_from_peer, organize_group, rows
from tests.mailbox import Mailbox, running_mailbox
from tests.web import WebClient

SLUG = "club"
ONLINE = "https://meet.example/club"


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    with running_mailbox() as box:
        yield box


@dataclasses.dataclass
class Club:
    """An instance with a group, a local member (alice) and a remote follower (rita)."""

    net: FederationNet
    instance: Instance
    peer: Peer
    rita: PeerActor
    alice: User

    @property
    def worker(self) -> Any:
        return runtime_of(self.instance.app).worker


@pytest.fixture
async def club(net: FederationNet, peer: Peer, mailbox: Mailbox) -> AsyncIterator[Club]:
    instance = await net.add("b", smtp=mailbox.smtp_settings())
    await organize_group(instance, SLUG)
    rita = peer.add_actor("rita")
    await follow_from_peer(net, peer, rita, instance, SLUG)
    alice = await instance.web.make_user("alice")
    yield Club(net, instance, peer, rita, alice)


def form_starting(starts_in: timedelta, **changes: str) -> dict[str, str]:
    """The meetup form for a meetup ``starts_in`` from now (UTC wall clock), one hour long."""
    return form_at((utcnow() + starts_in).replace(second=0, microsecond=0), **changes)


def form_at(start: datetime, **changes: str) -> dict[str, str]:
    """The meetup form for a meetup starting at ``start`` (UTC), one hour long."""
    start = start.astimezone(UTC)
    end = start + timedelta(hours=1)
    return {
        **FORM,
        "title": "Repair café",
        "timezone": "UTC",
        "start_date": start.date().isoformat(),
        "start_time": start.strftime("%H:%M"),
        "end_date": end.date().isoformat(),
        "end_time": end.strftime("%H:%M"),
        "online_url": ONLINE,
        **changes,
    }


async def new_meetup(web: WebClient, starts_in: timedelta, **changes: str) -> int:
    """The organizer publishes a meetup through the form; returns its id."""
    path = f"/groups/{SLUG}/events/new"
    response = await web.post_form(path, form_starting(starts_in, **changes), csrf_from=path)
    assert response.status_code == 303, response.text
    return int(response.headers["location"].rsplit("/", 1)[1])


async def answer(instance: Instance, event_id: int, who: Attendee, what: str) -> None:
    async def change(session: Any) -> None:
        event = await rsvp.lock_event(session, event_id)
        await rsvp.respond(session, event, who, what, via="api")

    await instance.run(change)


async def reminders_of(club: Club) -> list[Notification]:
    return await rows(
        club.instance,
        Notification,
        Notification.user_id == club.alice.id,
        Notification.kind == "reminder",
    )


def direct_messages(club: Club) -> list[JsonObject]:
    """The reminder notes the peer received for rita."""
    notes = []
    for received in club.peer.posts():
        activity = received.json()
        note = activity.get("object")
        if (
            activity.get("type") == "Create"
            and isinstance(note, dict)
            and club.rita.uri in note.get("to", [])
            and "Reminder" in note.get("content", "")
        ):
            notes.append(note)
    return notes


async def run_worker(club: Club) -> None:
    """One forced round of the periodic jobs, then deliver what they queued."""
    await club.worker.run_periodic(force=True)
    await club.net.drain()


async def restart(club: Club) -> None:
    """Stop the instance and start a new app and worker on the same database."""
    net, old = club.net, club.instance
    await old.engine.dispose()
    engine = create_engine(old.settings.database_url, old.settings.database.schema)
    app = create_app(old.settings, http=net.http, engine=engine, run_worker=False)
    net.router.add(old.settings.instance.domain, app)
    club.instance = dataclasses.replace(old, app=app, engine=engine)
    net.instances[old.name] = club.instance


async def test_each_attendee_is_reminded_exactly_once_even_across_a_restart(
    club: Club, mailbox: Mailbox
) -> None:
    event_id = await new_meetup(club.instance.web, timedelta(hours=5))
    await answer(club.instance, event_id, Attendee.local(club.alice), "going")
    await answer(club.instance, event_id, Attendee.remote(club.rita.uri), "going")

    await run_worker(club)
    await run_worker(club)
    await restart(club)
    await run_worker(club)

    url = f"https://b.test/events/{event_id}"
    [email] = mailbox.to("alice@example.org")
    assert email["Subject"] == "Reminder: Repair café"
    body = email.get_content()
    assert "“Repair café” is coming up" in body
    assert "(UTC) · Community hall, Lyon" in body
    assert "Address: 12 Main St." in body and ONLINE in body and url in body
    [notification] = await reminders_of(club)
    assert notification.link == f"/events/{event_id}"
    [note] = direct_messages(club)
    assert "Repair café" in note["content"] and url in note["content"]
    assert note["to"] == [club.rita.uri]
    assert [tag["href"] for tag in note["tag"]] == [club.rita.uri]
    reminded = await rows(club.instance, Participation, Participation.event_id == event_id)
    assert all(row.reminded_at is not None for row in reminded)


async def test_nobody_is_reminded_outside_the_rules(club: Club, mailbox: Mailbox) -> None:
    web = club.instance.web
    alice = Attendee.local(club.alice)
    too_early = await new_meetup(web, timedelta(days=3))  # 1 day before: not yet
    short = await new_meetup(web, timedelta(hours=5), remind_minutes="60")
    silent = await new_meetup(web, timedelta(hours=5), remind_minutes="0")
    started = await new_meetup(web, timedelta(minutes=-30))
    cancelled = await new_meetup(web, timedelta(hours=5))
    for event_id in (too_early, short, silent, started, cancelled):
        await answer(club.instance, event_id, alice, "going")
    cancel = await web.post_form(
        f"/events/{cancelled}/cancel", {}, csrf_from=f"/events/{cancelled}/edit"
    )
    assert cancel.status_code == 303, cancel.text
    full = await new_meetup(web, timedelta(hours=5), capacity="1")
    await answer(club.instance, full, Attendee.remote("https://peer.test/users/first"), "going")
    await answer(club.instance, full, alice, "going")  # waitlisted
    await answer(club.instance, full, Attendee.remote(club.rita.uri), "maybe")
    unsure = await new_meetup(web, timedelta(hours=5))
    await answer(club.instance, unsure, alice, "not_going")

    await run_worker(club)

    assert await reminders_of(club) == []
    # The one email: the cancelled meetup's news, not a reminder.
    assert [message["Subject"].split(":")[0] for message in mailbox.messages] == ["Cancelled"]
    assert direct_messages(club) == []


async def test_an_answer_given_inside_the_window_is_still_reminded(
    club: Club, mailbox: Mailbox
) -> None:
    event_id = await new_meetup(club.instance.web, timedelta(hours=2))
    await run_worker(club)
    assert await reminders_of(club) == []

    await answer(club.instance, event_id, Attendee.local(club.alice), "going")
    await run_worker(club)
    await answer(club.instance, event_id, Attendee.local(club.alice), "not_going")
    await answer(club.instance, event_id, Attendee.local(club.alice), "going")
    await run_worker(club)
    assert len(await reminders_of(club)) == 1
    assert len(mailbox.to("alice@example.org")) == 1


async def test_a_moved_meetup_reminds_again_before_its_new_start(
    club: Club, mailbox: Mailbox
) -> None:
    web = club.instance.web
    event_id = await new_meetup(web, timedelta(hours=5))
    await answer(club.instance, event_id, Attendee.local(club.alice), "going")
    await run_worker(club)
    assert len(await reminders_of(club)) == 1

    [event] = await rows(club.instance, Event, Event.id == event_id)
    same_time = await web.post_form(  # the stored start: a minute may have turned since
        f"/events/{event_id}/edit",
        form_at(event.starts_at, title="Repair café (bring tools)"),
        csrf_from=f"/events/{event_id}/edit",
    )
    assert same_time.status_code == 303
    await run_worker(club)
    assert len(await reminders_of(club)) == 1  # retitled, not moved: no second reminder

    moved = await web.post_form(
        f"/events/{event_id}/edit",
        form_starting(timedelta(days=3)),
        csrf_from=f"/events/{event_id}/edit",
    )
    assert moved.status_code == 303
    await run_worker(club)
    assert len(await reminders_of(club)) == 1  # the new window has not opened yet

    [event] = await rows(club.instance, Event, Event.id == event_id)
    await remind_at(club.instance, event.starts_at - timedelta(hours=23))
    await club.net.drain()
    assert len(await reminders_of(club)) == 2
    await club.worker.run_periodic(force=True)
    subjects = [message["Subject"] for message in mailbox.to("alice@example.org")]
    assert sorted(subject.split(":")[0] for subject in subjects) == [
        "Changed",  # the retitling and the move are news too
        "Changed",
        "Reminder",
        "Reminder",
    ]


async def remind_at(instance: Instance, now: datetime) -> int:
    """Run the reminder job as if it were ``now``."""

    async def job(session: Any) -> int:
        return await send_due_reminders(session, instance.uris, now=now)

    result: int = await instance.run(job)
    return result


async def test_two_workers_at_once_send_each_reminder_once(club: Club, mailbox: Mailbox) -> None:
    web = club.instance.web
    bob = await web.make_user("bob")
    event_id = await new_meetup(web, timedelta(hours=5))
    for who in (club.alice, bob):
        await answer(club.instance, event_id, Attendee.local(who), "going")
    await answer(club.instance, event_id, Attendee.remote(club.rita.uri), "going")

    sessions = session_factory(club.instance.engine)

    async def one_worker() -> int:
        async with transaction(sessions) as session:
            return await send_due_reminders(session, club.instance.uris)

    claimed = await asyncio.gather(one_worker(), one_worker())
    assert sorted(claimed) == [0, 3]
    await run_worker(club)

    async def reminded_users(session: Any) -> list[int]:
        query = select(Notification.user_id).where(Notification.kind == "reminder")
        return sorted((await session.exec(query)).all())

    assert await club.instance.run(reminded_users) == sorted([club.alice.id, bob.id])
    assert sorted(m["To"] for m in mailbox.messages) == ["alice@example.org", "bob@example.org"]
    assert len(direct_messages(club)) == 1
