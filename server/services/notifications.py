"""A member's notifications: what they are about (categories), reading them (a page, the
header's count, the API), marking them read, and each member's choice of what is emailed.

Notifications are written by :func:`server.services.notices.notify_user` and the helpers
below, in the transaction of what they tell about.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from babel.support import LazyProxy
from sqlmodel import col, func, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from server.config import Settings
from server.db import utcnow
from server.i18n import content_language, lazy_gettext
from server.models import EmailChoice, Notification, User

#: Notifications shown per page (and the API's default page size).
PAGE_SIZE = 30
#: The API's largest page.
MAX_PAGE_SIZE = 100


@dataclass(frozen=True)
class Category:
    """A kind of news a member may choose to get by email."""

    key: str
    #: Translated when read (the settings page shows it in the reader's language).
    label: LazyProxy | str
    email_by_default: bool
    kinds: tuple[str, ...]
    #: Only moderators / admins hear about these ("" for everyone).
    audience: str = ""


CATEGORIES: tuple[Category, ...] = (
    Category(
        "attendance",
        lazy_gettext(
            "My answers to meetups: a seat freed up from the waitlist, the organizers' decision"
        ),
        True,
        ("rsvp", "rsvp_promoted", "rsvp_decision"),
    ),
    Category(
        "reminders", lazy_gettext("Reminders before meetups I'm going to"), True, ("reminder",)
    ),
    Category(
        "meetup_changes",
        lazy_gettext("A meetup I answered is changed or cancelled"),
        True,
        ("event_changed", "event_cancelled"),
    ),
    Category(
        "roles",
        lazy_gettext("Meetup roles: reminders of a role I hold, and “your turn?” when one is open"),
        True,
        ("role_reminder", "role_nudge"),
    ),
    Category(
        "proposals",
        lazy_gettext("Proposals opened in my groups, and their outcome"),
        False,
        ("proposal_opened", "proposal_result"),
    ),
    Category(
        "membership",
        lazy_gettext("Invitations to groups, and my requests to join approved"),
        True,
        ("invitation", "membership_approved"),
    ),
    Category(
        "moderation",
        lazy_gettext("Groups I moderate: follow requests, held posts, requests to join"),
        True,
        ("follow_request", "held_post", "join_request"),
        audience="moderators",
    ),
    Category(
        "admin",
        lazy_gettext("Instance admin: reports, and sign-ups waiting for approval"),
        True,
        ("report", "signup"),
        audience="admins",
    ),
)
_BY_KIND = {kind: category for category in CATEGORIES for kind in category.kinds}
_BY_KEY = {category.key: category for category in CATEGORIES}


def reader_language(settings: Settings, user: User) -> str:
    """The language a member reads their notifications and e-mails in: their setting, else
    the instance's."""
    return content_language(user.language, settings.instance.language)


def category_of(kind: str) -> Category | None:
    """The category a notification kind belongs to (None for kinds never emailed)."""
    return _BY_KIND.get(kind)


async def email_choices(session: AsyncSession, user: User) -> dict[str, bool]:
    """Whether each category is emailed to this member (their choice, else the default)."""
    choices = {category.key: category.email_by_default for category in CATEGORIES}
    query = select(EmailChoice).where(EmailChoice.user_id == user.id)
    for row in (await session.exec(query)).all():
        if row.category in choices:
            choices[row.category] = row.email
    return choices


async def set_email_choices(session: AsyncSession, user: User, emailed: set[str]) -> None:
    """Record the member's choice: the categories in ``emailed`` are emailed, others not."""
    existing = {
        row.category: row
        for row in (
            await session.exec(select(EmailChoice).where(EmailChoice.user_id == user.id))
        ).all()
    }
    for category in CATEGORIES:
        row = existing.get(category.key) or EmailChoice(user_id=user.id or 0, category=category.key)
        row.email = category.key in emailed
        session.add(row)
    await session.flush()


async def wants_email(session: AsyncSession, user: User, kind: str) -> bool:
    """Whether a notification of ``kind`` is also emailed to this member."""
    category = category_of(kind)
    if category is None:
        return True
    row = await session.get(EmailChoice, (user.id, category.key))
    return category.email_by_default if row is None else row.email


async def count_unread(session: AsyncSession, user: User) -> int:
    """How many of the member's notifications they have not seen."""
    query = (
        select(func.count())
        .select_from(Notification)
        .where(Notification.user_id == user.id, col(Notification.read_at).is_(None))
    )
    return int((await session.exec(query)).one())


async def list_notifications(
    session: AsyncSession,
    user: User,
    *,
    before_id: int | None = None,
    limit: int = PAGE_SIZE,
    unread_only: bool = False,
) -> list[Notification]:
    """The member's notifications, newest first; ``before_id`` pages back."""
    query = select(Notification).where(Notification.user_id == user.id)
    if before_id is not None:
        query = query.where(col(Notification.id) < before_id)
    if unread_only:
        query = query.where(col(Notification.read_at).is_(None))
    query = query.order_by(col(Notification.id).desc()).limit(limit)
    return list((await session.exec(query)).all())


async def mark_read(
    session: AsyncSession,
    user: User,
    ids: list[int] | None = None,
    *,
    now: datetime | None = None,
) -> int:
    """Mark the member's notifications read (those in ``ids``, or all); returns how many
    changed. Ids that are not the member's are left alone."""
    statement = update(Notification).where(
        col(Notification.user_id) == user.id, col(Notification.read_at).is_(None)
    )
    if ids is not None:
        if not ids:
            return 0
        statement = statement.where(col(Notification.id).in_(ids))
    result = await session.exec(
        statement.values(read_at=now or utcnow()).execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)


def label_of(category_key: str) -> str:
    """A category's label, for the settings page."""
    return str(_BY_KEY[category_key].label)
