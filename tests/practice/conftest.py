"""A club with members and meetups placed in time, for the practice-grounds tests."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlmodel import select

from server.db import utcnow
from server.models import CheckIn, Event, MeetupRole, User
from tests.decisions.conftest import Club, club  # noqa: F401 (the fixture)
from tests.events.conftest import FORM
from tests.web import WebClient

RunInDb = Callable[..., Any]


async def meetup_at(
    web: WebClient, run_in_db: RunInDb, *, starts_in: timedelta, hours: float = 2, **form: str
) -> int:
    """A meetup of ``club`` created on the web by the signed-in organizer, then moved to
    start ``starts_in`` from now (negative: it began already)."""
    data = {**FORM, **form}
    response = await web.post_form(
        "/groups/club/events/new", data, csrf_from="/groups/club/events/new"
    )
    assert response.status_code == 303, response.text
    event_id = int(response.headers["location"].rsplit("/", 1)[1])

    async def move(session: Any) -> None:
        event = await session.get(Event, event_id)
        event.starts_at = utcnow() + starts_in
        event.ends_at = event.starts_at + timedelta(hours=hours)
        session.add(event)

    await run_in_db(move)
    return event_id


async def checked_in(run_in_db: RunInDb, event_id: int, *usernames: str) -> None:
    """These members were at the meetup (as if they had scanned its code)."""

    async def add(session: Any) -> None:
        for name in usernames:
            user = (await session.exec(select(User).where(User.username == name))).one()
            session.add(CheckIn(event_id=event_id, user_id=user.id))

    await run_in_db(add)


async def role_ids(web: WebClient, run_in_db: RunInDb, event_id: int) -> dict[str, int]:
    """Role name -> id of the club's roles (after the meetup page showed them)."""
    assert (await web.get(f"/events/{event_id}")).status_code == 200

    async def read(session: Any) -> dict[str, int]:
        roles = (await session.exec(select(MeetupRole))).all()
        return {role.name: role.id for role in roles}

    return dict(await run_in_db(read))


__all__ = ["Club", "checked_in", "meetup_at", "role_ids"]
