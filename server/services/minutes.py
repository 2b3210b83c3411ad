"""Meetup minutes: from the meetup's start the note-taker (or an organizer) writes them in
Markdown, prefilled with the agenda, who was there and the decisions of the linked
proposals; they are published to the group's members or to everyone (the group's choice).

Who was there comes from check-in, which is never public: members see who met in person,
so members-only minutes are prefilled with names, public minutes only with how many came.
"""

from __future__ import annotations

import json

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.config import Settings
from server.db import utcnow
from server.errors import Forbidden, InvalidInput
from server.i18n import _, ngettext
from server.markup import render_markdown
from server.models import (
    MINUTES_VISIBILITIES,
    AgendaItem,
    Event,
    Group,
    Minutes,
    Proposal,
    RemoteActor,
    User,
)
from server.services import membership as members
from server.services.agenda import items
from server.services.checkin import attendance
from server.services.meetup_roles import NOTE_TAKER, holds, is_organizer, practice_settings
from server.services.outbound import MinutesSaved, emit
from server.services.tally import outcome_word
from server.uris import LocalUris

MAX_BODY = 50_000


async def get_minutes(session: AsyncSession, event: Event) -> Minutes | None:
    return (await session.exec(select(Minutes).where(Minutes.event_id == event.id))).first()


async def may_write(session: AsyncSession, group: Group, event: Event, user: User | None) -> bool:
    """The meetup's note-taker and the group's organizers write the minutes."""
    return await is_organizer(session, group, user) or await holds(session, event, user, NOTE_TAKER)


async def may_read(
    session: AsyncSession, group: Group, minutes: Minutes, user: User | None
) -> bool:
    """Published public minutes: anyone; published members-only ones: members. Drafts are
    for those who may write them (:func:`may_write`)."""
    if minutes.published_at is not None and minutes.visibility == "public":
        return True
    membership = await members.get_membership(session, group, user)
    return members.may(user, membership, "see_members") and minutes.published_at is not None


async def set_visibility(session: AsyncSession, group: Group, user: User, visibility: str) -> None:
    """The group's choice: minutes for members or for everyone (organizers)."""
    await members.require(session, group, user, "moderate")
    if visibility not in MINUTES_VISIBILITIES:
        raise InvalidInput(_("Minutes are for members or public."), field="visibility")
    settings = await practice_settings(session, group)
    settings.minutes_visibility = visibility
    session.add(settings)
    await session.flush()


async def _who_was_there(session: AsyncSession, event: Event, public: bool) -> list[str]:
    rows = await attendance(session, event)
    if not rows:
        return [_("Nobody checked in.")]
    if public:
        count = len(rows)
        return [
            ngettext("%(count)s person checked in.", "%(count)s people checked in.", count)
            % {"count": count}
        ]
    uris = [row.actor_uri for row in rows if row.actor_uri]
    found = await session.exec(select(RemoteActor).where(col(RemoteActor.uri).in_(uris)))
    handles = {actor.uri: actor.handle for actor in found.all()}
    return [
        f"- {row.user.name} (@{row.user.username})"
        if row.user
        else f"- {handles.get(row.actor_uri or '', row.actor_uri)}"
        for row in rows
    ]


def _decision_line(proposal: Proposal) -> str:
    if proposal.tallied_at is None:
        return _("- %(title)s: voting open until %(closes_at)s UTC.") % {
            "title": proposal.title,
            "closes_at": f"{proposal.closes_at:%Y-%m-%d %H:%M}",
        }
    result = json.loads(proposal.result_json or "{}")
    values = {
        "title": proposal.title,
        "outcome": outcome_word(proposal.outcome),
        "winner": result.get("winner"),
    }
    if result.get("winner"):
        return _("- %(title)s: %(outcome)s (%(winner)s).") % values
    return _("- %(title)s: %(outcome)s.") % values


async def _decisions(session: AsyncSession, agenda: list[AgendaItem]) -> list[str]:
    ids = [item.proposal_id for item in agenda if item.proposal_id]
    if not ids:
        return [_("No proposals were linked to the agenda.")]
    found = await session.exec(select(Proposal).where(col(Proposal.id).in_(ids)))
    by_id = {p.id: p for p in found.all()}
    return [_decision_line(by_id[i]) for i in dict.fromkeys(ids) if i in by_id]


async def prefill(session: AsyncSession, group: Group, event: Event) -> str:
    """Markdown to start the minutes from: agenda, who was there, decisions."""
    settings = await practice_settings(session, group)
    agenda = await items(session, event)
    lines = ["## " + _("Agenda"), ""]
    for number, item in enumerate(agenda, 1):
        values = {"title": item.title, "presenter": item.presenter, "minutes": item.minutes}
        lines.append(f"{number}. " + _("**%(title)s** (%(presenter)s, %(minutes)s min)") % values)
        lines.append("   " + _("Notes:") + " ")
    if not agenda:
        lines.append(_("No agenda items."))
    lines += ["", "## " + _("Who was there"), ""]
    lines += await _who_was_there(session, event, settings.minutes_visibility == "public")
    lines += ["", "## " + _("Decisions"), "", *await _decisions(session, agenda), ""]
    return "\n".join(lines)


def _check(title: str, summary: str, body: str) -> None:
    if not title.strip():
        raise InvalidInput(_("Give the minutes a title."), field="title")
    if len(title) > 200:
        raise InvalidInput(_("The title is at most 200 characters."), field="title")
    if len(summary) > 500:
        raise InvalidInput(_("The summary is at most 500 characters."), field="summary")
    if not body.strip():
        raise InvalidInput(_("The minutes are empty."), field="body")
    if len(body) > MAX_BODY:
        raise InvalidInput(_("Minutes are at most 50,000 characters."), field="body")


async def save(
    session: AsyncSession,
    settings: Settings,
    group: Group,
    event: Event,
    user: User,
    *,
    title: str,
    summary: str,
    body: str,
    publish: bool = False,
) -> tuple[Minutes, bool]:
    """Write (or edit) the minutes, publishing them when asked; returns them and whether they
    were published before this save. Published minutes federate (an edit as an Update)."""
    if not await may_write(session, group, event, user):
        raise Forbidden(_("Only the note-taker and the organizers write the minutes."))
    if event.starts_at > utcnow():
        raise InvalidInput(_("Minutes can be written once the meetup has begun."))
    _check(title, summary, body)
    minutes = await get_minutes(session, event) or Minutes(
        event_id=event.id or 0, group_id=group.id or 0, title=""
    )
    was_published = minutes.published_at is not None
    minutes.author_id = minutes.author_id or user.id
    minutes.title = title.strip()
    minutes.summary = " ".join(summary.split())
    minutes.body_md = body
    minutes.body_html = render_markdown(body)
    minutes.updated_at = utcnow()
    if publish and not was_published:
        minutes.published_at = utcnow()
        chosen = (await practice_settings(session, group)).minutes_visibility
        minutes.visibility = "members" if event.visibility == "members" else chosen
    session.add(minutes)
    await session.flush()
    await emit(session, MinutesSaved(LocalUris(settings), group, event, minutes))
    return minutes, was_published


async def archive(
    session: AsyncSession, group: Group, user: User | None
) -> list[tuple[Minutes, Event]]:
    """The group's published minutes the viewer may read, newest meetup first."""
    membership = await members.get_membership(session, group, user)
    is_member = members.may(user, membership, "see_members")
    query = (
        select(Minutes, Event)
        .join(Event, col(Event.id) == col(Minutes.event_id))
        .where(Minutes.group_id == group.id, col(Minutes.published_at).is_not(None))
        .order_by(col(Event.starts_at).desc())
        .limit(500)
    )
    return [
        (minutes, event)
        for minutes, event in (await session.exec(query)).all()
        if is_member or minutes.visibility == "public"
    ]


def archive_markdown(group: Group, entries: list[tuple[Minutes, Event]]) -> str:
    """The minutes archive as one Markdown document."""
    lines = ["# " + _("Minutes of %(group)s") % {"group": group.name}, ""]
    for minutes, event in entries:
        lines += [f"## {event.starts_at:%Y-%m-%d}: {minutes.title}", ""]
        if minutes.summary:
            lines += [f"*{minutes.summary}*", ""]
        lines += [minutes.body_md.strip(), ""]
    return "\n".join(lines)
