"""The secret link of each person's "my meetups" calendar feed: signed with the instance's
secret key, and carrying a version the person can bump to make old links stop working."""

from __future__ import annotations

from itsdangerous import BadSignature, URLSafeSerializer
from sqlmodel.ext.asyncio.session import AsyncSession

from server.errors import NotFound
from server.i18n import lazy_gettext
from server.models import User, UserState

GONE = lazy_gettext("No such calendar (the link may have been reset).")


def _signer(secret_key: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret_key, salt="hearth my-meetups feed")


def feed_path(secret_key: str, user: User) -> str:
    """The secret path of the user's calendar feed (changes when the link is reset)."""
    return f"/calendar/{_signer(secret_key).dumps([user.id, user.calendar_key_version])}.ics"


async def feed_owner(session: AsyncSession, secret_key: str, token: str) -> User:
    """The active user whose current link ``token`` is, or NotFound."""
    try:
        user_id, version = _signer(secret_key).loads(token)
    except (BadSignature, ValueError, TypeError) as bad:
        raise NotFound(str(GONE)) from bad
    user = await session.get(User, user_id) if type(user_id) is int and user_id > 0 else None
    if user is None or user.calendar_key_version != version or user.state != UserState.ACTIVE:
        raise NotFound(str(GONE))
    return user
