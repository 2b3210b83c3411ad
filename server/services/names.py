"""Rules for usernames and group slugs, which share one namespace (``@name@domain``)."""

from __future__ import annotations

import re

from sqlmodel import func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.errors import Conflict, InvalidInput
from server.i18n import _
from server.models import Group, User

NAME_RE = re.compile(r"^[a-z0-9](?:[a-z0-9_-]{0,28}[a-z0-9_])?$")

#: Names that would clash with routes, well-known accounts or look official.
RESERVED_NAMES = frozenset(
    [
        "about",
        "account",
        "accounts",
        "actor",
        "admin",
        "administrator",
        "api",
        "apps",
        "assets",
        "auth",
        "calendar",
        "contact",
        "directory",
        "events",
        "explore",
        "favicon",
        "feed",
        "feeds",
        "group",
        "groups",
        "health",
        "help",
        "home",
        "import",
        "inbox",
        "instance",
        "login",
        "logout",
        "me",
        "media",
        "moderator",
        "new",
        "nodeinfo",
        "null",
        "outbox",
        "postmaster",
        "privacy",
        "register",
        "reset",
        "root",
        "rules",
        "search",
        "settings",
        "signup",
        "static",
        "support",
        "system",
        "terms",
        "undefined",
        "user",
        "users",
        "webfinger",
        "webmaster",
        "well-known",
        "www",
    ]
)


def normalize_name(raw: str) -> str:
    """Trim, strip a leading '@' and lowercase."""
    return raw.strip().lstrip("@").lower()


def check_name_syntax(name: str, *, field: str, allow_reserved: bool = False) -> None:
    """Raise InvalidInput unless ``name`` is a valid handle, and unreserved unless allowed."""
    if not 2 <= len(name) <= 30:
        raise InvalidInput(_("Use between 2 and 30 characters."), field=field)
    if not NAME_RE.match(name):
        raise InvalidInput(
            _("Use lowercase letters, digits, '_' or '-' (not at the start or the end)."),
            field=field,
        )
    if name in RESERVED_NAMES and not allow_reserved:
        raise InvalidInput(
            _("“%(name)s” is reserved; choose another name.") % {"name": name}, field=field
        )


async def check_name_available(session: AsyncSession, name: str, *, field: str) -> None:
    """Raise Conflict if a user or a group already has this handle."""
    user = await session.exec(select(func.count()).select_from(User).where(User.username == name))
    group = await session.exec(select(func.count()).select_from(Group).where(Group.slug == name))
    if user.one() or group.one():
        raise Conflict(_("“%(name)s” is already taken.") % {"name": name}, field=field)


async def validate_new_name(
    session: AsyncSession, raw: str, *, field: str, allow_reserved: bool = False
) -> str:
    """Normalize a proposed handle and check its syntax and availability.

    ``allow_reserved`` lets the operator (the CLI) create accounts such as ``admin``.
    """
    name = normalize_name(raw)
    check_name_syntax(name, field=field, allow_reserved=allow_reserved)
    await check_name_available(session, name, field=field)
    return name
