"""JSON-LD documents of local actors (Group, Person, the Application instance actor)."""

from __future__ import annotations

import html

from sqlmodel.ext.asyncio.session import AsyncSession

from federation.actors import ActorFields, build_actor
from federation.jsonld import JsonObject
from server.activitypub.local import instance_actor
from server.config import Settings
from server.markup import render_markdown
from server.models import Group, MembershipMode, User
from server.services.groups import group_tags
from server.services.membership import member_count
from server.uris import LocalUris

OPENNESS = {"open": "open", "approval": "moderated", "invite": "invite_only"}


def _media(settings: Settings, name: str) -> str | None:
    return f"{settings.base_url}/media/{name}" if name else None


async def group_document(session: AsyncSession, settings: Settings, group: Group) -> JsonObject:
    """The Group actor, with Mobilizon's membership fields and collections (see
    ``server.activitypub.group_collections``) and Lemmy's moderators collection."""
    uris = LocalUris(settings)
    uri = uris.group(group.slug)
    tags = await group_tags(session, group)
    fields = ActorFields(
        id=uri,
        type="Group",
        preferred_username=group.slug,
        name=group.name,
        summary=group.summary_html,
        url=uri,
        inbox=f"{uri}/inbox",
        outbox=f"{uri}/outbox",
        followers=f"{uri}/followers",
        following=f"{uri}/following",
        shared_inbox=uris.shared_inbox,
        public_key_pem=group.public_key_pem,
        manually_approves_followers=group.membership_mode != MembershipMode.OPEN,
        discoverable=group.visibility == "public",
        indexable=group.visibility == "public",
        published=group.created_at,
        icon_url=_media(settings, group.avatar),
        image_url=_media(settings, group.banner),
        members=f"{uri}/members",
        member_count=await member_count(session, group),
        openness=OPENNESS[group.membership_mode],
        location_name=group.location or None,
        latitude=group.latitude,
        longitude=group.longitude,
        attributed_to=f"{uri}/moderators",
        events=f"{uri}/events",
        posts=f"{uri}/posts",
        discussions=f"{uri}/discussions",
        resources=f"{uri}/resources",
        todos=f"{uri}/todos",
        attachment={"Place": html.escape(group.location)} if group.location else {},
        tags=tags,
    )
    return with_move_fields(build_actor(fields), group)


#: The terms Mastodon's context gives ``alsoKnownAs`` and ``movedTo`` (both ids).
MOVE_TERMS = {
    "alsoKnownAs": {"@id": "as:alsoKnownAs", "@type": "@id"},
    "movedTo": {"@id": "as:movedTo", "@type": "@id"},
}


def with_move_fields(document: JsonObject, group: Group) -> JsonObject:
    """Add ``alsoKnownAs`` (the actors the group was) and ``movedTo`` (where it went)."""
    also_known_as = [uri for uri in group.also_known_as.splitlines() if uri]
    if not also_known_as and not group.moved_to:
        return document
    context = document.get("@context")
    if isinstance(context, list) and context and isinstance(context[-1], dict):
        context[-1].update(MOVE_TERMS)
    if also_known_as:
        document["alsoKnownAs"] = also_known_as
    if group.moved_to:
        document["movedTo"] = group.moved_to
    return document


def user_document(settings: Settings, user: User) -> JsonObject:
    """The Person actor of a local user."""
    uris = LocalUris(settings)
    uri = uris.user(user.username)
    fields = ActorFields(
        id=uri,
        type="Person",
        preferred_username=user.username,
        name=user.display_name or user.username,
        summary=render_markdown(user.bio),
        url=uri,
        inbox=f"{uri}/inbox",
        outbox=f"{uri}/outbox",
        followers=f"{uri}/followers",
        following=f"{uri}/following",
        shared_inbox=uris.shared_inbox,
        public_key_pem=user.public_key_pem,
        manually_approves_followers=False,
        discoverable=True,
        indexable=False,
        published=user.created_at,
    )
    return build_actor(fields)


async def instance_document(session: AsyncSession, settings: Settings) -> JsonObject:
    """The Application actor that signs this instance's fetches."""
    uris = LocalUris(settings)
    actor = await instance_actor(session, uris)
    fields = ActorFields(
        id=actor.uri,
        type="Application",
        preferred_username=uris.instance_username,
        name=settings.instance.name,
        summary="",
        url=f"{settings.base_url}/about",
        inbox=f"{actor.uri}/inbox",
        outbox=f"{actor.uri}/outbox",
        shared_inbox=uris.shared_inbox,
        public_key_pem=actor.public_key_pem,
        manually_approves_followers=True,
        discoverable=False,
        indexable=False,
    )
    return build_actor(fields)
