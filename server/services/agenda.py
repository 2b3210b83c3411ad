"""Meetup agendas: members add items (title, optional note, who brings it, minutes wanted, an
optional proposal of the group); the organizers and the meetup's facilitator order them and
set their times. The agenda runs from the meetup's start, and its total is compared with
the meetup's length.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.db import is_row_id
from server.errors import Forbidden, InvalidInput, NotFound
from server.i18n import _
from server.models import AgendaItem, Event, Group, Proposal, User, stored_id
from server.services import membership as members
from server.services.meetup_roles import FACILITATOR, check_not_over, holds, is_organizer

MAX_ITEMS = 40
MAX_MINUTES = 600


@dataclass
class ItemFields:
    """What a member fills in for an agenda item."""

    title: str
    note: str = ""
    presenter: str = ""
    minutes: int = 10
    proposal_id: int | None = None


def _check(fields: ItemFields) -> None:
    if not fields.title.strip():
        raise InvalidInput(_("Give the agenda item a title."), field="title")
    if len(fields.title) > 200:
        raise InvalidInput(_("An item's title is at most 200 characters."), field="title")
    if len(fields.note) > 2000:
        raise InvalidInput(_("The note is at most 2,000 characters."), field="note")
    if len(fields.presenter) > 100:
        raise InvalidInput(_("Who brings it: at most 100 characters."), field="presenter")
    check_minutes(fields.minutes)


def check_minutes(minutes: int) -> None:
    if not 1 <= minutes <= MAX_MINUTES:
        raise InvalidInput(
            _("Minutes are from 1 to %(max_minutes)s.") % {"max_minutes": MAX_MINUTES},
            field="minutes",
        )


async def items(session: AsyncSession, event: Event) -> list[AgendaItem]:
    """The meetup's agenda in order."""
    query = (
        select(AgendaItem)
        .where(AgendaItem.event_id == event.id)
        .order_by(col(AgendaItem.position), col(AgendaItem.id))
    )
    return list((await session.exec(query)).all())


async def may_lead(session: AsyncSession, group: Group, event: Event, user: User | None) -> bool:
    """Organizers and the meetup's facilitator order the agenda and set its times."""
    return await is_organizer(session, group, user) or await holds(
        session, event, user, FACILITATOR
    )


async def _linked_proposal(
    session: AsyncSession, group: Group, proposal_id: int | None
) -> int | None:
    if proposal_id is None:
        return None
    proposal = await session.get(Proposal, proposal_id) if is_row_id(proposal_id) else None
    if proposal is None or proposal.group_id != group.id:
        raise InvalidInput(_("That proposal is not one of this group's."), field="proposal_id")
    return proposal.id


async def add_item(
    session: AsyncSession, group: Group, event: Event, user: User, fields: ItemFields
) -> AgendaItem:
    """A member adds an item at the end of the agenda."""
    membership = await members.get_membership(session, group, user)
    if not members.may(user, membership, "see_members"):
        raise Forbidden(_("Only members of the group can add to its meetups' agendas."))
    check_not_over(event)
    _check(fields)
    current = await items(session, event)
    if len(current) >= MAX_ITEMS:
        raise InvalidInput(
            _("An agenda has at most %(max_items)s items.") % {"max_items": MAX_ITEMS},
            field="title",
        )
    item = AgendaItem(
        event_id=event.id or 0,
        author_id=user.id,
        title=fields.title.strip(),
        note=fields.note.strip(),
        presenter=fields.presenter.strip() or user.name,
        minutes=fields.minutes,
        position=max((i.position for i in current), default=-1) + 1,
        proposal_id=await _linked_proposal(session, group, fields.proposal_id),
    )
    session.add(item)
    await session.flush()
    return item


async def get_item(session: AsyncSession, event: Event, item_id: int) -> AgendaItem:
    item = await session.get(AgendaItem, item_id) if is_row_id(item_id) else None
    if item is None or item.event_id != event.id:
        raise NotFound(_("No such agenda item."))
    return item


async def _require_lead(session: AsyncSession, group: Group, event: Event, user: User) -> None:
    if not await may_lead(session, group, event, user):
        raise Forbidden(_("Only the organizers and the facilitator order the agenda."))
    check_not_over(event)


async def set_minutes(
    session: AsyncSession, group: Group, event: Event, user: User, item_id: int, minutes: int
) -> AgendaItem:
    """Set an item's time (organizers and the facilitator)."""
    await _require_lead(session, group, event, user)
    check_minutes(minutes)
    item = await get_item(session, event, item_id)
    item.minutes = minutes
    session.add(item)
    await session.flush()
    return item


async def reorder(
    session: AsyncSession, group: Group, event: Event, user: User, order: list[int]
) -> list[AgendaItem]:
    """Put the items in this order (every item's id once)."""
    await _require_lead(session, group, event, user)
    current = {stored_id(item): item for item in await items(session, event)}
    if sorted(order) != sorted(current) or len(set(order)) != len(order):
        raise InvalidInput(_("List every item of the agenda exactly once."), field="order")
    for position, item_id in enumerate(order):
        current[item_id].position = position
        session.add(current[item_id])
    await session.flush()
    return [current[item_id] for item_id in order]


async def move(
    session: AsyncSession, group: Group, event: Event, user: User, item_id: int, step: int
) -> None:
    """Move an item one place up (-1) or down (+1)."""
    ids = [item.id or 0 for item in await items(session, event)]
    if item_id not in ids:
        raise NotFound(_("No such agenda item."))
    at = ids.index(item_id)
    to = max(0, min(len(ids) - 1, at + step))
    ids.insert(to, ids.pop(at))
    await reorder(session, group, event, user, ids)


async def remove_item(
    session: AsyncSession, group: Group, event: Event, user: User, item_id: int
) -> None:
    """Remove an item (its author, the organizers or the facilitator)."""
    item = await get_item(session, event, item_id)
    if item.author_id != user.id and not await may_lead(session, group, event, user):
        raise Forbidden(_("Only who added the item, the organizers or the facilitator remove it."))
    check_not_over(event)
    await session.delete(item)
    await session.flush()


@dataclass(frozen=True)
class Scheduled:
    """An item with the time it starts."""

    item: AgendaItem
    starts_at: datetime


@dataclass(frozen=True)
class Schedule:
    """The agenda with start times, its total and the meetup's length (minutes)."""

    rows: list[Scheduled]
    total: int
    length: int

    @property
    def over(self) -> int:
        """Minutes the agenda runs past the meetup's end (0: it fits)."""
        return max(0, self.total - self.length)


def schedule(event: Event, agenda: list[AgendaItem]) -> Schedule:
    """Start times from the meetup's start, and the running total."""
    rows: list[Scheduled] = []
    elapsed = 0
    for item in agenda:
        rows.append(Scheduled(item, event.starts_at + timedelta(minutes=elapsed)))
        elapsed += item.minutes
    length = int((event.ends_at - event.starts_at).total_seconds() // 60)
    return Schedule(rows, elapsed, length)
