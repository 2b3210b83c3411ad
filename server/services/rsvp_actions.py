"""RSVP use cases: the one entry point for answering a meetup, withdrawing the answer and an
organizer's decision on a request to attend, whoever calls (the web page, the API, a remote
server's ``Join``, ``Accept``, poll vote or keyword reply).

Each holds the lookup (the meetup locked so seats are not oversold, members-only meetups a 404
to people who may not see them), the permission checks, the state change through
:mod:`server.services.rsvp` and the telling of people (:mod:`server.services.rsvp_notify`:
notifications, direct messages, a dialect's own answer). Callers turn the outcome into a page,
a JSON body or an inbox outcome.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel.ext.asyncio.session import AsyncSession

from server.config import Settings
from server.errors import Forbidden, NotFound
from server.i18n import _
from server.models import Event, Group, Participation, RsvpStatus, User
from server.services import membership as members
from server.services import rsvp
from server.services.rsvp_notify import announce, announce_decision, status_text

#: Who answers: a local user, or a remote actor named by its id.
Person = User | str


@dataclass
class Answered:
    """What an answer or a decision changed, and the sentence that tells the person."""

    event: Event
    group: Group
    result: rsvp.RsvpResult

    @property
    def participation(self) -> Participation:
        """The answer as it stands (not for a withdrawal)."""
        assert self.result.participation is not None
        return self.result.participation

    @property
    def message(self) -> str:
        """Where the person stands now, in one sentence."""
        return status_text(self.event, self.participation, self.result.waitlist_position)


async def locked_meetup(
    session: AsyncSession, event_id: int, viewer: User | None = None
) -> tuple[Event, Group]:
    """The meetup (locked for an RSVP change) and its group. With ``viewer`` (a local person),
    a members-only meetup is a 404 unless they may see it; remote people's eligibility is
    checked by :func:`server.services.rsvp.respond`."""
    event = await rsvp.lock_event(session, event_id)
    group = await session.get(Group, event.group_id)
    if group is None:
        raise NotFound(_("No such meetup."))
    if viewer is not None and event.visibility == "members":
        membership = await members.get_membership(session, group, viewer)
        if not members.may(viewer, membership, "see_members"):
            raise NotFound(_("No such meetup."))
    return event, group


def _attendee(person: Person) -> rsvp.Attendee:
    return rsvp.Attendee.remote(person) if isinstance(person, str) else rsvp.Attendee.local(person)


def _viewer(person: Person) -> User | None:
    return None if isinstance(person, str) else person


async def answer(
    session: AsyncSession,
    settings: Settings,
    event_id: int,
    person: Person,
    answer: str,
    *,
    via: str,
    activity_uri: str = "",
) -> Answered:
    """Record a person's answer (new or changed) and tell whom it concerns.

    A local person sees where they stand on the page or in the API's answer; a remote one is
    told by a direct message, except for a Mobilizon ``Join`` that got its seat (the
    ``Accept`` says so). People promoted from the waitlist are told either way.
    """
    event, group = await locked_meetup(session, event_id, _viewer(person))
    result = await rsvp.respond(
        session, event, _attendee(person), answer, via=via, activity_uri=activity_uri
    )
    status = result.participation.status if result.participation else ""
    tell_self = isinstance(person, str) and (
        via != "join" or status in (RsvpStatus.WAITLISTED, RsvpStatus.PENDING)
    )
    await announce(session, settings, group, event, result, tell_self=tell_self)
    return Answered(event, group, result)


async def withdraw(
    session: AsyncSession, settings: Settings, event_id: int, person: Person
) -> Answered:
    """Remove a person's answer (a seat taken goes to the first on the waitlist, who is told);
    ``result.previous`` is None when there was no answer."""
    event, group = await locked_meetup(session, event_id, _viewer(person))
    result = await rsvp.withdraw(session, event, _attendee(person))
    await announce(session, settings, group, event, result, tell_self=False)
    return Answered(event, group, result)


async def decide(
    session: AsyncSession,
    settings: Settings,
    event_id: int,
    participation_id: int,
    organizer: User,
    *,
    approve: bool,
    note: str = "",
) -> Answered:
    """An organizer approves or turns down a request to attend a restricted meetup; the
    person is told the decision."""
    event, group = await locked_meetup(session, event_id, organizer)
    membership = await members.get_membership(session, group, organizer)
    if not members.may(organizer, membership, "moderate"):
        raise Forbidden(_("Only the group's organizers decide on requests to attend."))
    participation = await session.get(Participation, participation_id)
    if participation is None:
        raise NotFound(_("No such request to attend."))
    result = await rsvp.decide(session, event, participation, approve=approve, note=note)
    await announce_decision(session, settings, group, event, result)
    return Answered(event, group, result)
