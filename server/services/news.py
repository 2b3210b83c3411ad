"""Who hears about what: each function tells the local people an event concerns (a
notification, and an email unless they turned that kind off). Called in the transaction of
what they tell about, by the web and API handlers and the inbox processor alike.
"""

from __future__ import annotations

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.config import Settings
from server.models import Event, Group, Participation, Proposal, RemoteActor, User
from server.services.notices import (
    Note,
    group_members,
    group_moderators,
    instance_admins,
    notify_users,
)
from server.services.rsvp_notify import when_text

#: The answers whose people hear that their meetup changed (not those who said no).
ANSWERED = ("going", "maybe", "waitlisted", "pending")


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
        link = f"/events/{event.id}"
        if event.status == "cancelled":
            text = f"“{event.title}” ({when_text(event)}) is cancelled."
            note = Note("event_cancelled", text, link, f"Cancelled: {event.title}")
        else:
            many = " and other dates of the series" if len(events) > 1 else ""
            text = f"“{event.title}”{many} changed: now {when_text(event)}."
            note = Note("event_changed", text, link, f"Changed: {event.title}")
        await notify_users(session, settings, [user], note, skip=by)


async def proposal_opened(
    session: AsyncSession, settings: Settings, group: Group, proposal: Proposal, by: User
) -> None:
    """A proposal was opened: the group's other members are asked to vote."""
    note = Note(
        "proposal_opened",
        f"{by.name} opened a proposal in {group.name}: “{proposal.title}”.",
        f"/groups/{group.slug}/proposals/{proposal.id}",
        f"New proposal in {group.name}: {proposal.title}",
    )
    await notify_users(session, settings, await group_members(session, group), note, skip=by)


async def _to_moderators(
    session: AsyncSession, settings: Settings, group: Group, note: Note
) -> None:
    await notify_users(session, settings, await group_moderators(session, group), note)


async def join_requested(session: AsyncSession, settings: Settings, group: Group, who: str) -> None:
    """Someone (``who``: a name or handle) asks to join: the group's moderators decide."""
    text = f"{who} asks to join {group.name}."
    subject = f"Request to join {group.name}"
    note = Note("join_request", text, f"/groups/{group.slug}/members", subject)
    await _to_moderators(session, settings, group, note)


async def local_join(
    session: AsyncSession, settings: Settings, group: Group, user: User, state: str
) -> None:
    """A local user joined (``active``) or asked to join (``pending``) a group."""
    if state == "pending":
        await join_requested(session, settings, group, f"{user.name} (@{user.username})")


async def member_approved(
    session: AsyncSession, settings: Settings, group: Group, user: User
) -> None:
    """A moderator approved the user's request to join."""
    text = f"Welcome! Your request to join {group.name} was approved."
    subject = f"You're a member of {group.name}"
    note = Note("membership_approved", text, f"/groups/{group.slug}", subject)
    await notify_users(session, settings, [user], note)


async def invited(
    session: AsyncSession, settings: Settings, group: Group, by: User, invitee: User, link: str
) -> None:
    """A moderator invites someone with an account here (``link``: the invitation)."""
    text = f"{by.name} invites you to join {group.name}."
    note = Note("invitation", text, link, f"Invitation to join {group.name}")
    await notify_users(session, settings, [invitee], note)


async def follow_requested(
    session: AsyncSession, settings: Settings, group: Group, who: str
) -> None:
    """Someone on another server asks to follow an approval group."""
    text = f"{who} asks to follow {group.name}."
    subject = f"Follow request for {group.name}"
    note = Note("follow_request", text, f"/groups/{group.slug}/follow-requests", subject)
    await _to_moderators(session, settings, group, note)


async def post_held(session: AsyncSession, settings: Settings, group: Group, who: str) -> None:
    """A post addressed to the group waits for a moderator's review."""
    text = f"A post by {who} to {group.name} waits for your review."
    subject = f"A post to {group.name} waits for review"
    note = Note("held_post", text, f"/groups/{group.slug}/review", subject)
    await _to_moderators(session, settings, group, note)


async def report_filed(session: AsyncSession, settings: Settings, about: str) -> None:
    """A report (from a member or another server) for the instance's admins."""
    subject = f"New report on {settings.instance.name}"
    note = Note("report", f"New report about {about}.", "/admin/reports", subject)
    await notify_users(session, settings, await instance_admins(session), note)


async def signup_waiting(session: AsyncSession, settings: Settings, user: User) -> None:
    """A sign-up waits for an admin's approval."""
    text = f"@{user.username} signed up and waits for approval."
    subject = f"Sign-up to approve on {settings.instance.name}"
    note = Note("signup", text, "/admin/signups", subject)
    await notify_users(session, settings, await instance_admins(session), note)
