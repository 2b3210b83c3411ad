"""Practice grounds on the meetup page and the group: rotating roles (volunteer, assign, hand
back, "your turn?"), the agenda (add, order, set times) and the group's roles page with its
rotation history. Every form carries the CSRF token; refusals are 4xx pages with the reason."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from server.db import utcnow
from server.errors import InvalidInput, NotFound
from server.i18n import _
from server.inputs import whole_number
from server.models import Event, EventStatus, Group, Membership, Proposal, User
from server.services import agenda, meetup_roles, rotation
from server.services import membership as members
from server.services import minutes as minutes_service
from server.services.groups import get_group
from server.web.common import (
    current_user,
    db,
    flash,
    form_text,
    path_id,
    read_form,
    redirect,
    render,
    require_user,
    settings_of,
)


def _clock(event: Event, moment: Any) -> str:
    return str(moment.astimezone(ZoneInfo(event.timezone)).strftime("%H:%M"))


async def group_proposals(session: AsyncSession, group: Group) -> list[Proposal]:
    """The group's proposals an agenda item can point to, newest first."""
    query = (
        select(Proposal)
        .where(Proposal.group_id == group.id)
        .order_by(col(Proposal.created_at).desc())
        .limit(50)
    )
    return list((await session.exec(query)).all())


async def practice_context(
    session: AsyncSession,
    group: Group,
    event: Event,
    user: User | None,
    membership: Membership | None,
) -> dict[str, Any]:
    """What the meetup page shows of roles, agenda and minutes."""
    is_member = members.may(user, membership, "see_members")
    is_organizer = members.may(user, membership, "moderate")
    slots = await meetup_roles.slots(session, group, event)
    items = await agenda.items(session, event)
    plan = agenda.schedule(event, items)
    proposals = {p.id: p for p in await group_proposals(session, group)} if is_member else {}
    minutes = await minutes_service.get_minutes(session, event)
    if minutes is not None and not await minutes_service.may_read(session, group, minutes, user):
        minutes = None
    return {
        "role_slots": slots,
        "role_suggestions": await rotation.suggestions(session, group, event, slots)
        if is_organizer
        else {},
        "role_members": await meetup_roles.active_local_members(session, group)
        if is_organizer
        else [],
        "agenda_plan": plan,
        "agenda_clock": [_clock(event, row.starts_at) for row in plan.rows],
        "agenda_proposals": proposals,
        "may_lead": await agenda.may_lead(session, group, event, user),
        "is_member": is_member,
        "is_organizer": is_organizer,
        "practice_open": event.status != EventStatus.CANCELLED and event.ends_at > utcnow(),
        "meetup_begun": event.starts_at <= utcnow(),
        "minutes": minutes,
        "may_write_minutes": await minutes_service.may_write(session, group, event, user),
    }


async def _meetup(request: Request, session: AsyncSession) -> tuple[Event, Group, User]:
    user = await require_user(request, session)
    event_id = path_id(request, "event_id", _("No such meetup."))
    event, group, _ignored = await members.visible_event(session, event_id, user)
    return event, group, user


def _role_id(request: Request) -> int:
    return path_id(request, "role_id", _("No such role."))


def _item_id(request: Request) -> int:
    return path_id(request, "item_id", _("No such agenda item."))


def _number(form: FormData, key: str, default: int | None = None) -> int | None:
    raw = form_text(form, key).strip()
    if not raw:
        return default
    number = whole_number(raw, 0, 999_999)
    if number is None:
        raise InvalidInput(_("Enter a whole number."), field=key)
    return number


async def role_action(request: Request) -> Response:
    """Volunteer, assign (organizers), hand back, or ask suggested members."""
    form = await read_form(request)
    action = request.path_params["action"]
    async with db(request) as session:
        event, group, user = await _meetup(request, session)
        if action == "volunteer":
            await meetup_roles.volunteer(session, group, event, user, _role_id(request))
            message = _("The role is yours. Thank you!")
        elif action == "assign":
            username = form_text(form, "username").strip().lstrip("@")
            await meetup_roles.assign(session, group, event, user, _role_id(request), username)
            message = _("The role is now @%(username)s's.") % {"username": username}
        elif action == "hand-back":
            await meetup_roles.hand_back(session, group, event, user, _role_id(request))
            message = _("The role is open again.")
        else:
            raise NotFound(_("No such action."))
    flash(request, message, "success")
    return redirect(f"/events/{event.id}#roles")


async def ask_members(request: Request) -> Response:
    """An organizer asks the suggested members to take the open roles ("your turn?")."""
    await read_form(request)
    async with db(request) as session:
        event, group, user = await _meetup(request, session)
        await members.require(session, group, user, "moderate")
        meetup_roles.check_not_over(event)
        asked = await rotation.ask_for_open_roles(session, settings_of(request), group, event)
    names = ", ".join(f"@{person.username} ({role.name})" for role, person in asked)
    flash(
        request,
        _("Asked: %(names)s.") % {"names": names} if asked else _("Nobody new to ask."),
        "success",
    )
    return redirect(f"/events/{event.id}#roles")


async def add_item(request: Request) -> Response:
    """A member adds an agenda item."""
    form = await read_form(request)
    async with db(request) as session:
        event, group, user = await _meetup(request, session)
        fields = agenda.ItemFields(
            title=form_text(form, "title"),
            note=form_text(form, "note"),
            presenter=form_text(form, "presenter"),
            minutes=_number(form, "minutes", 10) or 0,
            proposal_id=_number(form, "proposal_id"),
        )
        await agenda.add_item(session, group, event, user, fields)
    flash(request, _("Added to the agenda."), "success")
    return redirect(f"/events/{event.id}#agenda")


async def item_action(request: Request) -> Response:
    """Move an item up or down, set its minutes, or remove it."""
    form = await read_form(request)
    action = form_text(form, "action")
    async with db(request) as session:
        event, group, user = await _meetup(request, session)
        item_id = _item_id(request)
        if action in ("up", "down"):
            await agenda.move(session, group, event, user, item_id, -1 if action == "up" else 1)
        elif action == "minutes":
            minutes = _number(form, "minutes")
            if minutes is None:
                raise InvalidInput(_("Enter the minutes for this item."), field="minutes")
            await agenda.set_minutes(session, group, event, user, item_id, minutes)
        elif action == "remove":
            await agenda.remove_item(session, group, event, user, item_id)
        else:
            raise InvalidInput(
                _("Choose move up, move down, set minutes or remove."), field="action"
            )
    flash(request, _("Agenda updated."), "success")
    return redirect(f"/events/{event.id}#agenda")


async def next_meetup(session: AsyncSession, group: Group) -> Event | None:
    """The group's next meetup that is not over (nor cancelled)."""
    query = (
        select(Event)
        .where(
            Event.group_id == group.id,
            col(Event.ends_at) > utcnow(),
            col(Event.status) != EventStatus.CANCELLED,
        )
        .order_by(col(Event.starts_at))
        .limit(1)
    )
    return (await session.exec(query)).first()


async def group_roles_page(request: Request) -> Response:
    """The group's roles (organizers edit them) and who held which, how often."""
    async with db(request) as session:
        group = await get_group(session, request.path_params["slug"])
        user = await current_user(request, session)
        membership = await members.get_membership(session, group, user)
        if not members.may(user, membership, "see_members"):
            raise NotFound(_("Only members see the group's roles."))
        roles = await meetup_roles.group_roles(session, group)
        upcoming = await next_meetup(session, group)
        slots = await meetup_roles.slots(session, group, upcoming) if upcoming else []
        context = {
            "group": group,
            "roles": roles,
            "next_event": upcoming,
            "next_slots": slots,
            "suggested": await rotation.suggestions(session, group, upcoming, slots)
            if upcoming
            else {},
            "history": await rotation.role_history(session, group),
            "can_edit": members.may(user, membership, "moderate"),
        }
        return await render(request, session, "group_roles.html", context, user=user)


async def group_roles_submit(request: Request) -> Response:
    """Add, rename or remove a role (organizers)."""
    form = await read_form(request)
    slug = request.path_params["slug"]
    async with db(request) as session:
        user = await require_user(request, session)
        group = await get_group(session, slug)
        action = form_text(form, "action")
        if action == "add":
            role = await meetup_roles.add_role(session, group, user, form_text(form, "name"))
            message = _("Role “%(role)s” added.") % {"role": role.name}
        elif action in ("rename", "remove"):
            role_id = _number(form, "role_id")
            if role_id is None:
                raise InvalidInput(_("Choose a role."), field="role_id")
            if action == "rename":
                role = await meetup_roles.rename_role(
                    session, group, user, role_id, form_text(form, "name")
                )
                message = _("Role renamed to “%(role)s”.") % {"role": role.name}
            else:
                await meetup_roles.remove_role(session, group, user, role_id)
                message = _("Role removed.")
        else:
            raise InvalidInput(_("Choose add, rename or remove."), field="action")
    flash(request, message, "success")
    return redirect(f"/groups/{slug}/roles")


routes = [
    Route("/events/{event_id}/roles/ask", ask_members, methods=["POST"]),
    Route("/events/{event_id}/roles/{role_id}/{action}", role_action, methods=["POST"]),
    Route("/events/{event_id}/agenda", add_item, methods=["POST"]),
    Route("/events/{event_id}/agenda/{item_id}", item_action, methods=["POST"]),
    Route("/groups/{slug}/roles", group_roles_page, methods=["GET"]),
    Route("/groups/{slug}/roles", group_roles_submit, methods=["POST"]),
]
