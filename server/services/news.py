"""Who hears about what: each function tells the local people an event concerns (a
notification, and an email unless they turned that kind off). Called in the transaction of
what they tell about, by the web and API handlers and the inbox processor alike.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.config import Settings
from server.i18n import _, use_locale
from server.models import (
    Event,
    EventStatus,
    Group,
    MembershipState,
    Participation,
    Proposal,
    RemoteActor,
    RsvpStatus,
    User,
)
from server.services.notices import (
    Note,
    group_members,
    group_moderators,
    instance_admins,
    notify_users,
)
from server.services.notifications import reader_language
from server.services.rsvp_notify import when_text

#: The answers whose people hear that their meetup changed (not those who said no).
ANSWERED = (RsvpStatus.GOING, RsvpStatus.MAYBE, RsvpStatus.WAITLISTED, RsvpStatus.PENDING)

#: Writes a notification in the active language (called once per reader, in theirs).
NoteWriter = Callable[[], Note]


async def tell_each(
    session: AsyncSession,
    settings: Settings,
    users: list[User],
    write: NoteWriter,
    *,
    skip: User | None = None,
) -> None:
    """The same news for several local users, each in their own language (``skip``: the
    one who caused it)."""
    for user in users:
        if skip is None or user.id != skip.id:
            with use_locale(reader_language(settings, user)):
                await notify_users(session, settings, [user], write())


async def actor_label(session: AsyncSession, uri: str) -> str:
    """How people read a remote actor: their handle (or the URI when not known)."""
    query = select(RemoteActor).where(RemoteActor.uri == uri)
    actor = (await session.exec(query)).first()
    return actor.handle if actor is not None and actor.username else uri


async def _answered_by(session: AsyncSession, event_ids: list[int]) -> dict[int, int]:
    """Local people who answered any of these meetups: user id -> first such meetup id."""
    query = (
        select(Participation.user_id, Participation.event_id)
        .where(
            col(Participation.event_id).in_(event_ids),
            col(Participation.user_id).is_not(None),
            col(Participation.status).in_(ANSWERED),
        )
        .order_by(col(Participation.event_id))
    )
    found: dict[int, int] = {}
    for user_id, event_id in (await session.exec(query)).all():
        if user_id is not None:
            found.setdefault(user_id, event_id)
    return found


async def meetup_changed(
    session: AsyncSession,
    settings: Settings,
    events: list[Event],
    *,
    by: User | None = None,
) -> None:
    """A meetup (or several of a series) was edited or cancelled: tell those who answered
    (once each, however many occurrences they answered), except who made the change."""
    by_id = {event.id: event for event in events if event.id is not None}
    people = await _answered_by(session, list(by_id))
    for user_id, event_id in people.items():
        user = await session.get(User, user_id)
        if user is None:
            continue
        event = by_id[event_id]
        await tell_each(session, settings, [user], partial(_change_note, event, events), skip=by)


def _change_note(event: Event, events: list[Event]) -> Note:
    link = f"/events/{event.id}"
    values = {"title": event.title, "when": when_text(event)}
    if event.status == EventStatus.CANCELLED:
        text = _("“%(title)s” (%(when)s) is cancelled.") % values
        return Note("event_cancelled", text, link, _("Cancelled: %(title)s") % values)
    if len(events) > 1:
        text = _("“%(title)s” and other dates of the series changed: now %(when)s.") % values
    else:
        text = _("“%(title)s” changed: now %(when)s.") % values
    return Note("event_changed", text, link, _("Changed: %(title)s") % values)


async def proposal_opened(
    session: AsyncSession, settings: Settings, group: Group, proposal: Proposal, by: User
) -> None:
    """A proposal was opened: the group's other members are asked to vote."""
    values = {"by": by.name, "group": group.name, "title": proposal.title}

    def write() -> Note:
        return Note(
            "proposal_opened",
            _("%(by)s opened a proposal in %(group)s: “%(title)s”.") % values,
            f"/groups/{group.slug}/proposals/{proposal.id}",
            _("New proposal in %(group)s: %(title)s") % values,
        )

    await tell_each(session, settings, await group_members(session, group), write, skip=by)


async def _to_moderators(
    session: AsyncSession, settings: Settings, group: Group, write: NoteWriter
) -> None:
    await tell_each(session, settings, await group_moderators(session, group), write)


async def join_requested(session: AsyncSession, settings: Settings, group: Group, who: str) -> None:
    """Someone (``who``: a name or handle) asks to join: the group's moderators decide."""
    values = {"who": who, "group": group.name}

    def write() -> Note:
        text = _("%(who)s asks to join %(group)s.") % values
        subject = _("Request to join %(group)s") % values
        return Note("join_request", text, f"/groups/{group.slug}/members", subject)

    await _to_moderators(session, settings, group, write)


async def local_join(
    session: AsyncSession, settings: Settings, group: Group, user: User, state: MembershipState
) -> None:
    """A local user joined (``active``) or asked to join (``pending``) a group."""
    if state == MembershipState.PENDING:
        await join_requested(session, settings, group, f"{user.name} (@{user.username})")


async def member_approved(
    session: AsyncSession, settings: Settings, group: Group, user: User
) -> None:
    """A moderator approved the user's request to join."""
    values = {"group": group.name}

    def write() -> Note:
        text = _("Welcome! Your request to join %(group)s was approved.") % values
        subject = _("You're a member of %(group)s") % values
        return Note("membership_approved", text, f"/groups/{group.slug}", subject)

    await tell_each(session, settings, [user], write)


async def invited(
    session: AsyncSession, settings: Settings, group: Group, by: User, invitee: User, link: str
) -> None:
    """A moderator invites someone with an account here (``link``: the invitation)."""
    values = {"by": by.name, "group": group.name}

    def write() -> Note:
        text = _("%(by)s invites you to join %(group)s.") % values
        return Note("invitation", text, link, _("Invitation to join %(group)s") % values)

    await tell_each(session, settings, [invitee], write)


async def follow_requested(
    session: AsyncSession, settings: Settings, group: Group, who: str
) -> None:
    """Someone on another server asks to follow an approval group."""
    values = {"who": who, "group": group.name}

    def write() -> Note:
        text = _("%(who)s asks to follow %(group)s.") % values
        subject = _("Follow request for %(group)s") % values
        return Note("follow_request", text, f"/groups/{group.slug}/follow-requests", subject)

    await _to_moderators(session, settings, group, write)


async def post_held(session: AsyncSession, settings: Settings, group: Group, who: str) -> None:
    """A post addressed to the group waits for a moderator's review."""
    values = {"who": who, "group": group.name}

    def write() -> Note:
        text = _("A post by %(who)s to %(group)s waits for your review.") % values
        subject = _("A post to %(group)s waits for review") % values
        return Note("held_post", text, f"/groups/{group.slug}/review", subject)

    await _to_moderators(session, settings, group, write)


async def report_filed(session: AsyncSession, settings: Settings, about: str) -> None:
    """A report (from a member or another server) for the instance's admins."""
    values = {"about": about, "instance": settings.instance.name}

    def write() -> Note:
        subject = _("New report on %(instance)s") % values
        return Note("report", _("New report about %(about)s.") % values, "/admin/reports", subject)

    await tell_each(session, settings, await instance_admins(session), write)


async def signup_waiting(session: AsyncSession, settings: Settings, user: User) -> None:
    """A sign-up waits for an admin's approval."""
    values = {"username": user.username, "instance": settings.instance.name}

    def write() -> Note:
        text = _("@%(username)s signed up and waits for approval.") % values
        subject = _("Sign-up to approve on %(instance)s") % values
        return Note("signup", text, "/admin/signups", subject)

    await tell_each(session, settings, await instance_admins(session), write)
