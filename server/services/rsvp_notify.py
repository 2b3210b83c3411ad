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

from federation.events_build import event_summary, join_parts
from server.config import Settings
from server.i18n import _, get_locale
from server.models import Event, Group, Participation, RsvpStatus
from server.services.notices import tell_participant
from server.services.rsvp import RsvpResult
from server.services.timezones import event_when

#: Called for every remote participation whose status was changed, with its previous status:
#: lets a dialect answer in its own vocabulary (e.g. Accept{Join}). Registered at import by
#: the federation modules.
RemoteAnswerer = Callable[
    [AsyncSession, Settings, Group, Event, Participation, RsvpStatus | None], Awaitable[None]
]
REMOTE_ANSWERERS: list[RemoteAnswerer] = []


def when_text(event: Event) -> str:
    """When (and where) the event is, as people read it, in the active language: "Sat 3 May
    2025, 14:00–17:00 (Europe/Paris) · Hall, Lyon" (English as the federation library
    writes it for Mastodon; other languages with Babel)."""
    if get_locale() != "en":
        place = join_parts([event.venue_name or None, event.locality or None])
        online = _("Online") if event.online_url else ""
        try:
            when = event_when(event)
        except (ValueError, KeyError):
            when = event.starts_at.isoformat()
        return " · ".join(part for part in (when, place, online) if part)
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
    """One sentence telling the person where they stand, in the active language."""
    values = {"title": f"“{event.title}” ({when_text(event)})", "position": position or 0}
    status = participation.status
    if status == RsvpStatus.GOING:
        return _("You're going to %(title)s.") % values
    if status == RsvpStatus.MAYBE:
        return _("You might go to %(title)s: noted as maybe.") % values
    if status == RsvpStatus.NOT_GOING:
        return _("Noted: you can't make it to %(title)s.") % values
    if status == RsvpStatus.WAITLISTED and position:
        return (
            _(
                "%(title)s is full: you are #%(position)d on the waitlist. "
                "We'll tell you if a seat frees up."
            )
            % values
        )
    if status == RsvpStatus.WAITLISTED:
        return (
            _("%(title)s is full: you are on the waitlist. We'll tell you if a seat frees up.")
            % values
        )
    if status == RsvpStatus.PENDING:
        return _("Your request to attend %(title)s was sent to the organizers.") % values
    if status == RsvpStatus.REJECTED and participation.note:
        return _("The organizers could not accept you for %(title)s (%(reason)s).") % {
            **values,
            "reason": participation.note,
        }
    if status == RsvpStatus.REJECTED:
        return _("The organizers could not accept you for %(title)s.") % values
    return _("Your answer to %(title)s was recorded.") % values


def _promoted_text(event: Event) -> str:
    return _("A seat freed up: you're now going to “%(title)s” (%(when)s).") % {
        "title": event.title,
        "when": when_text(event),
    }


async def _tell_status(
    session: AsyncSession,
    settings: Settings,
    group: Group,
    event: Event,
    result: RsvpResult,
    kind: str,
    subject: Callable[[], str] | None = None,
) -> None:
    """Tell the person who answered where they stand, in their language (or the group's)."""
    participation, position = result.participation, result.waitlist_position
    if participation is None:
        return
    await tell_participant(
        session,
        settings,
        group,
        participation,
        kind=kind,
        text=lambda: status_text(event, participation, position),
        email_subject=subject or "",
    )


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
            await _tell_status(session, settings, group, event, result, "rsvp")
        if participation.actor_uri:
            for answerer in REMOTE_ANSWERERS:
                await answerer(session, settings, group, event, participation, result.previous)
    for promoted in result.promoted:
        await tell_participant(
            session,
            settings,
            group,
            promoted,
            kind="rsvp_promoted",
            text=lambda: _promoted_text(event),
            email_subject=lambda: _("You have a seat at %(title)s") % {"title": event.title},
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
    await _tell_status(
        session,
        settings,
        group,
        event,
        result,
        "rsvp_decision",
        subject=lambda: _("Your request to attend %(title)s") % {"title": event.title},
    )
    if participation.actor_uri:
        for answerer in REMOTE_ANSWERERS:
            await answerer(session, settings, group, event, participation, result.previous)
