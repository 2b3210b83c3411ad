"""Proposals as polls across the fediverse: each proposal goes to the group's members as a
``Question`` (so Mastodon members vote with one click), each vote arrives as
``Create{Note{name, inReplyTo: <proposal>}}``, counts are refreshed with ``Update{Question}``
(at most every few seconds, however many votes arrive), and the closed poll — with the final
count — goes out when the worker tallies the proposal.

A members-only proposal is addressed to the remote members by name (never public, never to
followers) and its JSON is served only to a signed fetch by a member.
"""

from __future__ import annotations

import html
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from federation import activities as vocab
from federation.jsonld import AS_PUBLIC, JsonObject, get_id
from server.activitypub.language import group_language, with_language
from server.activitypub.mentions import mentioned_inboxes, stored_tags, with_mentions
from server.activitypub.outcomes import Outcome, handled, ignored, refused
from server.activitypub.publish import publish, publish_to_followers
from server.db import utcnow
from server.errors import HearthError
from server.i18n import _, use_locale
from server.inputs import row_id
from server.markup import sanitize_html
from server.models import Group, Proposal, RemoteActor
from server.services import proposals as service
from server.services.notices import direct_message
from server.services.outbound import ProposalOpened, handles
from server.services.post_shape import is_poll_vote
from server.services.remote_membership import member_actors
from server.services.rsvp import Attendee
from server.services.tally import CLOSED_HOOKS
from server.uris import LocalUris

if TYPE_CHECKING:
    from server.activitypub.processing import InboxProcessor

#: Counts go out at most this often per proposal (a burst of votes → one Update).
COUNTS_EVERY = timedelta(seconds=10)


def proposal_uri(uris: LocalUris, group: Group, proposal: Proposal) -> str:
    return f"{uris.group(group.slug)}/proposals/{proposal.id}"


async def _audience(
    session: AsyncSession, uris: LocalUris, group: Group, proposal: Proposal
) -> tuple[list[str], list[str], list[str]]:
    """(to, cc, member inboxes): the members by name; a public proposal also goes to the
    public and the followers (whose inboxes :func:`_send` streams)."""
    members = await member_actors(session, group)
    to = [actor.uri for actor in members]
    cc: list[str] = []
    if proposal.visibility == "public":
        to, cc = [AS_PUBLIC], [f"{uris.group(group.slug)}/followers", *to]
    return to, cc, sorted({actor.delivery_inbox for actor in members})


async def question_document(
    session: AsyncSession, uris: LocalUris, group: Group, proposal: Proposal
) -> JsonObject:
    """The proposal as a ``Question`` with the current counts (``closed`` once tallied)."""
    to, cc, _inboxes = await _audience(session, uris, group, proposal)
    counts = await service.vote_counts(session, proposal)
    link = f"{uris.base}/groups/{group.slug}/proposals/{proposal.id}"
    language = group_language(uris, group)
    with use_locale(language):
        invitation = _("Vote here or on %(group)s until the poll closes.") % {
            "group": f'<a href="{html.escape(link)}">{html.escape(group.name)}</a>'
        }
    # The body is our own sanitized HTML, kept as is: its hashtags keep rel="tag".
    content = (
        sanitize_html(f"<p><strong>{html.escape(proposal.title)}</strong></p>")
        + proposal.body_html
        + sanitize_html(f"<p>{invitation}</p>")
    )
    question: JsonObject = {
        "@context": vocab.ld_context(),
        "id": proposal_uri(uris, group, proposal),
        "type": "Question",
        "attributedTo": uris.group(group.slug),
        "name": proposal.title,
        "content": content,
        "url": link,
        "published": vocab.format_datetime(proposal.created_at),
        "endTime": vocab.format_datetime(proposal.closes_at),
        "oneOf": [
            with_language(
                {
                    "type": "Note",
                    "name": option,
                    "replies": {"type": "Collection", "totalItems": n},
                },
                language,
            )
            for option, n in counts.items()
        ],
        "votersCount": sum(counts.values()),
        "to": to,
        "cc": cc,
    }
    if proposal.tallied_at is not None:
        question["closed"] = vocab.format_datetime(proposal.tallied_at)
    if hashtags := stored_tags(proposal.tags_json, "Hashtag"):
        question["tag"] = hashtags
    with_language(question, language)
    return with_mentions(question, proposal.tags_json, address=proposal.visibility == "public")


async def _send(
    session: AsyncSession, uris: LocalUris, group: Group, proposal: Proposal, kind: str
) -> None:
    question = await question_document(session, uris, group, proposal)
    _, _, inboxes = await _audience(session, uris, group, proposal)
    build = vocab.build_create if kind == "Create" else vocab.build_update
    activity = build(
        uris.new_activity(), uris.group(group.slug), question, to=question["to"], cc=question["cc"]
    )
    activity["@context"] = question.pop("@context")
    if proposal.visibility == "public":
        inboxes += await mentioned_inboxes(session, uris, proposal.tags_json)
        await publish_to_followers(session, activity, uris.group(group.slug), extra=inboxes)
    elif inboxes:
        await publish(session, activity, inboxes)


async def publish_proposal(
    session: AsyncSession, uris: LocalUris, group: Group, proposal: Proposal
) -> None:
    """Send a new proposal to the members (and, if public, the followers) as a poll."""
    await _send(session, uris, group, proposal, "Create")
    proposal.federated_at = utcnow()
    session.add(proposal)


@handles(ProposalOpened)
async def on_proposal_opened(session: AsyncSession, opened: ProposalOpened) -> None:
    """A proposal was opened: it goes out as a poll."""
    await publish_proposal(session, opened.uris, opened.group, opened.proposal)


async def send_changed_counts(session: AsyncSession, uris: LocalUris) -> int:
    """``Update{Question}`` for open proposals whose counts changed (a periodic job)."""
    due = (
        await session.exec(
            select(Proposal, Group)
            .join(Group, col(Group.id) == col(Proposal.group_id))
            .where(
                col(Proposal.counts_changed_at).is_not(None),
                col(Proposal.counts_changed_at) <= utcnow() - COUNTS_EVERY,
                col(Proposal.federated_at).is_not(None),
                col(Proposal.tallied_at).is_(None),
            )
            .limit(50)
        )
    ).all()
    for proposal, group in due:
        await _send(session, uris, group, proposal, "Update")
        proposal.counts_changed_at = None
        session.add(proposal)
    return len(due)


async def send_closed(
    session: AsyncSession, uris: LocalUris, group: Group, proposal: Proposal
) -> None:
    """The closed poll with its final count (called when the proposal is tallied)."""
    if proposal.federated_at is not None:
        await _send(session, uris, group, proposal, "Update")
        proposal.counts_changed_at = None
        session.add(proposal)


# ---------------------------------------------------------------- incoming votes


def _vote_target(uris: LocalUris, activity: JsonObject, actor: str) -> tuple[str, int, str] | None:
    """(group slug, proposal id, option) when the activity is a poll vote for a proposal."""
    note = activity.get("object")
    if not isinstance(note, dict) or not is_poll_vote(note):
        return None  # a titled post with content is a post (relay.py), not a vote
    if get_id(note.get("attributedTo")) not in (None, actor):
        return None
    target = get_id(note.get("inReplyTo")) or ""
    if not uris.is_local(target):
        return None
    pieces = target.removeprefix(uris.base).strip("/").split("/")
    if len(pieces) != 4 or pieces[0] != "groups" or pieces[2] != "proposals":
        return None
    proposal_id = row_id(pieces[3])
    if proposal_id is None:
        return None
    return pieces[1], proposal_id, str(note["name"])[:200]


class VoteHandler:
    """Counts poll votes on proposals; tells people whose vote cannot count why."""

    def __init__(self, processor: InboxProcessor) -> None:
        self.uris: LocalUris = processor.uris

    async def on_create(
        self, session: AsyncSession, activity: JsonObject, actor: str
    ) -> Outcome | None:
        target = _vote_target(self.uris, activity, actor)
        if target is None:
            return None
        slug, proposal_id, option = target
        group = (await session.exec(select(Group).where(Group.slug == slug))).first()
        proposal = await session.get(Proposal, proposal_id)
        if group is None or proposal is None or proposal.group_id != group.id:
            return ignored("a vote for an unknown proposal")
        note_id = str(get_id(activity.get("object")) or "")
        try:
            _vote, changed = await service.cast_vote(
                session, proposal, Attendee.remote(actor), option, activity_uri=note_id
            )
        except HearthError as refusal:
            remote = (
                await session.exec(select(RemoteActor).where(RemoteActor.uri == actor))
            ).first()
            if remote is not None:
                with use_locale(group_language(self.uris, group)):
                    text = _("Your vote on “%(title)s” was not counted: %(reason)s") % {
                        "title": proposal.title,
                        "reason": refusal.message,
                    }
                await direct_message(session, self.uris, group, remote, text)
            return refused(f"vote refused: {refusal.message}"[:200])
        return handled("vote counted" if changed else "vote unchanged")


# The closed poll goes out in the same transaction as the tally.
CLOSED_HOOKS.append(send_closed)
