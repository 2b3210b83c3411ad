"""Rotation: "your turn?" suggestions for open roles come from a history that leaves one
right answer — members who came to meetups, never-held first, then least recently held;
the suggested are told, and nobody is asked twice in a row."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlmodel import select

from server.activitypub.runtime import runtime_of
from server.models import Notification, RoleHolder, User
from tests.practice.conftest import Club, RunInDb, checked_in, meetup_at, role_ids
from tests.web import WebClient


async def _held(run_in_db: RunInDb, event_id: int, role_id: int, username: str) -> None:
    async def add(session: Any) -> None:
        user = (await session.exec(select(User).where(User.username == username))).one()
        session.add(RoleHolder(event_id=event_id, role_id=role_id, user_id=user.id))

    await run_in_db(add)


async def _asked(run_in_db: RunInDb) -> list[tuple[str, str]]:
    """(username, text) of every "your turn?" notification, in order."""

    async def read(session: Any) -> list[tuple[str, str]]:
        query = (
            select(User.username, Notification.text)
            .join(Notification, Notification.user_id == User.id)
            .where(Notification.kind == "role_nudge")
            .order_by(Notification.id)
        )
        return [(name, text) for name, text in (await session.exec(query)).all()]

    return list(await run_in_db(read))


async def test_your_turn_goes_to_who_never_or_least_recently_held_the_role(
    club: Club, web: WebClient, run_in_db: RunInDb
) -> None:
    for name in ("ana", "bo", "cy", "dee", "eve"):
        await club.add_member(name)
    await club.sign_in("organizer")
    first = await meetup_at(web, run_in_db, starts_in=timedelta(days=-21), title="March")
    second = await meetup_at(web, run_in_db, starts_in=timedelta(days=-14), title="April")
    third = await meetup_at(web, run_in_db, starts_in=timedelta(days=-7), title="May")
    roles = await role_ids(web, run_in_db, first)
    facilitator = roles["Facilitator"]
    # Ana facilitated twice (last in May), Bo once (April); Cy and Dee came but never did;
    # Eve never came to a meetup.
    await checked_in(run_in_db, first, "ana", "bo", "cy")
    await checked_in(run_in_db, second, "bo", "dee")
    await checked_in(run_in_db, third, "ana", "cy")
    await _held(run_in_db, first, facilitator, "ana")
    await _held(run_in_db, second, facilitator, "bo")
    await _held(run_in_db, third, facilitator, "ana")

    june = await meetup_at(web, run_in_db, starts_in=timedelta(days=1), title="June")
    await meetup_at(web, run_in_db, starts_in=timedelta(days=2, hours=12), title="July")
    # Dee is the June greeter, so is not suggested for anything else that night.
    await club.sign_in("dee")
    path = f"/events/{june}"
    await web.post_form(f"{path}/roles/{roles['Greeter']}/volunteer", csrf_from=path)

    await club.sign_in("organizer")
    page = await web.get(path)
    suggestions = page.text.split('<p class="muted role-suggestions">Your turn? ')[1:]
    facilitator_line = suggestions[0].split("</p>")[0]
    assert [part.split(" (@")[1].split(",")[0] for part in facilitator_line.split("<span")[1:]] == [
        "cy",
        "bo",
        "ana",
    ]
    assert "never yet" in facilitator_line.split("</span>")[0]
    rotation = await web.get("/groups/club/roles")
    assert "Your turn? <span" in rotation.text
    history = rotation.text.split("<h3>Facilitator</h3>")[1].split("</table>")[0]
    assert "ana (@ana)</td><td>2</td>" in history and "bo (@bo)</td><td>1</td>" in history

    # The organizer asks: one person per open role, each person once.
    asked = await web.post_form(f"{path}/roles/ask", csrf_from=path)
    assert asked.status_code == 303
    told = await _asked(run_in_db)
    assert [name for name, _ in told] == ["cy", "ana", "bo"]
    assert told[0][1].startswith("Your turn? Nobody is facilitator yet at “June”")
    assert "Note-taker" not in told[1][1] and "note-taker yet at “June”" in told[1][1]
    again = await web.post_form(f"{path}/roles/ask", csrf_from=path)
    assert again.status_code == 303 and len(await _asked(run_in_db)) == 3

    # July, asked by the worker: Cy, Ana and Bo were asked for June, so only Dee is asked.
    await runtime_of(web.app).worker.run_periodic(force=True)
    told = await _asked(run_in_db)
    assert [name for name, _ in told[3:]] == ["dee"]
    assert "facilitator yet at “July”" in told[3][1]
    assert "eve" not in {name for name, _ in told}
