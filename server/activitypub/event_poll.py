"""RSVP by poll, for Mastodon users (who cannot send ``Join``): every federated meetup that
takes RSVPs here comes with a ``Question`` — options Going / Maybe / Can't make it — posted
by the group as a reply to the ``Event``.

Why a reply and not a ``Question`` that carries the event: Mobilizon, Gancio and Friendica
need the object to stay an ``Event`` to list it in their calendars, and Mastodon shows a
reply by the same account right under the event post (its thread, and its followers' home
timelines, as a self-reply). A vote arrives as ``Create{Note{name, inReplyTo: <poll>}}``.
Counts go out as ``Update{Question}`` (with ``Update{Event}`` for ``participantCount``),
at most every :data:`COUNTS_EVERY`, however many answers arrive.
"""

from __future__ import annotations

import html
from datetime import timedelta

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from federation import activities as vocab
from federation.jsonld import JsonObject
from server.activitypub.uris import LocalUris
from server.db import utcnow
from server.models import Group
from server.models_events import Event
from server.services import rsvp
from server.services.rsvp_notify import when_text

#: Counts go out at most this often per meetup (a burst of answers → one Update).
COUNTS_EVERY = timedelta(seconds=10)

#: Poll option names and the answers they stand for.
OPTIONS: dict[str, rsvp.Answer] = {"Going": "going", "Maybe": "maybe", "Can't make it": "not_going"}


def poll_uri(uris: LocalUris, event_id: int) -> str:
    """The RSVP poll's id (a page of its own, served as JSON to fetchers)."""
    return f"{uris.event(event_id)}/poll"


def takes_poll_answers(event: Event) -> bool:
    """Whether the meetup gets a poll: people answer it here (not on another site)."""
    return event.join_mode != "external"


def answer_for(option: str) -> rsvp.Answer | None:
    """The RSVP answer a poll option name stands for (tolerant of case and apostrophes)."""
    wanted = option.strip().replace("’", "'").casefold()
    return next((a for name, a in OPTIONS.items() if name.casefold() == wanted), None)


async def poll_document(
    session: AsyncSession, uris: LocalUris, group: Group, event: Event, to: list[str], cc: list[str]
) -> JsonObject:
    """The meetup's RSVP poll with the current counts; closed once the meetup has started
    or was cancelled."""
    counts = await rsvp.counts(session, event)
    numbers = {"going": counts.going, "maybe": counts.maybe, "not_going": counts.not_going}
    link = uris.event(event.id or 0)
    seats = rsvp.remaining_capacity(event, counts)
    full = " It is full: a vote for Going puts you on the waitlist." if seats == 0 else ""
    content = (
        f'<p>Coming to <a href="{html.escape(link)}">{html.escape(event.title)}</a> '
        f"({html.escape(when_text(event))})? Vote to RSVP; vote again to change your "
        f"answer.{html.escape(full)}</p>"
    )
    question: JsonObject = {
        "id": poll_uri(uris, event.id or 0),
        "type": "Question",
        "attributedTo": uris.group(group.slug),
        "inReplyTo": link,
        "content": content,
        "url": link,
        "published": vocab.format_datetime(event.created_at),
        "endTime": vocab.format_datetime(event.ends_at),
        "oneOf": [
            {"type": "Note", "name": name, "replies": {"type": "Collection", "totalItems": n}}
            for name, n in ((name, numbers[answer]) for name, answer in OPTIONS.items())
        ],
        "votersCount": counts.going + counts.maybe + counts.not_going + counts.waitlisted,
        "to": to,
        "cc": cc,
    }
    if event.status == "cancelled":
        question["closed"] = vocab.format_datetime(event.updated_at)
    return question


async def due_count_updates(session: AsyncSession) -> list[tuple[Event, Group]]:
    """Federated meetups whose counts changed at least :data:`COUNTS_EVERY` ago."""
    query = (
        select(Event, Group)
        .join(Group, col(Group.id) == col(Event.group_id))
        .where(
            col(Event.counts_changed_at).is_not(None),
            col(Event.counts_changed_at) <= utcnow() - COUNTS_EVERY,
            col(Event.federated_at).is_not(None),
        )
        .limit(50)
    )
    return [(event, group) for event, group in (await session.exec(query)).all()]
