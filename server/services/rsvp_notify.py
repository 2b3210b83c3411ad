"""What people are told after an RSVP change, whichever way it came in.

:func:`announce` tells the person who answered (when ``tell_self``: remote dialects, where the
answer has no page to show it), everyone promoted from the waitlist, and — for organizer
decisions — the person decided about. Local users get a notification; remote people a direct
message from the group. Dialect-specific answers (Mobilizon's ``Accept``/``Reject`` of a
``Join``) are added by the federation side through :data:`REMOTE_ANSWERERS`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlmodel.ext.asyncio.session import AsyncSession

from federation.events_build import event_summary
from server.config import Settings
from server.models import Event, Group, Participation, RsvpStatus
from server.services.notices import tell_participant
from server.services.rsvp import RsvpResult

#: Called for every remote participation whose status was changed, with its previous status:
#: lets a dialect answer in its own vocabulary (e.g. Accept{Join}). Registered at import by
#: the federation modules.
RemoteAnswerer = Callable[
    [AsyncSession, Settings, Group, Event, Participation, RsvpStatus | None], Awaitable[None]
]
REMOTE_ANSWERERS: list[RemoteAnswerer] = []


def when_text(event: Event) -> str:
    """When (and where) the event is, as people read it."""
    try:
        return event_summary(
            event.starts_at,
            event.ends_at,
            event.timezone,
            event.all_day,
            event.venue_name or None,
            event.locality or None,
            bool(event.online_url),
        )
    except ValueError:
        return event.starts_at.isoformat()


def status_text(event: Event, participation: Participation, position: int | None) -> str:
    """One sentence telling the person where they stand."""
    title = f"“{event.title}” ({when_text(event)})"
    status = participation.status
    if status == RsvpStatus.GOING:
        return f"You're going to {title}."
    if status == RsvpStatus.MAYBE:
        return f"You might go to {title}: noted as maybe."
    if status == RsvpStatus.NOT_GOING:
        return f"Noted: you can't make it to {title}."
    if status == RsvpStatus.WAITLISTED:
        where = f"#{position} on the waitlist" if position else "on the waitlist"
        return f"{title} is full: you are {where}. We'll tell you if a seat frees up."
    if status == RsvpStatus.PENDING:
        return f"Your request to attend {title} was sent to the organizers."
    if status == RsvpStatus.REJECTED:
        reason = f" ({participation.note})" if participation.note else ""
        return f"The organizers could not accept you for {title}{reason}."
    return f"Your answer to {title} was recorded."


async def announce(
    session: AsyncSession,
    settings: Settings,
    group: Group,
    event: Event,
    result: RsvpResult,
    *,
    tell_self: bool,
) -> None:
    """Tell the people an RSVP change concerns (see the module docstring)."""
    participation = result.participation
    if participation is not None and result.changed:
        if tell_self:
            text = status_text(event, participation, result.waitlist_position)
            await tell_participant(session, settings, group, participation, kind="rsvp", text=text)
        if participation.actor_uri:
            for answerer in REMOTE_ANSWERERS:
                await answerer(session, settings, group, event, participation, result.previous)
    for promoted in result.promoted:
        text = f"A seat freed up: you're now going to “{event.title}” ({when_text(event)})."
        await tell_participant(
            session,
            settings,
            group,
            promoted,
            kind="rsvp_promoted",
            text=text,
            email_subject=f"You have a seat at {event.title}",
        )
        if promoted.actor_uri:
            for answerer in REMOTE_ANSWERERS:
                await answerer(session, settings, group, event, promoted, RsvpStatus.WAITLISTED)


async def announce_decision(
    session: AsyncSession, settings: Settings, group: Group, event: Event, result: RsvpResult
) -> None:
    """Tell a person the organizers' decision on their request to attend."""
    participation = result.participation
    if participation is None:
        return
    text = status_text(event, participation, result.waitlist_position)
    await tell_participant(
        session,
        settings,
        group,
        participation,
        kind="rsvp_decision",
        text=text,
        email_subject=f"Your request to attend {event.title}",
    )
    if participation.actor_uri:
        for answerer in REMOTE_ANSWERERS:
            await answerer(session, settings, group, event, participation, result.previous)
