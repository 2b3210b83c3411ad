"""Events received from remote groups that local users follow (Mobilizon, Gancio, Hearth…)."""

from __future__ import annotations

from sqlmodel import col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from federation.events import EventError, parse_event
from federation.jsonld import JsonObject
from server.activitypub.outcomes import Outcome, handled, ignored
from server.db import utcnow
from server.markup import html_to_text, sanitize_html
from server.models import EventStatus, RemoteEvent

STATUSES = {status.name: status for status in EventStatus}


def _apply(row: RemoteEvent, obj: JsonObject, actor: str) -> RemoteEvent | None:
    try:
        parsed = parse_event(obj, actor)
    except EventError:
        return None
    row.url = (parsed.url or "")[:2048]
    row.name = html_to_text(parsed.name or "")[:300] or "Untitled event"
    row.summary = html_to_text(parsed.summary or "")[:1000]
    row.content_html = sanitize_html(parsed.content_html or "")
    row.starts_at = parsed.start
    row.ends_at = parsed.end
    row.timezone = (parsed.timezone or "")[:64]
    row.location = html_to_text(parsed.location_text or "")[:500]
    row.latitude = parsed.latitude
    row.longitude = parsed.longitude
    row.online_url = (parsed.online_url or "")[:2048]
    row.image_url = (parsed.image_url or "")[:2048]
    tags = (" ".join(html_to_text(tag).split())[:64] for tag in parsed.tags)
    row.tags = "\n".join(dict.fromkeys(tag for tag in tags if tag))
    row.status = STATUSES.get((parsed.status or "CONFIRMED").upper(), EventStatus.CONFIRMED)
    return row


async def store_event(session: AsyncSession, obj: JsonObject, owner: str, sent_by: str) -> Outcome:
    """Store (or refresh) a remote Event of ``owner`` (the group) sent by ``sent_by``.

    Only the group itself, or whoever first sent the event, may change it.
    """
    uri = str(obj.get("id"))
    row = (await session.exec(select(RemoteEvent).where(RemoteEvent.uri == uri))).first()
    if row is not None and (row.actor_uri != owner or sent_by not in (owner, row.sent_by)):
        return ignored("event of another actor")
    is_new = row is None
    blank = RemoteEvent(uri=uri, actor_uri=owner, sent_by=sent_by, name="", starts_at=utcnow())
    row = _apply(row or blank, obj, owner)
    if row is None:
        return ignored("not a usable event")
    if not is_new:
        row.updated_at = utcnow()
    session.add(row)
    return handled("stored event" if is_new else "event updated")


async def delete_event(session: AsyncSession, uri: str, actor: str) -> bool:
    """Forget a remote event its group, or whoever sent it, deleted."""
    result = await session.exec(
        delete(RemoteEvent).where(
            col(RemoteEvent.uri) == uri,
            (col(RemoteEvent.actor_uri) == actor) | (col(RemoteEvent.sent_by) == actor),
        )
    )
    return bool(result.rowcount)
