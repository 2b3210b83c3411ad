"""Telling people what happened: a notification (and an email when SMTP is configured) for
local users, a direct message from the group for people on other servers.

Everything is written in the caller's transaction — the notification row, the queued email,
the queued delivery — so a message is sent exactly when what it tells about is committed.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.config import Settings
from server.i18n import _, content_language, use_locale
from server.models import (
    Group,
    Membership,
    MembershipState,
    Notification,
    OutgoingEmail,
    Participation,
    RemoteActor,
    RsvpStatus,
    User,
    UserState,
)
from server.services.notifications import wants_email
from server.services.outbound import DirectMessage, emit
from server.services.rsvp_words import CHANGE_HINT
from server.uris import LocalUris


async def queue_email(
    session: AsyncSession, settings: Settings, to: str, subject: str, body: str
) -> OutgoingEmail | None:
    """Queue an email for the worker to send; None (nothing queued) without SMTP."""
    if not settings.smtp.host or not to:
        return None
    email = OutgoingEmail(to_address=to, subject=subject[:300], body=body)
    session.add(email)
    return email


async def notify_user(
    session: AsyncSession,
    settings: Settings,
    user: User,
    *,
    kind: str,
    text: str,
    link: str = "",
    email_subject: str = "",
) -> Notification:
    """A notification for a local user, plus an email when ``email_subject`` is given and
    the user has not turned off email for this kind of news."""
    notification = Notification(user_id=user.id or 0, kind=kind[:32], text=text, link=link)
    session.add(notification)
    if (
        email_subject
        and user.state == UserState.ACTIVE
        and settings.smtp.host
        and await wants_email(session, user, kind)
    ):
        url = f"{settings.base_url}{link}" if link.startswith("/") else link
        with use_locale(user.language or settings.instance.language):
            greeting = _("Hello %(name)s,") % {"name": user.name}
        body = f"{greeting}\n\n{text}\n\n{url}\n".rstrip() + "\n"
        await queue_email(session, settings, user.email, email_subject, body)
    return notification


@dataclass(frozen=True)
class Note:
    """What a notification says (``email_subject``: also emailed, with that subject)."""

    kind: str
    text: str
    link: str = ""
    email_subject: str = ""


async def notify_users(
    session: AsyncSession,
    settings: Settings,
    users: list[User],
    note: Note,
    *,
    skip: User | None = None,
) -> None:
    """The same notification for several local users (``skip``: the one who caused it)."""
    for user in users:
        if skip is None or user.id != skip.id:
            await notify_user(
                session,
                settings,
                user,
                kind=note.kind,
                text=note.text,
                link=note.link,
                email_subject=note.email_subject,
            )


async def group_moderators(session: AsyncSession, group: Group) -> list[User]:
    """The group's active admins and moderators (who answer requests and held posts)."""
    query = (
        select(User)
        .join(Membership, col(Membership.user_id) == col(User.id))
        .where(
            Membership.group_id == group.id,
            Membership.state == MembershipState.ACTIVE,
            col(Membership.role).in_(("admin", "moderator")),
            User.state == UserState.ACTIVE,
        )
        .order_by(col(User.id))
    )
    return list((await session.exec(query)).all())


async def group_members(session: AsyncSession, group: Group) -> list[User]:
    """The group's active local members."""
    query = (
        select(User)
        .join(Membership, col(Membership.user_id) == col(User.id))
        .where(Membership.group_id == group.id, Membership.state == MembershipState.ACTIVE)
        .where(User.state == UserState.ACTIVE)
        .order_by(col(User.id))
    )
    return list((await session.exec(query)).all())


async def instance_admins(session: AsyncSession) -> list[User]:
    """The instance's active admins."""
    query = select(User).where(col(User.is_admin).is_(True), User.state == UserState.ACTIVE)
    return list((await session.exec(query.order_by(col(User.id)))).all())


async def direct_message(
    session: AsyncSession,
    uris: LocalUris,
    group: Group,
    actor: RemoteActor,
    text: str,
    *,
    about: str = "",
) -> str:
    """Send ``text`` (plain) from the group to one remote person, as Mastodon shows a
    direct message: addressed only to them, with a mention. Returns the Note's id."""
    return await message_people(session, uris, group, [actor], text, about=about)


async def message_people(
    session: AsyncSession,
    uris: LocalUris,
    group: Group,
    actors: list[RemoteActor],
    text: str,
    *,
    about: str = "",
) -> str:
    """One private message from the group to several remote people (each mentioned, so
    Mastodon shows it as a direct message), delivered once per inbox. Returns the Note's id,
    which is ``<about>/messages/…`` when the message is about a local object (e.g. a meetup:
    a reply to it then says which one)."""
    note_id = f"{about or uris.group(group.slug)}/messages/{uuid.uuid4()}"
    await emit(session, DirectMessage(uris, group, tuple(actors), text, note_id))
    return note_id


#: A text, or what writes it in the active language (called in the reader's language).
Words = str | Callable[[], str]


def _written(words: Words) -> str:
    return words() if callable(words) else words


async def tell_participant(
    session: AsyncSession,
    settings: Settings,
    group: Group,
    participation: Participation,
    *,
    kind: str,
    text: Words,
    email_subject: Words = "",
) -> None:
    """Tell the person behind an RSVP: a local notification (and email) in their language,
    or a direct message in the group's."""
    link = f"/events/{participation.event_id}"
    if participation.user_id is not None:
        user = await session.get(User, participation.user_id)
        if user is not None:
            with use_locale(user.language or settings.instance.language):
                note = Note(kind, _written(text), link, _written(email_subject))
                await notify_users(session, settings, [user], note)
        return
    query = select(RemoteActor).where(RemoteActor.uri == (participation.actor_uri or ""))
    actor = (await session.exec(query)).first()
    if actor is not None:
        uris = LocalUris(settings)
        link = uris.event(participation.event_id)
        with use_locale(content_language(group.language, settings.instance.language)):
            hint = f" {CHANGE_HINT}" if participation.status != RsvpStatus.REJECTED else ""
            message = f"{_written(text)} {link}{hint}"
        await direct_message(session, uris, group, actor, message, about=link)
