"""Processing of stored inbox activities (in the worker, never in the request).

Each handler trusts only what the signature proved: the activity's ``actor``. Objects
embedded in an activity are accepted only when they come from the actor's own origin.
"""

from __future__ import annotations

import html
import json
import logging
from datetime import datetime
from typing import TYPE_CHECKING

from sqlmodel import col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from federation.addresses import same_origin
from federation.jsonld import JsonObject, get_id, is_public
from server.activitypub.dispatch import handlers_by_type
from server.activitypub.follows import local_followee, record_follow, send_answer
from server.activitypub.outcomes import Outcome, error, failed, handled, ignored
from server.activitypub.queue import ClaimedInbox, record_inbox_outcome
from server.activitypub.remote import RemoteError
from server.activitypub.remote_events import delete_event, store_event
from server.activitypub.remote_polls import poll_of
from server.db import transaction, utcnow
from server.markup import html_to_text, sanitize_html
from server.models import (
    Follow,
    FollowState,
    Group,
    MembershipMode,
    MembershipState,
    RemoteActor,
    RemoteEvent,
    RemoteMember,
    RemotePost,
)
from server.services import news, remote_membership
from server.services.follower_members import drop_follower
from server.services.post_shape import NotAPost, content_of, http_url, is_post_type, title_of
from server.uris import LocalUris

if TYPE_CHECKING:
    from server.activitypub.runtime import Runtime

log = logging.getLogger(__name__)

OBJECT_TYPES = ("Note", "Article", "Page", "Question", "Event")


def _parse_time(value: object) -> datetime:
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00")[:32])
        except ValueError:
            return utcnow()
        if moment.tzinfo is not None:
            return moment
    return utcnow()


def _not_handled(activity: JsonObject) -> Outcome:
    return ignored(f"{activity.get('type')!s:.40} is not handled")


class InboxProcessor:
    """Applies inbox activities to the database and answers them (Accept, Reject…)."""

    def __init__(self, runtime: Runtime) -> None:
        self.settings = runtime.settings
        self.sessions = runtime.sessions
        self.remote = runtime.remote
        self.policy = runtime.policy
        self.uris = LocalUris(self.settings)
        self.handlers = handlers_by_type(self)

    async def _dispatch(self, session: AsyncSession, activity: JsonObject, actor: str) -> Outcome:
        for handler in self.handlers.get(str(activity.get("type", "")), ()):
            outcome = await handler(session, activity, actor)
            if outcome is not None:
                return outcome
        return _not_handled(activity)

    async def process(self, claimed: ClaimedInbox) -> None:
        """Process one claimed activity; its outcome is recorded in the same commit as what
        the handler did (a failure rolls that back, is recorded apart and retried)."""
        activity = json.loads(claimed.body)
        actor = claimed.actor
        recorded = False
        try:
            if str(activity.get("type", "")) not in self.handlers:
                outcome = _not_handled(activity)
            else:
                await self.remote.ensure_actor(actor)
                async with transaction(self.sessions) as session:
                    outcome = await self._dispatch(session, activity, actor)
                    await record_inbox_outcome(session, claimed.id, outcome)
                recorded = True
        except RemoteError as exc:
            outcome = failed(str(exc))
        except Exception as exc:
            log.exception("processing %s failed", claimed.id)
            outcome = error(type(exc).__name__)
        if not recorded:  # what the handler did was rolled back; the outcome is kept
            async with transaction(self.sessions) as session:
                await record_inbox_outcome(session, claimed.id, outcome)
        log.info(
            "inbox %s %s from %s: %s", activity.get("type"), activity.get("id"), actor, outcome
        )

    # Follows of our actors ------------------------------------------------------------

    async def on_follow(self, session: AsyncSession, activity: JsonObject, actor: str) -> Outcome:
        target = get_id(activity.get("object")) or ""
        followee = await local_followee(session, self.uris, target)
        if followee is None:
            return ignored("not a local group or user")
        follow_uri = str(activity["id"])
        manual = await self._approves_manually(session, followee.group, actor)
        state = await record_follow(session, actor, target, follow_uri, manual=manual)
        if state == FollowState.ACCEPTED:
            await send_answer(
                session,
                self.uris,
                followee,
                actor,
                follow_uri,
                accept=True,
                original=activity,
                inbox=self.remote.known_inbox(actor),  # no read: just fetched, most often
            )
            return handled("accepted")
        if followee.group is not None:  # a moderator decides: they hear about it
            who = await news.actor_label(session, actor)
            await news.follow_requested(session, self.uris.settings, followee.group, who)
        return handled("pending approval")

    async def _approves_manually(
        self, session: AsyncSession, group: Group | None, actor: str
    ) -> bool:
        """Whether a moderator must approve a follow of ``group``: approval and invite
        groups, except for people a moderator invited (or already a member)."""
        if group is None or group.membership_mode == MembershipMode.OPEN:
            return False
        member = await remote_membership.find(session, group, actor)
        return member is None or member.state not in (
            MembershipState.INVITED,
            MembershipState.ACTIVE,
        )

    async def on_undo(self, session: AsyncSession, activity: JsonObject, actor: str) -> Outcome:
        inner = activity.get("object")
        inner_id = get_id(inner)
        query = select(Follow).where(Follow.follower_uri == actor)
        if isinstance(inner, dict) and inner.get("type") == "Follow":
            if get_id(inner.get("actor")) not in (None, actor):
                return ignored("undo of someone else's follow")
            query = query.where(Follow.followee_uri == (get_id(inner.get("object")) or ""))
            if inner_id:  # only the follow it names, not one sent since (compare the ids)
                query = query.where(col(Follow.activity_uri).in_((inner_id, "")))
        elif inner_id:
            query = query.where(Follow.activity_uri == inner_id)
        else:
            return ignored("nothing to undo")
        follows = list((await session.exec(query)).all())
        for follow in follows:
            await drop_follower(session, self.uris, follow.follower_uri, follow.followee_uri)
            await session.delete(follow)
        return handled(f"unfollowed ({len(follows)})") if follows else ignored("no such follow")

    # Answers to our users' follows -----------------------------------------------------

    async def _our_follow(
        self, session: AsyncSession, activity: JsonObject, actor: str
    ) -> Follow | None:
        inner = activity.get("object")
        inner_id = get_id(inner)
        query = select(Follow).where(Follow.followee_uri == actor)
        if inner_id and self.uris.is_local(inner_id):
            query = query.where(Follow.activity_uri == inner_id)
        elif isinstance(inner, dict) and get_id(inner.get("actor")):
            query = query.where(Follow.follower_uri == get_id(inner.get("actor")))
        else:
            return None
        follow = (await session.exec(query)).first()
        return follow if follow and self.uris.is_local(follow.follower_uri) else None

    async def on_accept(self, session: AsyncSession, activity: JsonObject, actor: str) -> Outcome:
        follow = await self._our_follow(session, activity, actor)
        if follow is None:
            return ignored("no follow of ours to accept")
        follow.state = FollowState.ACCEPTED
        follow.updated_at = utcnow()
        session.add(follow)
        return handled("follow accepted")

    async def on_reject(self, session: AsyncSession, activity: JsonObject, actor: str) -> Outcome:
        follow = await self._our_follow(session, activity, actor)
        if follow is None:
            return ignored("no follow of ours to reject")
        await session.delete(follow)
        return handled("follow rejected")

    # Posts from accounts our users follow ---------------------------------------------

    async def _followed_locally(self, session: AsyncSession, actor: str) -> bool:
        query = select(Follow.id).where(
            Follow.followee_uri == actor, Follow.state == FollowState.ACCEPTED
        )
        return (await session.exec(query)).first() is not None

    async def _owner(self, session: AsyncSession, activity: JsonObject, actor: str) -> str | None:
        """Whose object this is for us: the actor if someone here follows it; else, for an
        Event, the followed group on the actor's own server that it is attributed to
        (Mobilizon: a member publishes the group's event). None when nobody follows either."""
        if await self._followed_locally(session, actor):
            return actor
        obj = activity.get("object")
        group = get_id(obj.get("attributedTo")) if isinstance(obj, dict) else None
        if (
            isinstance(obj, dict)
            and obj.get("type") == "Event"
            and group
            and same_origin(group, actor)
            and await self._followed_locally(session, group)
        ):
            return group
        return None

    async def _embedded_note(
        self, activity: JsonObject, actor: str, owner: str | None = None
    ) -> JsonObject | None:
        note = activity.get("object")
        if isinstance(note, str):
            if not same_origin(note, actor):
                return None
            note = await self.remote.fetch(note)
        if not isinstance(note, dict) or note.get("type") not in OBJECT_TYPES:
            return None
        note_id = get_id(note)
        if not note_id or not same_origin(note_id, actor):
            return None
        if get_id(note.get("attributedTo")) not in (None, actor, owner):
            return None
        return note

    async def on_create(self, session: AsyncSession, activity: JsonObject, actor: str) -> Outcome:
        owner = await self._owner(session, activity, actor)
        if owner is None:
            return ignored("nobody here follows the author")
        note = await self._embedded_note(activity, actor, owner)
        if note is None:
            return ignored("not a note from the actor's origin")
        if note.get("type") == "Event":
            return await store_event(session, note, owner, actor)
        uri = str(note["id"])
        if (await session.exec(select(RemotePost.id).where(RemotePost.uri == uri))).first():
            return ignored("already stored")
        try:
            session.add(self._post_from(note, actor))
        except NotAPost as refusal:
            return ignored(str(refusal))
        return handled("stored post")

    def _post_from(self, note: JsonObject, actor: str, row: RemotePost | None = None) -> RemotePost:
        """The home-timeline row for ``note``; :class:`NotAPost` if its content is not text."""
        content = content_of(note, [self.settings.instance.language, "en"])
        title = title_of(note) if is_post_type(note) else ""
        heading = f"<p><strong>{html.escape(title)}</strong></p>" if title else ""
        row = row or RemotePost(uri=str(note["id"]), actor_uri=actor, content_html="")
        row.url = http_url(note.get("url"))[:2048]
        row.content_html = heading + sanitize_html(content)
        row.summary = html_to_text(str(note.get("summary") or ""))[:1000]
        row.is_public = is_public(note.get("to")) or is_public(note.get("cc"))
        row.poll_json = poll_of(note)
        row.published_at = _parse_time(note.get("published"))
        return row

    async def on_update(self, session: AsyncSession, activity: JsonObject, actor: str) -> Outcome:
        obj = activity.get("object")
        if isinstance(obj, dict) and get_id(obj) == actor:
            await self.remote.actor(actor, refresh=True)
            return handled("actor refreshed")
        owner = await self._owner(session, activity, actor)
        note = await self._embedded_note(activity, actor, owner)
        if note is None:
            return ignored("not an update of the actor or its note")
        if note.get("type") == "Event":
            # store_event also creates: only for authors someone here follows, as on_create.
            if owner is None:
                return ignored("nobody here follows the author")
            return await store_event(session, note, owner, actor)
        row = (
            await session.exec(select(RemotePost).where(RemotePost.uri == str(note["id"])))
        ).first()
        if row is None or row.actor_uri != actor:
            return ignored("unknown post")
        try:
            self._post_from(note, actor, row).updated_at = utcnow()
        except NotAPost as refusal:
            return ignored(str(refusal))
        session.add(row)
        return handled("post updated")

    async def on_delete(self, session: AsyncSession, activity: JsonObject, actor: str) -> Outcome:
        target = get_id(activity.get("object")) or ""
        if target == actor:
            await session.exec(delete(Follow).where(col(Follow.follower_uri) == actor))
            await session.exec(delete(Follow).where(col(Follow.followee_uri) == actor))
            await session.exec(delete(RemotePost).where(col(RemotePost.actor_uri) == actor))
            await session.exec(delete(RemoteEvent).where(col(RemoteEvent.actor_uri) == actor))
            await session.exec(delete(RemoteMember).where(col(RemoteMember.actor_uri) == actor))
            await session.exec(delete(RemoteActor).where(col(RemoteActor.uri) == actor))
            self.remote.forget_keys_of(actor)
            return handled("actor deleted")
        result = await session.exec(
            delete(RemotePost).where(
                col(RemotePost.uri) == target, col(RemotePost.actor_uri) == actor
            )
        )
        if result.rowcount:
            return handled("post deleted")
        if await delete_event(session, target, actor):
            return handled("event deleted")
        return ignored("unknown object")
