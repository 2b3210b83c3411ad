"""Changing an RSVP by replying, for Mastodon users: Mastodon refuses a second vote in a
single-choice poll on the voter's own server (``app/validators/vote_validator.rb``), so the
group's messages say "reply going, maybe or can't go to change your answer".

A reply counts when it is a ``Note`` by the actor, in reply to the meetup's ``Event``, its
poll (``…/events/<id>/poll``) or a message the group sent about it
(``…/events/<id>/messages/…``), and its text — without the mention of the group — is one of
the phrases of :mod:`server.services.rsvp_words`. The answer goes through the same RSVP rules
as every other (capacity, waitlist, restricted and members-only meetups) and is confirmed by
a direct message, even when it was already the answer. Any other reply is left to the next
handler (a conversation under the meetup).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from sqlmodel.ext.asyncio.session import AsyncSession

from federation.addresses import same_origin
from federation.jsonld import JsonObject, get_id
from server.activitypub.event_rsvp import EventRsvpHandler
from server.activitypub.outcomes import Outcome, ignored
from server.inputs import row_id
from server.markup import html_to_text
from server.services.rsvp_words import answer_in
from server.uris import LocalUris


def replied_event_id(uris: LocalUris, uri: str | None) -> int | None:
    """The meetup a reply is about: its Event, its poll, or a message about it."""
    if not uri or not uris.is_local(uri):
        return None
    pieces = urlsplit(uri).path.strip("/").split("/")
    if len(pieces) < 2 or pieces[0] != "events":
        return None
    rest = pieces[2:]
    if rest in ([], ["poll"]) or (len(rest) == 2 and rest[0] == "messages" and rest[1]):
        return row_id(pieces[1])
    return None


def reply_text(note: JsonObject) -> str:
    """The plain text of a reply (``content``, else the first ``contentMap`` entry)."""
    content = note.get("content")
    if not isinstance(content, str):
        languages = note.get("contentMap")
        texts = (
            [v for v in languages.values() if isinstance(v, str)]
            if isinstance(languages, dict)
            else []
        )
        content = texts[0] if texts else ""
    return html_to_text(content[:2000])


class EventReplyHandler(EventRsvpHandler):
    """Turns "going" / "maybe" / "can't go" replies into RSVP answers."""

    async def on_reply(
        self, session: AsyncSession, activity: JsonObject, actor: str
    ) -> Outcome | None:
        note = activity.get("object")
        if not isinstance(note, dict) or note.get("type") != "Note" or note.get("name"):
            return None  # a poll vote (Note with a name) is on_vote's
        event_id = replied_event_id(self.uris, get_id(note.get("inReplyTo")))
        if event_id is None:
            return None
        answer = answer_in(reply_text(note))
        if answer is None:
            return None
        note_id = get_id(note)
        if get_id(note.get("attributedTo")) != actor or not note_id:
            return ignored("an answer on someone else's behalf")
        if not same_origin(note_id, actor):
            return ignored("a reply from another origin than its author")
        return await self._answer(
            session, event_id, actor, answer, via="reply", activity_uri=note_id, confirm=True
        )
