"""Secrets handed to people: API tokens, password-reset links and sign-up invites."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.config import Settings
from server.db import utcnow
from server.errors import InvalidInput, NotFound
from server.i18n import _
from server.models import ApiToken, Invite, PasswordReset, User, UserState, stored_id
from server.services.users import set_password

RESET_LIFETIME = timedelta(hours=1)
INVITE_LIFETIME = timedelta(days=7)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


async def create_api_token(session: AsyncSession, user: User, name: str = "") -> str:
    """Create a bearer token and return it; only its hash is kept."""
    token = "hearth_" + secrets.token_urlsafe(32)
    session.add(ApiToken(user_id=stored_id(user), token_hash=_digest(token), name=name[:100]))
    await session.flush()
    return token


async def user_for_api_token(session: AsyncSession, token: str) -> User | None:
    """The active user owning ``token``, recording its use; None if unknown."""
    row = (
        await session.exec(select(ApiToken).where(ApiToken.token_hash == _digest(token)))
    ).first()
    if row is None:
        return None
    user = await session.get(User, row.user_id)
    if user is None or user.state != UserState.ACTIVE:
        return None
    row.last_used_at = utcnow()
    session.add(row)
    return user


async def create_password_reset(session: AsyncSession, user: User) -> str:
    """Create a one-hour, single-use reset token and return it."""
    token = secrets.token_urlsafe(32)
    session.add(
        PasswordReset(
            user_id=stored_id(user), token_hash=_digest(token), expires_at=utcnow() + RESET_LIFETIME
        )
    )
    await session.flush()
    return token


async def _valid_reset(session: AsyncSession, token: str) -> PasswordReset:
    row = (
        await session.exec(select(PasswordReset).where(PasswordReset.token_hash == _digest(token)))
    ).first()
    if row is None or row.used_at is not None or row.expires_at < utcnow():
        raise NotFound(_("This reset link is invalid or has expired. Ask for a new one."))
    return row


async def check_password_reset(session: AsyncSession, token: str) -> None:
    """Raise NotFound unless the token can still be used."""
    await _valid_reset(session, token)


async def use_password_reset(session: AsyncSession, token: str, new_password: str) -> User:
    """Set a new password with a reset token, which is then spent."""
    row = await _valid_reset(session, token)
    user = await session.get(User, row.user_id)
    if user is None:
        raise NotFound(_("This reset link is invalid or has expired. Ask for a new one."))
    await set_password(session, user, new_password)
    row.used_at = utcnow()
    session.add(row)
    return user


async def create_invite(session: AsyncSession, creator: User, max_uses: int = 1) -> Invite:
    """Create a sign-up invite valid for a week."""
    if not 1 <= max_uses <= 100:
        raise InvalidInput(_("An invite can be used between 1 and 100 times."), field="max_uses")
    invite = Invite(
        code=secrets.token_urlsafe(16),
        created_by_id=creator.id,
        max_uses=max_uses,
        expires_at=utcnow() + INVITE_LIFETIME,
    )
    session.add(invite)
    await session.flush()
    return invite


async def redeem_invite(session: AsyncSession, code: str) -> None:
    """Use one of an invite's uses, or raise InvalidInput if it cannot be used."""
    invite = (await session.exec(select(Invite).where(Invite.code == code))).first()
    if invite is None or invite.uses >= invite.max_uses or invite.expires_at < utcnow():
        raise InvalidInput(_("This invite link is invalid, used up or expired."), field="invite")
    invite.uses += 1
    session.add(invite)


async def list_invites(session: AsyncSession) -> list[Invite]:
    """Invites that can still be used, newest first."""
    query = (
        select(Invite)
        .where(Invite.expires_at > utcnow(), col(Invite.uses) < col(Invite.max_uses))
        .order_by(col(Invite.created_at).desc())
    )
    return list((await session.exec(query)).all())


def password_reset_message(settings: Settings, user: User, link: str) -> tuple[str, str]:
    """The subject and body of the email carrying a user's password-reset link."""
    body = _(
        "Hello %(name)s,\n\nSomeone (hopefully you) asked to reset the password of "
        "@%(username)s on %(instance)s. Choose a new password here within the "
        "hour:\n\n%(link)s\n\nIf you did not ask for this, ignore this email: your "
        "password stays the same.\n"
    ) % {
        "name": user.name,
        "username": user.username,
        "instance": settings.instance.name,
        "link": link,
    }
    return _("Reset your password on %(instance)s") % {"instance": settings.instance.name}, body
