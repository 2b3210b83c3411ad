"""Local actors as the federation sees them: their URIs and signing keys.

Groups and users keep their key pair in their rows; the instance actor (``/actor``, which
signs our fetches) keeps its pair in ``instance_settings``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from federation.keys import generate_rsa_keypair
from federation.verify import signed_headers
from server.models import Group, InstanceSetting, User, UserState
from server.uris import LocalUris

_PRIVATE = "instance_actor.private_key"
_PUBLIC = "instance_actor.public_key"


@dataclass(frozen=True)
class LocalActor:
    """A local actor able to sign: a group, a user or the instance actor."""

    uri: str
    key_id: str
    public_key_pem: str
    private_key_pem: str

    def sign(self, method: str, url: str, body: bytes) -> Mapping[str, str]:
        """Headers that sign this request as this actor (draft-cavage, as Mastodon expects)."""
        return signed_headers(method, url, body, self.key_id, self.private_key_pem)

    def __repr__(self) -> str:
        return f"LocalActor(uri={self.uri!r})"


async def instance_actor(session: AsyncSession, uris: LocalUris) -> LocalActor:
    """The instance actor, creating its key pair on first use."""
    private = await session.get(InstanceSetting, _PRIVATE)
    public = await session.get(InstanceSetting, _PUBLIC)
    if private is None or public is None:
        keys = generate_rsa_keypair()
        private = InstanceSetting(key=_PRIVATE, value=keys.private_pem)
        public = InstanceSetting(key=_PUBLIC, value=keys.public_pem)
        session.add(private)
        session.add(public)
        await session.flush()
    uri = uris.instance_actor
    return LocalActor(uri, uris.key_id(uri), public.value, private.value)


def group_actor(uris: LocalUris, group: Group) -> LocalActor:
    """The signing identity of a local group."""
    uri = uris.group(group.slug)
    return LocalActor(uri, uris.key_id(uri), group.public_key_pem, group.private_key_pem)


def user_actor(uris: LocalUris, user: User) -> LocalActor:
    """The signing identity of a local user."""
    uri = uris.user(user.username)
    return LocalActor(uri, uris.key_id(uri), user.public_key_pem, user.private_key_pem)


async def local_actor_by_uri(session: AsyncSession, uris: LocalUris, uri: str) -> LocalActor | None:
    """The local actor with this URI (or key id), if it exists and may act."""
    found = uris.local_actor_path(uri.split("#", 1)[0])
    if found is None:
        return None
    kind, name = found
    if kind == "actor":
        return await instance_actor(session, uris)
    if kind == "groups":
        group = (await session.exec(select(Group).where(Group.slug == name))).first()
        return group_actor(uris, group) if group else None
    user = (await session.exec(select(User).where(User.username == name))).first()
    return user_actor(uris, user) if user and user.state == UserState.ACTIVE else None
