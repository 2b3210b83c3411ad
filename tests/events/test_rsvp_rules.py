"""The RSVP rules every dialect shares: seats, the waitlist, promotion, organizer approval."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from server.errors import Forbidden, InvalidInput
from server.services import rsvp
from server.services.rsvp import Attendee
from tests.events.conftest import Organizer


def person(number: int) -> Attendee:
    return Attendee.remote(f"https://peer.test/users/p{number}")


async def answer(run_in_db: Callable[..., Any], event_id: int, who: Attendee, what: str) -> Any:
    async def change(session: Any) -> Any:
        event = await rsvp.lock_event(session, event_id)
        return await rsvp.respond(session, event, who, what, via="api")

    return await run_in_db(change)


async def counts(run_in_db: Callable[..., Any], event_id: int) -> rsvp.Counts:
    async def read(session: Any) -> rsvp.Counts:
        return await rsvp.counts(session, await rsvp.lock_event(session, event_id))

    return await run_in_db(read)


async def test_eleventh_answer_to_ten_seats_is_waitlisted_and_promoted_when_one_leaves(
    organizer: Organizer, run_in_db: Callable[..., Any]
) -> None:
    event_id = await organizer.create_event_id(capacity=10)
    for number in range(10):
        result = await answer(run_in_db, event_id, person(number), "going")
        assert result.participation.status == "going"
    eleventh = await answer(run_in_db, event_id, person(10), "going")
    twelfth = await answer(run_in_db, event_id, person(11), "going")
    assert (eleventh.participation.status, eleventh.waitlist_position) == ("waitlisted", 1)
    assert (twelfth.participation.status, twelfth.waitlist_position) == ("waitlisted", 2)
    assert await counts(run_in_db, event_id) == rsvp.Counts(going=10, waitlisted=2)

    left = await answer(run_in_db, event_id, person(3), "not_going")
    assert [p.actor_uri for p in left.promoted] == [person(10).actor_uri]
    assert await counts(run_in_db, event_id) == rsvp.Counts(going=10, waitlisted=1, not_going=1)

    async def position_of_twelfth(session: Any) -> int | None:
        event = await rsvp.lock_event(session, event_id)
        found = await rsvp.find(session, event, person(11))
        return await rsvp.waitlist_position(session, found)

    assert await run_in_db(position_of_twelfth) == 1


async def test_same_answer_twice_changes_nothing(
    organizer: Organizer, run_in_db: Callable[..., Any]
) -> None:
    event_id = await organizer.create_event_id(capacity=1)
    first = await answer(run_in_db, event_id, person(1), "going")
    again = await answer(run_in_db, event_id, person(1), "going")
    assert first.changed and not again.changed
    waiting = await answer(run_in_db, event_id, person(2), "going")
    still = await answer(run_in_db, event_id, person(2), "going")
    assert waiting.waitlist_position == still.waitlist_position == 1
    assert await counts(run_in_db, event_id) == rsvp.Counts(going=1, waitlisted=1)


async def test_withdrawing_frees_the_seat_for_the_waitlist(
    organizer: Organizer, run_in_db: Callable[..., Any]
) -> None:
    event_id = await organizer.create_event_id(capacity=1)
    await answer(run_in_db, event_id, person(1), "going")
    await answer(run_in_db, event_id, person(2), "maybe")
    await answer(run_in_db, event_id, person(3), "going")

    async def leave(session: Any) -> rsvp.RsvpResult:
        return await rsvp.withdraw(session, await rsvp.lock_event(session, event_id), person(1))

    result = await run_in_db(leave)
    assert [p.actor_uri for p in result.promoted] == [person(3).actor_uri]
    assert await counts(run_in_db, event_id) == rsvp.Counts(going=1, maybe=1)


async def test_raising_capacity_promotes_in_order(
    organizer: Organizer, run_in_db: Callable[..., Any]
) -> None:
    event_id = await organizer.create_event_id(capacity=1)
    for number in range(4):
        await answer(run_in_db, event_id, person(number), "going")

    async def raise_to_three(session: Any) -> list[str | None]:
        event = await rsvp.lock_event(session, event_id)
        event.capacity = 3
        return [p.actor_uri for p in await rsvp.fill_from_waitlist(session, event)]

    assert await run_in_db(raise_to_three) == [person(1).actor_uri, person(2).actor_uri]


async def test_restricted_event_waits_for_the_organizer(
    organizer: Organizer, run_in_db: Callable[..., Any]
) -> None:
    event_id = await organizer.create_event_id(join_mode="restricted", capacity=1)
    asked = await answer(run_in_db, event_id, person(1), "going")
    other = await answer(run_in_db, event_id, person(2), "going")
    assert asked.participation.status == other.participation.status == "pending"
    assert await counts(run_in_db, event_id) == rsvp.Counts(pending=2)

    async def decide(who: Attendee, approve: bool) -> rsvp.RsvpResult:
        async def run(session: Any) -> rsvp.RsvpResult:
            event = await rsvp.lock_event(session, event_id)
            found = await rsvp.find(session, event, who)
            return await rsvp.decide(session, event, found, approve=approve)

        return await run_in_db(run)

    assert (await decide(person(1), True)).participation.status == "going"
    assert (await decide(person(2), True)).participation.status == "waitlisted"
    with pytest.raises(Forbidden):
        await _reject_then_retry(run_in_db, event_id, decide)


async def _reject_then_retry(run_in_db: Callable[..., Any], event_id: int, decide: Any) -> None:
    """Person 3 asks, is turned down, and asks again (which must be refused)."""
    await answer(run_in_db, event_id, person(3), "going")
    assert (await decide(person(3), False)).participation.status == "rejected"
    await answer(run_in_db, event_id, person(3), "going")


async def test_members_only_and_closed_events_refuse_answers(
    organizer: Organizer, run_in_db: Callable[..., Any]
) -> None:
    members_only = await organizer.create_event_id(visibility="members")
    with pytest.raises(Forbidden):
        await answer(run_in_db, members_only, person(1), "going")
    external = await organizer.create_event_id(
        join_mode="external", external_url="https://tickets.example/x"
    )
    with pytest.raises(InvalidInput):
        await answer(run_in_db, external, person(1), "going")
    with pytest.raises(InvalidInput):
        await answer(run_in_db, external, person(1), "sure")
