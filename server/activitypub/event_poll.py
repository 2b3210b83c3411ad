"""RSVP by poll, for Mastodon users (who cannot send ``Join``): every federated meetup that
takes RSVPs here comes with a ``Question`` — options Going / Maybe / Can't make it — posted
by the group as a reply to the ``Event``. It closes when the meetup ends (``endTime``: the
meetup's end, as answers on its page), or at once when the meetup is cancelled (``closed``).

Why a reply and not a ``Question`` that carries the event: Mobilizon, Gancio and Friendica
need the object to stay an ``Event`` to list it in their calendars, and Mastodon shows a
reply by the same account right under the event post (its thread, and its followers' home
timelines, as a self-reply). A vote arrives as ``Create{Note{name, inReplyTo: <poll>}}``.
Counts go out as ``Update{Question}`` (with ``Update{Event}`` for ``participantCount``),
at most every :data:`COUNTS_EVERY`, however many answers arrive; ``votersCount`` is the sum
of the options' counts (people waiting for a seat are not yet "Going").

Mastodon keeps one vote per person in a single-choice poll (``vote_validator.rb``), so the
poll and every message about it say how to change an answer: reply "going", "maybe" or
"can't go" (:mod:`server.activitypub.event_replies`). Once the meetup is edited, the poll
carries ``updated`` (the edit's time, later than the one before): Mastodon re-renders a
status only for an ``updated`` newer than the last (``process_status_update_service.rb``);
count updates repeat the same ``updated`` and refresh the numbers only.
"""

from __future__ import annotations

import html
from datetime import timedelta

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from federation import activities as vocab
from federation.jsonld import JsonObject
from server.activitypub.language import group_language, with_language
from server.db import utcnow
from server.i18n import SUPPORTED_LANGUAGES, _, ngettext, pgettext, use_locale
from server.models import Event, EventStatus, Group, JoinMode
from server.services import rsvp
from server.services.rsvp_notify import when_text
from server.services.rsvp_words import CHANGE_HINT
from server.uris import LocalUris

#: Counts go out at most this often per meetup (a burst of answers → one Update).
COUNTS_EVERY = timedelta(seconds=10)

#: Poll option names in English and the answers they stand for.
OPTIONS: dict[str, rsvp.Answer] = {"Going": "going", "Maybe": "maybe", "Can't make it": "not_going"}


def option_names() -> dict[str, rsvp.Answer]:
    """The options as the active language names them (a poll goes out in its group's)."""
    return {
        pgettext("poll option", "Going"): "going",
        pgettext("poll option", "Maybe"): "maybe",
        pgettext("poll option", "Can't make it"): "not_going",
    }


def _simple(name: str) -> str:
    return name.strip().replace("’", "'").casefold()


def _known_names() -> dict[str, rsvp.Answer]:
    """Every language's option names: a vote names an option of the poll as it was sent,
    in the group's language then (which may have changed since)."""
    names: dict[str, rsvp.Answer] = {}
    for language in SUPPORTED_LANGUAGES:
        with use_locale(language):
            names.update((_simple(name), answer) for name, answer in option_names().items())
    return names


def poll_uri(uris: LocalUris, event_id: int) -> str:
    """The RSVP poll's id (a page of its own, served as JSON to fetchers)."""
    return f"{uris.event(event_id)}/poll"


def takes_poll_answers(event: Event) -> bool:
    """Whether the meetup gets a poll: people answer it here (not on another site)."""
    return event.join_mode != JoinMode.EXTERNAL


def answer_for(option: str, language: str = "") -> rsvp.Answer | None:
    """The RSVP answer a poll option name stands for, in the poll's ``language`` or any
    other Hearth speaks (tolerant of case and apostrophes)."""
    wanted = _simple(option)
    with use_locale(language or None):
        sent = {_simple(name): answer for name, answer in option_names().items()}
    return sent.get(wanted) or _known_names().get(wanted)


async def poll_document(
    session: AsyncSession, uris: LocalUris, group: Group, event: Event, to: list[str], cc: list[str]
) -> JsonObject:
    """The meetup's RSVP poll with the current counts (see the module docstring).

    Its text depends only on the meetup, never on the counts: Mastodon shows new text only
    after an edit (``updated``), but new counts after every Update."""
    counts = await rsvp.counts(session, event)
    numbers = {"going": counts.going, "maybe": counts.maybe, "not_going": counts.not_going}
    link = uris.event(event.id or 0)
    language = group_language(uris, group)
    with use_locale(language):
        content = _poll_text(event, link)
        options = option_names()
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
            with_language(
                {"type": "Note", "name": name, "replies": {"type": "Collection", "totalItems": n}},
                language,
            )
            for name, n in ((name, numbers[answer]) for name, answer in options.items())
        ],
        "votersCount": sum(numbers.values()),
        "to": to,
        "cc": cc,
    }
    if event.sequence:
        question["updated"] = vocab.format_datetime(event.updated_at)
    if event.status == EventStatus.CANCELLED:
        question["closed"] = vocab.format_datetime(event.updated_at)
    return with_language(question, language)


def _poll_text(event: Event, link: str) -> str:
    """The poll's question, in the active language (HTML)."""
    meetup = f'<a href="{html.escape(link)}">{html.escape(event.title)}</a>'
    text = _("Coming to %(meetup)s (%(when)s)? Vote to RSVP.") % {
        "meetup": meetup,
        "when": html.escape(when_text(event)),
    }
    if event.capacity is not None:
        text += " " + html.escape(
            ngettext(
                "When the one seat is taken, Going puts you on the waitlist.",
                "When all %(num)d seats are taken, Going puts you on the waitlist.",
                event.capacity,
            )
            % {"num": event.capacity}
        )
    return f"<p>{text} {html.escape(str(CHANGE_HINT))}</p>"


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
