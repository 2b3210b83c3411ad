"""Group membership with people on other servers, in Mobilizon's vocabulary (PROTOCOL.md,
"Group membership"):

- ``Join{object: group}`` → ``Accept{object: Member}`` when they are in (open group, or
  invited), nothing yet when a moderator must approve (then ``Accept``), ``Reject`` with the
  reason otherwise; ``Leave{object: group}`` ends the membership.
- Moderators ``Remove{object: Member, origin: group}`` someone; a member who came by Follow
  (Mastodon) also gets ``Reject{Follow}``, which is how Mastodon drops a follow.
- Role changes go out as ``Update{Member}``; invitations as ``Invite`` plus a direct message.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from federation import activities as vocab
from federation.jsonld import JsonObject, get_id
from server.activitypub.follows import answer_follow
from server.activitypub.language import group_language
from server.activitypub.outcomes import Outcome, handled, ignored, refused
from server.activitypub.publish import publish
from server.errors import HearthError
from server.i18n import _, use_locale
from server.models import Follow, Group, MembershipState, RemoteActor, RemoteMember
from server.services import news
from server.services import remote_membership as service
from server.services.notices import direct_message
from server.uris import LocalUris

if TYPE_CHECKING:
    from server.activitypub.processing import InboxProcessor


async def _person(session: AsyncSession, uri: str) -> RemoteActor | None:
    return (await session.exec(select(RemoteActor).where(RemoteActor.uri == uri))).first()


def member_document(uris: LocalUris, group: Group, member: RemoteMember) -> JsonObject:
    """The membership as a Mobilizon ``Member`` (its id: the Join or Follow it answers)."""
    member_id = member.activity_uri or f"{uris.group(group.slug)}/members/{member.id}"
    return vocab.build_member(member_id, member.actor_uri, uris.group(group.slug), member.role)


async def answer_join(
    session: AsyncSession,
    uris: LocalUris,
    group: Group,
    member: RemoteMember,
    *,
    accept: bool,
    why: str = "",
) -> None:
    """``Accept{Member}`` or ``Reject`` (with ``why``) of the person's Join, from the group."""
    person = await _person(session, member.actor_uri)
    if person is None:
        return
    group_uri = uris.group(group.slug)
    if accept:
        activity = vocab.build_accept(
            uris.new_activity(), group_uri, member_document(uris, group, member), to=[person.uri]
        )
        activity["attributedTo"] = group_uri
    else:
        join = {"id": member.activity_uri, "type": "Join", "actor": person.uri, "object": group_uri}
        activity = vocab.build_reject(uris.new_activity(), group_uri, join, to=[person.uri])
        if why:
            activity["content"] = why
    await publish(session, activity, [person.inbox])


async def send_removal(
    session: AsyncSession, uris: LocalUris, group: Group, member: RemoteMember
) -> None:
    """Tell a removed member (``Remove``; and ``Reject{Follow}`` for a follower-member)."""
    person = await _person(session, member.actor_uri)
    if person is None:
        return
    group_uri = uris.group(group.slug)
    removal = vocab.build_remove(
        uris.new_activity(),
        group_uri,
        member_document(uris, group, member),
        origin=group_uri,
        to=[person.uri],
    )
    await publish(session, removal, [person.inbox])
    query = select(Follow).where(
        Follow.follower_uri == person.uri, Follow.followee_uri == group_uri
    )
    follow = (await session.exec(query)).first()
    if follow is not None:
        await answer_follow(session, uris, follow, accept=False)


async def send_role_update(
    session: AsyncSession, uris: LocalUris, group: Group, member: RemoteMember
) -> None:
    """``Update{Member}`` with the new role, to the member."""
    person = await _person(session, member.actor_uri)
    if person is None:
        return
    document = member_document(uris, group, member)
    activity = vocab.build_update(
        uris.new_activity(), uris.group(group.slug), document, to=[person.uri], cc=[]
    )
    await publish(session, activity, [person.inbox])


async def send_invitation(
    session: AsyncSession, uris: LocalUris, group: Group, person: RemoteActor
) -> None:
    """``Invite`` (Mobilizon) and a direct message saying how to accept (Mastodon)."""
    group_uri = uris.group(group.slug)
    invite = vocab.build_invite(uris.new_activity(), group_uri, group_uri, target=person.uri)
    await publish(session, invite, [person.inbox])
    with use_locale(group_language(uris, group)):
        text = _(
            "You're invited to join %(group)s. To accept, follow %(handle)s "
            "(or join it from Mobilizon): you'll be let in at once."
        ) % {"group": group.name, "handle": f"@{group.slug}@{uris.domain}"}
    await direct_message(session, uris, group, person, f"{text} {group_uri}")


class GroupJoinHandler:
    """Incoming ``Join`` and ``Leave`` of local groups."""

    def __init__(self, processor: InboxProcessor) -> None:
        self.uris: LocalUris = processor.uris

    async def _group(self, session: AsyncSession, activity: JsonObject) -> Group | None:
        found = self.uris.local_actor_path(get_id(activity.get("object")) or "")
        if found is None or found[0] != "groups":
            return None
        return (await session.exec(select(Group).where(Group.slug == found[1]))).first()

    async def on_join(
        self, session: AsyncSession, activity: JsonObject, actor: str
    ) -> Outcome | None:
        group = await self._group(session, activity)
        if group is None:
            return None
        join_id = str(activity.get("id") or "")
        try:
            member = await service.request_join(session, group, actor, join_id)
        except HearthError as refusal:
            asker = RemoteMember(group_id=group.id or 0, actor_uri=actor, activity_uri=join_id)
            await answer_join(session, self.uris, group, asker, accept=False, why=refusal.message)
            return refused(f"join refused: {refusal.message}"[:200])
        if member.state == MembershipState.ACTIVE:
            await session.flush()
            await answer_join(session, self.uris, group, member, accept=True)
            return handled("joined the group")
        who = await news.actor_label(session, actor)
        await news.join_requested(session, self.uris.settings, group, who)
        return handled("join waiting for a moderator")

    async def on_leave(
        self, session: AsyncSession, activity: JsonObject, actor: str
    ) -> Outcome | None:
        group = await self._group(session, activity)
        if group is None:
            return None
        member = await service.find(session, group, actor)
        if member is None:
            return ignored("not a member")
        await service.remove(session, member)
        return handled("left the group")

    async def on_undo(
        self, session: AsyncSession, activity: JsonObject, actor: str
    ) -> Outcome | None:
        """``Undo{Join}`` of a group, embedded or by id: only the Join it names ends a
        membership (or request); one sent since is left alone."""
        inner = activity.get("object")
        inner_id = get_id(inner)
        if isinstance(inner, dict) and inner.get("type") not in (None, "Join"):
            return None
        if isinstance(inner, dict) and inner.get("type") == "Join":
            group = await self._group(session, inner)
            if group is None:
                return None
            if get_id(inner.get("actor")) not in (None, actor):
                return ignored("undo of someone else's join")
            member = await service.find(session, group, actor)
        elif inner_id:
            query = select(RemoteMember).where(
                RemoteMember.actor_uri == actor,
                RemoteMember.activity_uri == inner_id,
                RemoteMember.via == "join",  # a member by Follow leaves by Undo{Follow}
            )
            member = (await session.exec(query)).first()
        else:
            return None
        if member is None:
            return None if not isinstance(inner, dict) else ignored("not a member")
        if inner_id and member.activity_uri not in ("", inner_id):
            return ignored("undo of a join since replaced")
        await service.remove(session, member)
        return handled("left the group")
