"""The ``Event`` object of a local meetup (Mobilizon vocabulary; see PROTOCOL.md)."""

from __future__ import annotations

from pathlib import Path

from sqlmodel.ext.asyncio.session import AsyncSession

from federation import activities as vocab
from federation import events as ap_events
from federation.jsonld import JsonObject, get_id
from server.activitypub.event_rsvp import local_event_id
from server.activitypub.language import group_language, with_language
from server.activitypub.mentions import stored_tags, with_mentions
from server.i18n import use_locale
from server.models import Event, Group, User, UserState
from server.services import rsvp
from server.services.events import event_tags
from server.services.remote_membership import member_uris
from server.services.rsvp_notify import when_text
from server.uploads import MEDIA_TYPES
from server.uris import LocalUris

STATUSES = {"confirmed": "CONFIRMED", "tentative": "TENTATIVE", "cancelled": "CANCELLED"}


def _place(event: Event) -> ap_events.Place | None:
    if not (event.venue_name or event.street or event.locality or event.latitude is not None):
        return None
    return ap_events.Place(
        name=event.venue_name or event.locality or event.street,
        street=event.street or None,
        postal_code=event.postal_code or None,
        locality=event.locality or None,
        region=None,
        country=event.country or None,
        latitude=event.latitude,
        longitude=event.longitude,
    )


async def _organizer(session: AsyncSession, uris: LocalUris, event: Event) -> str:
    """Who organized the meetup, as an actor other than the group: its author while their
    account is active, else the instance actor (Mobilizon files an Event under its group only
    when ``actor`` and ``attributedTo`` differ)."""
    author = await session.get(User, event.created_by_id) if event.created_by_id else None
    if author is not None and author.state == UserState.ACTIVE:
        return uris.user(author.username)
    return uris.instance_actor


def _fallback_image(uris: LocalUris, group: Group) -> str:
    """The group's banner, its avatar, or Hearth's meetup picture (see ``EventFields``)."""
    upload = group.banner or group.avatar
    return f"{uris.base}/media/{upload}" if upload else f"{uris.base}/static/meetup.png"


async def event_document(
    session: AsyncSession, uris: LocalUris, group: Group, event: Event
) -> JsonObject:
    """The Event as followers receive it; its summary carries when and where for Mastodon."""
    group_uri = uris.group(group.slug)
    if event.visibility == "members":
        to, cc = await member_uris(session, group), list[str]()
    else:
        visibility = "public" if event.visibility == "public" else "unlisted"
        to, cc = vocab.addressing(visibility, f"{group_uri}/followers")
    counts = await rsvp.counts(session, event)
    language = group_language(uris, group)
    fields = ap_events.EventFields(
        id=uris.event(event.id or 0),
        url=uris.event(event.id or 0),
        name=event.title,
        content_html=event.description_html,
        attributed_to=group_uri,
        actor=await _organizer(session, uris, event),
        start=event.starts_at,
        end=event.ends_at,
        timezone=event.timezone,
        all_day=event.all_day,
        location=_place(event),
        online_url=event.online_url or None,
        join_mode=event.join_mode,
        capacity=event.capacity,
        participant_count=counts.going,
        status=STATUSES.get(event.status, "CONFIRMED"),
        comments_enabled=event.comments_enabled,
        tags=_hashtags(await event_tags(session, event), event.tags_json),
        tag_url_prefix=f"{uris.base}/tags/",
        image_url=f"{uris.base}/media/{event.cover}" if event.cover else None,
        image_media_type=MEDIA_TYPES.get(Path(event.cover).suffix, "image/jpeg"),
        fallback_image_url=_fallback_image(uris, group),
        published=event.created_at,
        updated=event.updated_at if event.sequence else None,
        to=to,
        cc=cc,
        locale=language,
    )
    document = ap_events.build_event(fields)
    if language != "en":
        with use_locale(language):
            document["summary"] = when_text(event)
    # No summaryMap: an Event's ``summary`` is schema:disambiguatingDescription in its
    # @context, and a language-tagged as:summary would read as a content warning.
    document = with_language(document, language, keys=("content", "name"))
    return with_mentions(document, event.tags_json, address=event.visibility != "members")


def _hashtags(tags: list[str], tags_json: str) -> list[str]:
    """The meetup's tags, then the hashtags of its description not among them."""
    known = [tag.lower() for tag in tags]
    written = [str(tag.get("name", "")).lstrip("#") for tag in stored_tags(tags_json, "Hashtag")]
    return [*tags, *(name for name in written if name and name.lower() not in known)]


async def current_outbox_item(
    session: AsyncSession, uris: LocalUris, item: JsonObject
) -> JsonObject | None:
    """An outbox activity as its meetup is now: a ``Create{Event}`` carries the current Event
    (a peer backfilling after a follow, e.g. Gancio's ``getOutbox`` in
    ``server/federation/helpers.js``, must not get the first version), and activities about
    a meetup since deleted or made members-only are left out (None). Others pass unchanged."""
    uri = get_id(item.get("object")) or ""
    event_id = local_event_id(uris, uri) or local_event_id(uris, uri, "/poll")
    if event_id is None:
        return item
    event = await session.get(Event, event_id)
    group = await session.get(Group, event.group_id) if event is not None else None
    if event is None or group is None or event.visibility == "members":
        return None
    if uri != uris.event(event_id) or not isinstance(item.get("object"), dict):
        return item
    document = await event_document(session, uris, group, event)
    document.pop("@context", None)
    return item | {"object": document, "to": document["to"], "cc": document["cc"]}
