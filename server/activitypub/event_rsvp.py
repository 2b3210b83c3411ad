"""RSVPs from other servers, in each dialect, all through :mod:`server.services.rsvp_actions`:

- Mobilizon: ``Join{object: event}`` → ``Accept{Join}`` once the person has a seat (at once,
  or when an organizer approves / the waitlist promotes them); ``Reject{Join}`` with the
  reason when turned down or waitlisted (Mobilizon would drop the Join silently);
  ``Leave{object: event}`` (or ``Undo{Join}``) gives the seat back.
- Friendica: ``Accept`` / ``TentativeAccept`` / ``Reject`` whose object is the Event
  (going / maybe / not going); ``Undo`` of one withdraws it.
- Mastodon: a vote in the meetup's poll (:mod:`server.activitypub.event_poll`),
  ``Create{Note{name, inReplyTo: <poll>}}``; a later vote replaces the answer. Mastodon
  itself sends only one vote, so its users change their answer by replying "going",
  "maybe" or "can't go" (:mod:`server.activitypub.event_replies`).

Remote people are told where they stand by a direct message from the group (poll and
Friendica answers, and whenever someone is waitlisted or promoted).
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from federation import activities as vocab
from federation.jsonld import JsonObject, get_id
from server.activitypub.event_poll import answer_for
from server.activitypub.language import group_language
from server.activitypub.outcomes import Outcome, handled, ignored, refused
from server.activitypub.publish import publish
from server.config import Settings
from server.errors import HearthError, NotFound
from server.i18n import _, use_locale
from server.inputs import row_id
from server.models import Event, Group, Participation, RemoteActor, RsvpStatus
from server.services import rsvp, rsvp_actions
from server.services.notices import direct_message, tell_participant
from server.services.post_shape import is_poll_vote
from server.services.rsvp_notify import REMOTE_ANSWERERS, status_text
from server.uris import LocalUris

if TYPE_CHECKING:
    from server.activitypub.processing import InboxProcessor

#: Friendica's answers to an Event and what they mean here.
FRIENDICA_ANSWERS: dict[str, rsvp.Answer] = {
    "Accept": "going",
    "TentativeAccept": "maybe",
    "Reject": "not_going",
}
#: The statuses a Mobilizon Join is answered with (Accept, or Reject with the reason).
JOIN_ANSWERED = (RsvpStatus.GOING, RsvpStatus.WAITLISTED, RsvpStatus.REJECTED)


def local_event_id(uris: LocalUris, uri: str | None, suffix: str = "") -> int | None:
    """The id of the local meetup ``uri`` names (``…/events/<id><suffix>``), else None."""
    if not uri or not uris.is_local(uri):
        return None
    path = urlsplit(uri).path.rstrip("/")
    pieces = path.removesuffix(suffix).strip("/").split("/") if path.endswith(suffix) else []
    if len(pieces) != 2 or pieces[0] != "events":
        return None
    return row_id(pieces[1])


class EventRsvpHandler:
    """Turns the RSVP dialects into answers (see the module docstring)."""

    def __init__(self, processor: InboxProcessor) -> None:
        self.uris: LocalUris = processor.uris
        self.settings: Settings = processor.settings

    async def _answer(
        self,
        session: AsyncSession,
        event_id: int,
        actor: str,
        answer: rsvp.Answer,
        *,
        via: str,
        activity_uri: str,
        confirm: bool = False,
    ) -> Outcome:
        """Record the answer through the RSVP use case and tell the person (with ``confirm``,
        also when it was already their answer), in the group's language."""
        with use_locale(await self._language(session, event_id)):
            try:
                answered = await rsvp_actions.answer(
                    session,
                    self.settings,
                    event_id,
                    actor,
                    answer,
                    via=via,
                    activity_uri=activity_uri,
                )
            except NotFound:
                return ignored("an answer to an unknown meetup")
            except HearthError as refusal:
                await self._refuse(session, event_id, actor, activity_uri, via, refusal.message)
                return refused(f"answer refused: {refusal.message}"[:200])
            result = answered.result
            status = result.participation.status if result.participation else ""
            if confirm and result.participation is not None and not result.changed:
                await tell_participant(
                    session,
                    self.settings,
                    answered.group,
                    result.participation,
                    kind="rsvp",
                    text=answered.message,
                )
            return handled(f"answered {status}" if result.changed else "answer unchanged")

    async def _language(self, session: AsyncSession, event_id: int) -> str:
        """The language of the meetup's group (what it tells people is written in it)."""
        event = await session.get(Event, event_id)
        group = await session.get(Group, event.group_id) if event is not None else None
        return group_language(self.uris, group) if group is not None else ""

    async def _refuse(
        self,
        session: AsyncSession,
        event_id: int,
        actor: str,
        activity_uri: str,
        via: str,
        reason: str,
    ) -> None:
        """Tell the person why their answer does not count (a Reject for a Join)."""
        remote = (await session.exec(select(RemoteActor).where(RemoteActor.uri == actor))).first()
        event = await session.get(Event, event_id)
        group = await session.get(Group, event.group_id) if event is not None else None
        if remote is None or event is None or group is None:
            return
        if via == "join":
            join = _join_of(activity_uri, actor, self.uris.event(event_id))
            await send_join_answer(
                session, self.uris, group, remote, join, accept=False, why=reason
            )
        link = self.uris.event(event_id)
        text = _("Your answer to “%(title)s” was not recorded: %(reason)s") % {
            "title": event.title,
            "reason": reason,
        }
        text = f"{text} {link}"
        await direct_message(session, self.uris, group, remote, text, about=link)

    async def _withdraw(self, session: AsyncSession, event_id: int, actor: str) -> Outcome:
        try:
            withdrawn = await rsvp_actions.withdraw(session, self.settings, event_id, actor)
        except NotFound:
            return ignored("leaving an unknown meetup")
        if withdrawn.result.previous is None:
            return ignored("had not answered")
        return handled("left the meetup")

    # ---------------------------------------------------------------- per activity type

    async def on_vote(
        self, session: AsyncSession, activity: JsonObject, actor: str
    ) -> Outcome | None:
        """A Mastodon poll vote on a meetup's RSVP poll."""
        note = activity.get("object")
        if not isinstance(note, dict) or not is_poll_vote(note):
            return None  # a titled post or a reply is a discussion (relay.py), not a vote
        event_id = local_event_id(self.uris, get_id(note.get("inReplyTo")), "/poll")
        if event_id is None:
            return None
        if get_id(note.get("attributedTo")) not in (None, actor):
            return ignored("a vote on someone else's behalf")
        answer = answer_for(str(note["name"]), await self._language(session, event_id))
        if answer is None:
            return ignored("not one of the poll's options")
        vote_id = str(get_id(note) or activity.get("id") or "")
        return await self._answer(
            session, event_id, actor, answer, via="poll", activity_uri=vote_id
        )

    async def on_join(
        self, session: AsyncSession, activity: JsonObject, actor: str
    ) -> Outcome | None:
        """Mobilizon's Join of a meetup."""
        event_id = local_event_id(self.uris, get_id(activity.get("object")))
        if event_id is None:
            return None
        join_id = str(activity.get("id") or "")
        return await self._answer(
            session, event_id, actor, "going", via="join", activity_uri=join_id
        )

    async def on_leave(
        self, session: AsyncSession, activity: JsonObject, actor: str
    ) -> Outcome | None:
        """Mobilizon's Leave of a meetup."""
        event_id = local_event_id(self.uris, get_id(activity.get("object")))
        if event_id is None:
            return None
        return await self._withdraw(session, event_id, actor)

    async def on_friendica(
        self, session: AsyncSession, activity: JsonObject, actor: str
    ) -> Outcome | None:
        """Friendica's Accept / TentativeAccept / Reject of a meetup."""
        event_id = local_event_id(self.uris, get_id(activity.get("object")))
        answer = FRIENDICA_ANSWERS.get(str(activity.get("type")))
        if event_id is None or answer is None:
            return None
        return await self._answer(
            session,
            event_id,
            actor,
            answer,
            via="friendica",
            activity_uri=str(activity.get("id") or ""),
        )

    async def on_undo(
        self, session: AsyncSession, activity: JsonObject, actor: str
    ) -> Outcome | None:
        """``Undo`` of a Join or of a Friendica answer, embedded or named by its id.

        Only the answer it names is withdrawn: Friendica changes an answer as
        ``Undo{old answer}`` plus the new answer, in separate jobs, so an Undo arriving after
        the new answer must leave that one alone (compared with the stored activity id).
        """
        inner = activity.get("object")
        inner_id = get_id(inner)
        if isinstance(inner, dict) and inner.get("type") in ("Join", *FRIENDICA_ANSWERS):
            event_id = local_event_id(self.uris, get_id(inner.get("object")))
            if event_id is None:
                return None
            if get_id(inner.get("actor")) not in (None, actor):
                return ignored("undo of someone else's answer")
            answered = await self._participation(session, event_id, actor)
            if answered and inner_id and answered.activity_uri not in ("", inner_id):
                return ignored("undo of an answer since replaced")
            return await self._withdraw(session, event_id, actor)
        if not inner_id or (isinstance(inner, dict) and inner.get("type") is not None):
            return None
        named = (
            await session.exec(
                select(Participation).where(
                    Participation.actor_uri == actor, Participation.activity_uri == inner_id
                )
            )
        ).first()
        if named is None:
            return None  # perhaps a follow or a group Join: the next handler looks
        return await self._withdraw(session, named.event_id, actor)

    async def on_account_deleted(
        self, session: AsyncSession, activity: JsonObject, actor: str
    ) -> None:
        """Mastodon's ``Delete{object: the actor itself}``: the person's answers are
        withdrawn (seats freed, waitlists promoted); the next handlers remove the rest."""
        if get_id(activity.get("object")) != actor:
            return None
        query = select(Participation.event_id).where(Participation.actor_uri == actor)
        for event_id in list((await session.exec(query)).all()):
            await self._withdraw(session, event_id, actor)
        return None

    async def _participation(
        self, session: AsyncSession, event_id: int, actor: str
    ) -> Participation | None:
        query = select(Participation).where(
            Participation.event_id == event_id, Participation.actor_uri == actor
        )
        return (await session.exec(query)).first()


def _join_of(join_id: str, actor: str, event_uri: str) -> JsonObject:
    return {"id": join_id, "type": "Join", "actor": actor, "object": event_uri}


async def send_join_answer(
    session: AsyncSession,
    uris: LocalUris,
    group: Group,
    person: RemoteActor,
    join: JsonObject,
    *,
    accept: bool,
    why: str = "",
) -> None:
    """``Accept`` or ``Reject`` (with the reason as its content) of a Join, from the group."""
    build = vocab.build_accept if accept else vocab.build_reject
    activity = build(uris.new_activity(), uris.group(group.slug), join, to=[person.uri])
    if why:
        activity["content"] = why
    await publish(session, activity, [person.inbox])


async def answer_joins(
    session: AsyncSession,
    settings: Settings,
    group: Group,
    event: Event,
    participation: Participation,
    previous: RsvpStatus | None,
) -> None:
    """Answer a Mobilizon Join in its own vocabulary whenever its status changes."""
    if participation.via != "join" or not participation.activity_uri:
        return
    status = participation.status
    if status not in JOIN_ANSWERED or status == previous:
        return
    uri = participation.actor_uri or ""
    person = (await session.exec(select(RemoteActor).where(RemoteActor.uri == uri))).first()
    if person is None:
        return
    uris = LocalUris(settings)
    join = _join_of(participation.activity_uri, uri, uris.event(event.id or 0))
    position = await rsvp.waitlist_position(session, participation)
    with use_locale(group_language(uris, group)):
        why = "" if status == RsvpStatus.GOING else status_text(event, participation, position)
    await send_join_answer(
        session, uris, group, person, join, accept=status == RsvpStatus.GOING, why=why
    )


REMOTE_ANSWERERS.append(answer_joins)
