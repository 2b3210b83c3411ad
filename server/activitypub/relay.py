"""Groups relay their conversations (FEP-1b12, PROTOCOL.md "Relaying members' posts").

A public post that addresses or mentions a local group — or replies to something the group
relayed or posted — is announced to the group's followers in two forms: ``Announce`` of the
activity as received (with ``audience``: the group), which FEP-1b12 readers (Lemmy, other
Hearths) thread, and ``Announce`` of the object's id, which Mastodon shows as a boost.

Who gets relayed follows the group's posting policy: ``members`` (default), ``followers``
(anyone following it) or ``moderated`` (held for a moderator). Never relayed: non-public
posts (a direct message that mentions the group stays private), posts mentioning more than
:data:`MAX_GROUPS` groups (spam), people the group blocked, silenced or suspended domains.
Updates and deletes of relayed posts are relayed too.

Posts are read as peers send them (:mod:`server.services.post_shape`): Lemmy's, WordPress's
and Mobilizon's titled ``Page``/``Article``/``Note`` are posts (only Mastodon's content-less
``Note{name, inReplyTo}`` is a vote); their images are copied to the local media cache
(:mod:`server.services.media_cache`). Replies to a meetup's ``Event`` or its RSVP poll are the
meetup's discussion (RSVP keyword replies are taken before, by ``event_replies``). When a
post that concerns a group is not relayed, the inbox row and the log say why.
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, cast
from urllib.parse import urlsplit

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from federation.addresses import same_origin
from federation.jsonld import JsonObject, as_list, get_id, is_public
from server.activitypub.event_rsvp import local_event_id
from server.activitypub.outcomes import Outcome, handled, ignored, refused
from server.activitypub.relay_send import send_relay, send_unrelay
from server.db import utcnow
from server.inputs import row_id
from server.models import (
    Event,
    Follow,
    FollowState,
    Group,
    GroupBlock,
    GroupPost,
    Proposal,
    RelayedPost,
    RelayState,
)
from server.services import news, remote_membership
from server.services.federation_policy import DomainPolicy
from server.services.media_cache import MediaCache
from server.services.post_shape import (
    NotAPost,
    PostShape,
    author_of,
    is_poll_vote,
    is_post_type,
    read_post,
)
from server.uris import LocalUris, host_of

if TYPE_CHECKING:
    from server.activitypub.processing import InboxProcessor

log = logging.getLogger(__name__)

#: More groups than this mentioned in one post: spam, relayed by none of them.
MAX_GROUPS = 3
#: Where a reply can start a thread of a local group: the path segment names the table.
_THREAD_STARTS: dict[str, type[GroupPost] | type[Proposal]] = {
    "posts": GroupPost,
    "proposals": Proposal,
}


def _addressed(note: JsonObject) -> list[str]:
    """Every actor the note is addressed to or mentions."""
    mentions = [
        get_id(tag.get("href")) for tag in as_list(note.get("tag")) if isinstance(tag, dict)
    ]
    found = [*as_list(note.get("to")), *as_list(note.get("cc")), *as_list(note.get("audience"))]
    return [uri for uri in (get_id(x) for x in [*found, *mentions]) if uri]


class RelayHandler:
    """Relays posts to the groups they address (see the module docstring)."""

    def __init__(self, processor: InboxProcessor) -> None:
        self.uris: LocalUris = processor.uris
        self.policy: DomainPolicy = processor.policy
        settings = processor.settings
        self.languages = [settings.instance.language, "en"]
        self.media = MediaCache(
            processor.remote.http,
            settings.uploads_path,
            settings.uploads.max_bytes,
        )

    async def _mentioned_groups(self, session: AsyncSession, note: JsonObject) -> list[Group]:
        slugs = []
        for uri in _addressed(note):
            found = self.uris.local_actor_path(uri)
            if found and found[0] == "groups" and found[1] not in slugs:
                slugs.append(found[1])
        return list((await session.exec(select(Group).where(col(Group.slug).in_(slugs)))).all())

    async def _thread(self, session: AsyncSession, reply_to: str) -> tuple[list[Group], bool]:
        """The groups whose conversation ``reply_to`` belongs to (a post they relayed, one of
        their posts or proposals), and whether that conversation is members-only."""
        query = select(RelayedPost, Group).join(Group, col(Group.id) == col(RelayedPost.group_id))
        rows = (await session.exec(query.where(RelayedPost.object_uri == reply_to))).all()
        found = [group for _, group in rows]
        members_only = any(post.members_only for post, _ in rows)
        event_id = local_event_id(self.uris, reply_to) or local_event_id(
            self.uris, reply_to, "/poll"
        )
        event = await session.get(Event, event_id) if event_id else None
        if event is not None and not event.comments_enabled:
            log.info("a reply to %s is not shown: comments are closed on the meetup", reply_to)
        elif event is not None:
            # RSVP keyword replies are answered before this handler (event_rsvp is
            # registered first); any other reply is the meetup's discussion.
            own_group = await session.get(Group, event.group_id)
            found += [own_group] if own_group and own_group not in found else []
            return found, members_only or event.visibility == "members"
        pieces = urlsplit(reply_to).path.strip("/").split("/")
        if not self.uris.is_local(reply_to) or len(pieces) != 4 or row_id(pieces[3]) is None:
            return found, members_only
        own = (await session.exec(select(Group).where(Group.slug == pieces[1]))).first()
        model = _THREAD_STARTS.get(pieces[2])
        item = await session.get(model, row_id(pieces[3])) if own and model else None
        item = cast("GroupPost | Proposal | None", item)
        if own is not None and item is not None and item.group_id == own.id:
            found += [own] if own not in found else []
            members_only = members_only or item.visibility == "members"
        return found, members_only

    async def _may_post(
        self, session: AsyncSession, group: Group, actor: str, members_only: bool
    ) -> tuple[RelayState | None, str]:
        """(``relayed`` or ``held``, "") for this author in this group, or (None, why not).
        Members-only conversations are among members, without review."""
        blocked = select(GroupBlock.id).where(
            GroupBlock.group_id == group.id, GroupBlock.actor_uri == actor
        )
        if group.suspended_at is not None:
            return None, "the group is suspended"
        if (await session.exec(blocked)).first():
            return None, "the group blocked the author"
        if await remote_membership.is_active_member(session, group, actor):
            moderated = group.posting_policy == "moderated" and not members_only
            return (RelayState.HELD if moderated else RelayState.RELAYED), ""
        if members_only:
            return None, "a members-only conversation, and the author is not a member"
        if group.posting_policy == "members":
            return None, "the group shares its members' posts only, and the author is not one"
        follows = select(Follow.id).where(
            Follow.follower_uri == actor,
            Follow.followee_uri == self.uris.group(group.slug),
            Follow.state == FollowState.ACCEPTED,
        )
        if (await session.exec(follows)).first() is None:
            return None, "the group shares its followers' posts only, and the author is not one"
        held = group.posting_policy == "moderated"
        return (RelayState.HELD if held else RelayState.RELAYED), ""

    @staticmethod
    def _refusal(note: JsonObject, actor: str, public: bool, members_only: bool) -> str | None:
        """Why the post cannot be relayed by any group (None: it may be)."""
        note_id = get_id(note)
        if not note_id:
            return "the post has no id"
        if not same_origin(note_id, actor):
            return "the post's id is not on the author's server"
        if author_of(note) not in (None, actor):
            return "the post is attributed to someone other than the sender"
        if is_poll_vote(note):
            return "a poll vote, not a post"
        if not (public or members_only):
            return "not public (a direct or followers-only message)"
        return None

    async def on_create(
        self, session: AsyncSession, activity: JsonObject, actor: str
    ) -> Outcome | None:
        note = activity.get("object")
        if not is_post_type(note):
            return None
        groups = await self._mentioned_groups(session, note)
        reply_to = get_id(note.get("inReplyTo"))
        thread, members_only = await self._thread(session, reply_to) if reply_to else ([], False)
        groups += [group for group in thread if group not in groups]
        if not groups:
            return None  # not a conversation of ours
        public = is_public(note.get("to")) or is_public(note.get("cc"))
        why = self._refusal(note, actor, public, members_only)
        if why is None and len(groups) > MAX_GROUPS:
            why = f"spam: it mentions {len(groups)} groups (at most {MAX_GROUPS})"
        if why is None and self.policy.silenced(host_of(actor)):
            why = "the author's server is silenced here"
        shape = None
        if why is None:
            try:
                shape = read_post(note, self.languages)
            except NotAPost as refusal:
                why = str(refusal)
        done: list[str] = []
        not_done: list[str] = []
        for group in groups:
            state, why_here = (
                (None, why)
                if shape is None
                else await self._may_post(session, group, actor, members_only)
            )
            if state is None or shape is None:
                not_done.append(f"not relayed by {group.slug}: {why_here}")
                continue
            if not done:
                await self.media.cache_images(shape.attachments)
            await self._store(session, group, activity, note, shape, actor, state, members_only)
            done.append(f"{state} by {group.slug}")
        return await self._outcome(session, activity, actor, done, not_done)

    async def _outcome(
        self,
        session: AsyncSession,
        activity: JsonObject,
        actor: str,
        done: list[str],
        not_done: list[str],
    ) -> Outcome | None:
        """What the inbox row records: handled when a group relayed or held the post (with
        why the others did not), else refused. A post no group relayed may still belong in
        a local follower's home timeline: then the reason is logged and the next handler
        has it."""
        for line in not_done:
            log.info("Create %s from %s %s", activity.get("id"), actor, line)
        if done:
            return handled("; ".join([", ".join(done), *not_done]))
        followed = select(Follow.id).where(
            Follow.followee_uri == actor, Follow.state == FollowState.ACCEPTED
        )
        if (await session.exec(followed)).first() is not None:
            return None
        return refused("; ".join(not_done)[:500])

    async def _store(
        self,
        session: AsyncSession,
        group: Group,
        activity: JsonObject,
        note: JsonObject,
        shape: PostShape,
        actor: str,
        state: RelayState,
        members_only: bool,
    ) -> None:
        uri = str(get_id(note))
        query = select(RelayedPost).where(
            RelayedPost.group_id == group.id, RelayedPost.object_uri == uri
        )
        if (await session.exec(query)).first() is not None:
            return
        post = RelayedPost(
            group_id=group.id or 0,
            object_uri=uri,
            actor_uri=actor,
            in_reply_to=(get_id(note.get("inReplyTo")) or "")[:2048],
            content_html="",
            activity_json=json.dumps(activity, ensure_ascii=False),
            state=state,
            members_only=members_only,
        )
        _apply(post, shape)
        session.add(post)
        await session.flush()
        if state == RelayState.RELAYED:
            await send_relay(session, self.uris, group, post)
        else:
            who = await news.actor_label(session, actor)
            await news.post_held(session, self.uris.settings, group, who)

    async def _relayed(self, session: AsyncSession, uri: str, actor: str) -> list[RelayedPost]:
        query = select(RelayedPost).where(
            RelayedPost.object_uri == uri, RelayedPost.actor_uri == actor
        )
        return list((await session.exec(query)).all())

    async def on_update(
        self, session: AsyncSession, activity: JsonObject, actor: str
    ) -> Outcome | None:
        note = activity.get("object")
        if not is_post_type(note):
            return None
        posts = await self._relayed(session, str(get_id(note) or ""), actor)
        if not posts:
            return None
        if author_of(note) not in (None, actor):
            return ignored("an update attributed to someone other than the sender")
        try:
            shape = read_post(note, self.languages)
        except NotAPost as refusal:
            log.info("Update %s from %s not relayed: %s", activity.get("id"), actor, refusal)
            return refused(f"update not relayed: {refusal}"[:500])
        await self.media.cache_images(shape.attachments)
        for post in posts:
            _apply(post, shape)
            post.updated_at = utcnow()
            session.add(post)
            if post.state == RelayState.RELAYED:
                group = await session.get(Group, post.group_id)
                if group is not None:
                    await send_relay(session, self.uris, group, post, activity=activity)
        return handled(f"relayed update ({len(posts)})")

    async def on_delete(
        self, session: AsyncSession, activity: JsonObject, actor: str
    ) -> Outcome | None:
        target = get_id(activity.get("object")) or ""
        if target == actor:  # an account deleted: its posts are no longer shared (Undo)
            query = select(RelayedPost).where(RelayedPost.actor_uri == actor)
            for post in (await session.exec(query)).all():
                group = await session.get(Group, post.group_id)
                if group is not None and post.state == RelayState.RELAYED:
                    await send_unrelay(session, self.uris, group, post)
                await session.delete(post)
            return None  # the follows, memberships and the actor go next (processing.py)
        posts = await self._relayed(session, target, actor)
        if not posts:
            return None
        for post in posts:
            group = await session.get(Group, post.group_id)
            if group is not None and post.state == RelayState.RELAYED:
                await send_relay(session, self.uris, group, post, activity=activity)
                await send_unrelay(session, self.uris, group, post)
            await session.delete(post)
        return handled(f"relayed delete ({len(posts)})")


def _apply(post: RelayedPost, shape: PostShape) -> None:
    """Set what the post shows from what the peer sent."""
    post.title = shape.title
    post.content_html = shape.content_html
    post.summary = shape.summary
    post.sensitive = shape.sensitive
    post.url = shape.url[:2048]
    post.attachments_json = shape.attachments_json()
