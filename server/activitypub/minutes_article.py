"""Meetup minutes across the fediverse: an ``Article`` from the group (``name`` the title,
``summary`` the one-line summary, ``content`` the minutes as HTML, ``inReplyTo`` the meetup's
``Event``, ``context`` the group), sent as ``Create`` when published and ``Update`` on each
later edit, to the audience the minutes have.

How Mastodon shows it (mastodon/mastodon app/lib/activitypub/activity/create.rb):
``Article`` is one of the ``CONVERTED_TYPES``, so the status text is built from the
``name`` and the ``url`` (``text_from_content`` linkifies "name url"), the ``summary``
becomes the status's content warning (``text_from_summary``), and the ``url`` is used only
when its host is the actor's (``invalid_origin?``) — so the url is the minutes' page on this
instance. Visibility comes from the addressing (``visibility_from_audience``;
app/lib/activitypub/parser/status_parser.rb ``visibility``): public minutes go ``to`` the
public collection with the followers in ``cc``; members-only minutes are addressed to the
remote members by name only, and delivered to their inboxes only.
"""

from __future__ import annotations

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from federation import activities as vocab
from federation.jsonld import AS_PUBLIC, JsonObject
from server.activitypub.language import group_language, with_language
from server.activitypub.publish import inboxes_of, publish, publish_to_followers
from server.db import utcnow
from server.i18n import _, use_locale
from server.markup import sanitize_html
from server.models import Event, Group, Minutes
from server.services.outbound import MinutesSaved, handles
from server.services.remote_membership import member_actors
from server.uris import LocalUris


def minutes_uri(uris: LocalUris, event: Event) -> str:
    """The Article's id (also its page)."""
    return f"{uris.event(event.id or 0)}/minutes"


async def _audience(
    session: AsyncSession, uris: LocalUris, group: Group, minutes: Minutes
) -> tuple[list[str], list[str], list[str]]:
    """(to, cc, member inboxes)."""
    remote_members = await member_actors(session, group)
    named = [actor.uri for actor in remote_members]
    inboxes = inboxes_of(remote_members)
    if minutes.visibility == "public":
        return [AS_PUBLIC], [f"{uris.group(group.slug)}/followers", *named], inboxes
    return named, [], inboxes


async def article_document(
    session: AsyncSession, uris: LocalUris, group: Group, event: Event, minutes: Minutes
) -> JsonObject:
    """The minutes as an ``Article``."""
    to, cc, _inboxes = await _audience(session, uris, group, minutes)
    link = minutes_uri(uris, event)
    language = group_language(uris, group)
    with use_locale(language):
        summary = minutes.summary or _("Minutes of “%(title)s”") % {"title": event.title}
    article: JsonObject = {
        "@context": vocab.ld_context(),
        "id": link,
        "type": "Article",
        "attributedTo": uris.group(group.slug),
        "name": minutes.title,
        "summary": summary,
        "content": sanitize_html(minutes.body_html),
        "mediaType": "text/html",
        "source": {"content": minutes.body_md, "mediaType": "text/markdown"},
        "url": link,
        "inReplyTo": uris.event(event.id or 0),
        "context": uris.group(group.slug),
        "published": vocab.format_datetime(minutes.published_at or minutes.created_at),
        "to": to,
        "cc": cc,
    }
    if minutes.federated_at is not None:
        article["updated"] = vocab.format_datetime(minutes.updated_at)
    return with_language(article, language)


async def send_minutes(
    session: AsyncSession, uris: LocalUris, group: Group, event: Event, minutes: Minutes
) -> bool:
    """Send published minutes: ``Create`` the first time, ``Update`` after an edit. Returns
    whether anything was queued (members-only minutes of a group with no remote members
    have nobody to go to)."""
    if minutes.published_at is None or group.suspended_at is not None:
        return False
    kind = "Update" if minutes.federated_at is not None else "Create"
    article = await article_document(session, uris, group, event, minutes)
    _, _, inboxes = await _audience(session, uris, group, minutes)
    build = vocab.build_update if kind == "Update" else vocab.build_create
    activity = build(
        uris.new_activity(), uris.group(group.slug), article, to=article["to"], cc=article["cc"]
    )
    activity["@context"] = article.pop("@context")
    minutes.federated_at = utcnow()
    session.add(minutes)
    if minutes.visibility == "public":
        await publish_to_followers(session, activity, uris.group(group.slug), extra=inboxes)
        return True
    if inboxes:
        await publish(session, activity, inboxes)
        return True
    return False


@handles(MinutesSaved)
async def on_minutes_saved(session: AsyncSession, saved: MinutesSaved) -> None:
    """Minutes were written or edited: published ones go out."""
    await send_minutes(session, saved.uris, saved.group, saved.event, saved.minutes)


async def send_minutes_removal(
    session: AsyncSession, uris: LocalUris, group: Group, event: Event
) -> None:
    """The meetup is being deleted: its federated minutes go too (``Delete{Tombstone}`` to
    the audience they had)."""
    minutes = (await session.exec(select(Minutes).where(Minutes.event_id == event.id))).first()
    if minutes is None or minutes.federated_at is None:
        return
    to, cc, inboxes = await _audience(session, uris, group, minutes)
    activity = vocab.build_delete(
        uris.new_activity(),
        uris.group(group.slug),
        minutes_uri(uris, event),
        to=to,
        cc=cc,
        former_type="Article",
        deleted=utcnow(),
    )
    if minutes.visibility == "public":
        await publish_to_followers(session, activity, uris.group(group.slug), extra=inboxes)
    elif inboxes:
        await publish(session, activity, inboxes)
