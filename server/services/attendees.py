"""Who answered a meetup, and who may see what of it.

=============  ============================================  ==========
viewer         sees                                          CSV export
=============  ============================================  ==========
organizers     everyone, with handle, answer and how         yes
members        the names of those going / maybe / waiting    no
anyone else    only the counts                               no
=============  ============================================  ==========

"Organizers" are the group's admins and moderators (and instance admins).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.errors import InvalidInput
from server.i18n import lazy_gettext
from server.models import Event, Membership, Participation, RemoteActor, RsvpStatus, User
from server.services import membership as members
from server.services import rsvp
from server.services.rsvp_notify import status_text

Audience = Literal["organizers", "members", "public"]

#: The order answers are listed in.
STATUS_ORDER = (
    RsvpStatus.GOING,
    RsvpStatus.WAITLISTED,
    RsvpStatus.PENDING,
    RsvpStatus.MAYBE,
    RsvpStatus.NOT_GOING,
    RsvpStatus.REJECTED,
)
STATUS_LABELS = {
    "going": lazy_gettext("Going"),
    "waitlisted": lazy_gettext("Waitlist"),
    "pending": lazy_gettext("Awaiting approval"),
    "maybe": lazy_gettext("Maybe"),
    "not_going": lazy_gettext("Not going"),
    "rejected": lazy_gettext("Turned down"),
}
#: What members see (names only): people who may come.
MEMBERS_SEE = (RsvpStatus.GOING, RsvpStatus.WAITLISTED, RsvpStatus.MAYBE)


@dataclass(frozen=True)
class AttendeeRow:
    """One answer as the attendee list shows it."""

    participation_id: int
    name: str
    handle: str
    profile_url: str
    status: RsvpStatus
    via: str
    answered_at: datetime
    waitlisted_at: datetime | None

    @property
    def status_label(self) -> str:
        label = STATUS_LABELS.get(self.status)
        return str(label) if label is not None else self.status


def audience_of(user: User | None, membership: Membership | None) -> Audience:
    """How much of the attendee list this viewer may see."""
    if members.may(user, membership, "moderate"):
        return "organizers"
    if members.may(user, membership, "see_members"):
        return "members"
    return "public"


async def attendee_rows(session: AsyncSession, event: Event) -> list[AttendeeRow]:
    """Every answer to the meetup, in :data:`STATUS_ORDER`, earliest answer first."""
    query = (
        select(Participation, User, RemoteActor)
        .outerjoin(User, col(User.id) == col(Participation.user_id))
        .outerjoin(RemoteActor, col(RemoteActor.uri) == col(Participation.actor_uri))
        .where(Participation.event_id == event.id)
        .order_by(col(Participation.waitlisted_at), col(Participation.created_at))
    )
    rows = [_row(p, user, actor) for p, user, actor in (await session.exec(query)).all()]
    rank = {status: index for index, status in enumerate(STATUS_ORDER)}
    return sorted(rows, key=lambda row: rank.get(row.status, len(rank)))


def _row(participation: Participation, user: User | None, actor: RemoteActor | None) -> AttendeeRow:
    if user is not None:
        name = user.display_name or user.username
        handle, url = f"@{user.username}", f"/users/{user.username}"
    elif actor is not None:
        name = actor.name or actor.username or actor.uri
        handle, url = actor.handle, actor.url or actor.uri
    else:
        uri = participation.actor_uri or ""
        name, handle, url = uri, uri, uri
    return AttendeeRow(
        participation_id=participation.id or 0,
        name=name,
        handle=handle,
        profile_url=url,
        status=participation.status,
        via=participation.via,
        answered_at=participation.created_at,
        waitlisted_at=participation.waitlisted_at,
    )


def visible_rows(rows: list[AttendeeRow], audience: Audience) -> list[AttendeeRow]:
    """The rows this audience may see (members: those who may come; the public: none)."""
    if audience == "organizers":
        return rows
    if audience == "members":
        return [row for row in rows if row.status in MEMBERS_SEE]
    return []


def attendees_csv(rows: list[AttendeeRow]) -> str:
    """The attendee list as CSV for organizers (cells that a spreadsheet would run as a
    formula are quoted with a leading apostrophe)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["name", "handle", "answer", "via", "answered_at"])
    for row in rows:
        handle = row.handle.removeprefix("@")  # a leading @ starts a formula in spreadsheets
        cells = [row.name, handle, row.status, row.via, row.answered_at.isoformat()]
        writer.writerow([_inert(cell) for cell in cells])
    return out.getvalue()


def _inert(cell: str) -> str:
    return f"'{cell}" if cell[:1] in ("=", "+", "-", "@", "\t", "\r") else cell


async def page_context(
    session: AsyncSession, event: Event, user: User | None, membership: Any
) -> dict[str, Any]:
    """What the meetup page shows about answers, for this viewer."""
    counts = await rsvp.counts(session, event)
    audience = audience_of(user, membership)
    rows = visible_rows(await attendee_rows(session, event), audience)
    mine = await rsvp.find(session, event, rsvp.Attendee.local(user)) if user else None
    try:
        rsvp.check_open(event)
        open_reason = ""
    except InvalidInput as closed:
        open_reason = closed.message
    return {
        "counts": counts,
        "seats_left": rsvp.remaining_capacity(event, counts),
        "audience": audience,
        "attendees": rows,
        "my_answer": mine.status if mine else "",
        "my_status": status_text(event, mine, await rsvp.waitlist_position(session, mine))
        if mine
        else "",
        "rsvp_closed": open_reason,
    }
