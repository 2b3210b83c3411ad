"""Accounts: sign-up by registration mode, authentication, approval, password changes."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from federation.keys import generate_rsa_keypair
from server.db import utcnow
from server.errors import Conflict, Forbidden, InvalidInput, NotFound
from server.i18n import _
from server.models import User, UserState
from server.passwords import (
    WeakPasswordError,
    check_password_rules,
    hash_password,
    needs_rehash,
    verify_password,
)
from server.services.names import validate_new_name

EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")
# Verified against when a username is unknown, so that timing does not reveal which exist.
_DUMMY_HASH = hash_password("not a real password, only for constant timing")


@dataclass(frozen=True)
class NewUser:
    """What a person (or an admin, or the CLI) gives to create an account."""

    username: str
    email: str
    password: str
    display_name: str = ""
    is_admin: bool = False
    signup_reason: str = ""


def _check_email(email: str) -> str:
    email = email.strip()
    if len(email) > 254 or not EMAIL_RE.match(email):
        raise InvalidInput(_("Enter a valid email address."), field="email")
    return email


def _check_password(password: str) -> None:
    try:
        check_password_rules(password)
    except WeakPasswordError as exc:
        raise InvalidInput(str(exc), field="password") from None


async def create_user(
    session: AsyncSession,
    new: NewUser,
    *,
    state: UserState = UserState.ACTIVE,
    by_operator: bool = False,
) -> User:
    """Create an account after checking every field; the caller commits.

    ``by_operator`` (the CLI) may use reserved names such as ``admin``.
    """
    username = await validate_new_name(
        session, new.username, field="username", allow_reserved=by_operator
    )
    email = _check_email(new.email)
    taken = await session.exec(
        select(func.count()).select_from(User).where(func.lower(User.email) == email.lower())
    )
    if taken.one():
        raise Conflict(_("An account with this email already exists."), field="email")
    _check_password(new.password)
    if len(new.display_name) > 100:
        raise InvalidInput(_("Use at most 100 characters."), field="display_name")
    keys = generate_rsa_keypair()
    user = User(
        username=username,
        email=email,
        display_name=new.display_name.strip(),
        password_hash=hash_password(new.password),
        is_admin=new.is_admin,
        state=state,
        signup_reason=new.signup_reason.strip()[:2000],
        private_key_pem=keys.private_pem,
        public_key_pem=keys.public_pem,
    )
    session.add(user)
    try:
        await session.flush()
    except IntegrityError:
        raise Conflict(_("That username or email was just taken."), field="username") from None
    return user


async def get_user(session: AsyncSession, username: str) -> User:
    """The user with this username, or NotFound."""
    user = (await session.exec(select(User).where(User.username == username.lower()))).first()
    if user is None:
        raise NotFound(_("No user named %(username)s.") % {"username": username})
    return user


async def find_user_by_login(session: AsyncSession, login: str) -> User | None:
    """The user whose username or email is ``login`` (case-insensitive)."""
    login = login.strip().lstrip("@").lower()
    query = select(User).where((col(User.username) == login) | (func.lower(User.email) == login))
    return (await session.exec(query)).first()


async def authenticate(session: AsyncSession, login: str, password: str) -> User:
    """Check credentials; raise Forbidden with a reason a person understands."""
    user = await find_user_by_login(session, login)
    if user is None:
        verify_password(_DUMMY_HASH, password)
        raise Forbidden(_("Wrong username or password."))
    if not verify_password(user.password_hash, password):
        raise Forbidden(_("Wrong username or password."))
    if user.state == UserState.PENDING:
        raise Forbidden(_("Your account is waiting for an admin's approval."))
    if user.state != UserState.ACTIVE:
        raise Forbidden(_("This account cannot sign in."))
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    session.add(user)
    return user


async def set_password(session: AsyncSession, user: User, password: str) -> None:
    """Replace a user's password after checking the rules; every session of the account
    ends (the caller signs the current browser in again if it should stay)."""
    _check_password(password)
    user.password_hash = hash_password(password)
    user.session_version += 1  # every session of the account ends
    session.add(user)


async def set_state(session: AsyncSession, user: User, state: UserState) -> None:
    """Approve, reject, suspend or reactivate an account."""
    if state not in (UserState.ACTIVE, UserState.REJECTED, UserState.SUSPENDED):
        raise InvalidInput(_("Unknown account state %(state)s.") % {"state": repr(state)})
    user.state = state
    session.add(user)


async def list_users(session: AsyncSession, *, state: UserState | None = None) -> list[User]:
    """Accounts, newest first, optionally only those in one state."""
    query = select(User).order_by(col(User.created_at).desc(), col(User.id).desc())
    if state:
        query = query.where(User.state == state)
    return list((await session.exec(query)).all())


async def count_active_users(session: AsyncSession) -> int:
    """How many accounts can sign in."""
    result = await session.exec(
        select(func.count()).select_from(User).where(User.state == UserState.ACTIVE)
    )
    return result.one()
