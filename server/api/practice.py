"""``/api/v1`` practice grounds of a meetup: its roles (list, volunteer, assign, hand back),
its agenda (items, order, times) and its minutes (read, write, publish)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from server.api.common import api_user, error_response, read_json
from server.api.schemas import AGENDA, MEETUP_ROLES, MINUTES
from server.api.spec import ApiRoute, Doc
from server.db import db
from server.errors import NotFound
from server.models import AgendaItem, Event, Group, Minutes, User
from server.request_scope import path_id, settings_of
from server.services import agenda, meetup_roles, rotation
from server.services import membership as members
from server.services import minutes as minutes_service


class AssignIn(BaseModel):
    """Give the role to this member (a username, with or without '@')."""

    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=1, max_length=31)


class AgendaItemIn(BaseModel):
    """A new agenda item."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=200)
    note: str = Field(default="", max_length=2000)
    presenter: str = Field(default="", max_length=100, description="who brings it")
    minutes: int = Field(default=10, ge=1, le=agenda.MAX_MINUTES)
    proposal_id: int | None = Field(default=None, ge=1)


class AgendaItemPatch(BaseModel):
    """An item's time (organizers and the facilitator)."""

    model_config = ConfigDict(extra="forbid")

    minutes: int = Field(ge=1, le=agenda.MAX_MINUTES)


class AgendaOrderIn(BaseModel):
    """Every item id of the agenda once, in the new order."""

    model_config = ConfigDict(extra="forbid")

    order: list[int] = Field(max_length=agenda.MAX_ITEMS)


class MinutesIn(BaseModel):
    """The minutes (Markdown); ``publish`` publishes a draft to the group's chosen audience."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=200)
    summary: str = Field(default="", max_length=500)
    body: str = Field(min_length=1, max_length=minutes_service.MAX_BODY)
    publish: bool = False


async def _meetup(request: Request, session: AsyncSession) -> tuple[Event, Group, User]:
    user = await api_user(request, session)
    event_id = path_id(request, "event_id", "No such meetup.")
    event, group, _ = await members.visible_event(session, event_id, user)
    return event, group, user


async def _roles_json(session: AsyncSession, group: Group, event: Event, user: User) -> Any:
    slots = await meetup_roles.slots(session, group, event)
    membership = await members.get_membership(session, group, user)
    is_member = members.may(user, membership, "see_members")
    suggested = (
        await rotation.suggestions(session, group, event, slots)
        if await meetup_roles.is_organizer(session, group, user)
        else {}
    )
    return {
        "items": [
            {
                "role_id": slot.role.id,
                "name": slot.role.name,
                "taken": slot.holder is not None,
                "holder": f"@{slot.holder.username}" if slot.holder and is_member else None,
                "suggested": [f"@{s.user.username}" for s in suggested.get(slot.role.id or 0, [])],
            }
            for slot in slots
        ]
    }


def _role_id(request: Request) -> int:
    return path_id(request, "role_id", "No such role.")


async def list_roles(request: Request) -> Response:
    """The meetup's roles and holders (organizers also get "your turn?" suggestions)."""
    async with db(request) as session:
        event, group, user = await _meetup(request, session)
        return JSONResponse(await _roles_json(session, group, event, user))


async def volunteer(request: Request) -> Response:
    """Take an open role (taking one's own role again changes nothing)."""
    async with db(request) as session:
        event, group, user = await _meetup(request, session)
        await meetup_roles.volunteer(session, group, event, user, _role_id(request))
        return JSONResponse(await _roles_json(session, group, event, user))


async def assign(request: Request) -> Response:
    """Give a role to a member (organizers)."""
    data = await read_json(request, AssignIn)
    async with db(request) as session:
        event, group, user = await _meetup(request, session)
        username = data.username.lstrip("@")
        await meetup_roles.assign(session, group, event, user, _role_id(request), username)
        return JSONResponse(await _roles_json(session, group, event, user))


async def hand_back(request: Request) -> Response:
    """Hand a role back (its holder) or free it (organizers)."""
    async with db(request) as session:
        event, group, user = await _meetup(request, session)
        await meetup_roles.hand_back(session, group, event, user, _role_id(request))
        return JSONResponse(await _roles_json(session, group, event, user))


def _item_json(item: AgendaItem, starts_at: Any) -> dict[str, Any]:
    return {
        "id": item.id,
        "title": item.title,
        "note": item.note,
        "presenter": item.presenter,
        "minutes": item.minutes,
        "starts_at": starts_at.isoformat(),
        "proposal_id": item.proposal_id,
    }


async def _agenda_json(session: AsyncSession, event: Event) -> dict[str, Any]:
    plan = agenda.schedule(event, await agenda.items(session, event))
    return {
        "items": [_item_json(row.item, row.starts_at) for row in plan.rows],
        "total_minutes": plan.total,
        "length_minutes": plan.length,
        "over_minutes": plan.over,
    }


async def read_agenda(request: Request) -> Response:
    """The agenda in order, with start times and the total against the meetup's length."""
    async with db(request) as session:
        event, _, _ = await _meetup(request, session)
        return JSONResponse(await _agenda_json(session, event))


async def add_item(request: Request) -> Response:
    """Add an item at the end (members)."""
    data = await read_json(request, AgendaItemIn)
    async with db(request) as session:
        event, group, user = await _meetup(request, session)
        item = await agenda.add_item(
            session, group, event, user, agenda.ItemFields(**data.model_dump())
        )
        body = await _agenda_json(session, event)
        body["created"] = item.id
    return JSONResponse(body, status_code=201)


async def order_items(request: Request) -> Response:
    """Put the agenda in a new order (organizers and the facilitator)."""
    data = await read_json(request, AgendaOrderIn)
    async with db(request) as session:
        event, group, user = await _meetup(request, session)
        await agenda.reorder(session, group, event, user, data.order)
        return JSONResponse(await _agenda_json(session, event))


def _item_id(request: Request) -> int:
    return path_id(request, "item_id", "No such agenda item.")


async def change_item(request: Request) -> Response:
    """Set an item's time (organizers and the facilitator)."""
    data = await read_json(request, AgendaItemPatch)
    async with db(request) as session:
        event, group, user = await _meetup(request, session)
        await agenda.set_minutes(session, group, event, user, _item_id(request), data.minutes)
        return JSONResponse(await _agenda_json(session, event))


async def remove_item(request: Request) -> Response:
    """Remove an item (its author, the organizers or the facilitator)."""
    async with db(request) as session:
        event, group, user = await _meetup(request, session)
        await agenda.remove_item(session, group, event, user, _item_id(request))
    return Response(status_code=204)


def _minutes_json(minutes: Minutes) -> dict[str, Any]:
    return {
        "event": minutes.event_id,
        "title": minutes.title,
        "summary": minutes.summary,
        "body": minutes.body_md,
        "body_html": minutes.body_html,
        "visibility": minutes.visibility,
        "published_at": minutes.published_at.isoformat() if minutes.published_at else None,
        "updated_at": minutes.updated_at.isoformat(),
    }


async def read_minutes(request: Request) -> Response:
    """The minutes: published ones for who may read them, drafts for who may write them;
    ``prefill`` holds Markdown to start from while there are none."""
    async with db(request) as session:
        event, group, user = await _meetup(request, session)
        minutes = await minutes_service.get_minutes(session, event)
        may_write = await minutes_service.may_write(session, group, event, user)
        if minutes is None and may_write:
            prefill = await minutes_service.prefill(session, group, event)
            detail = {"message": "No minutes yet: start from the prefill.", "prefill": prefill}
            return error_response(404, "not_found", detail)
        if minutes is None or not (
            may_write or await minutes_service.may_read(session, group, minutes, user)
        ):
            raise NotFound("No minutes for this meetup.")
        return JSONResponse(_minutes_json(minutes))


async def write_minutes(request: Request) -> Response:
    """Write or edit the minutes, publishing them when ``publish`` is true; an edit of
    published minutes goes to their audience as an ``Update``."""
    data = await read_json(request, MinutesIn)
    async with db(request) as session:
        event, group, user = await _meetup(request, session)
        existed = await minutes_service.get_minutes(session, event) is not None
        minutes, _ = await minutes_service.save(
            session,
            settings_of(request),
            group,
            event,
            user,
            title=data.title,
            summary=data.summary,
            body=data.body,
            publish=data.publish,
        )
        body = _minutes_json(minutes)
    return JSONResponse(body, status_code=200 if existed else 201)


CHANGE_ERRORS = (400, 401, 403, 404, 409, 415)
VOLUNTEER = "Take an open role (no body; taking one's own role again changes nothing)"
HAND_BACK = "Hand the role back (its holder) or free it (organizers)"
ORDER = "Order the agenda (organizers and the facilitator)"
SET_TIME = "Set an item's time (organizers and the facilitator)"
READ_MINUTES = "The minutes (404 with a Markdown prefill for their writers while none exist)"
WRITE_MINUTES = "Write, edit or publish the minutes (the note-taker and organizers)"
routes = [
    ApiRoute(
        "/api/v1/events/{event_id}/roles",
        list_roles,
        "GET",
        Doc(
            "The meetup's roles and holders",
            "listMeetupRoles",
            {200: ("The meetup's roles and holders", MEETUP_ROLES)},
            (401, 404),
        ),
    ),
    ApiRoute(
        "/api/v1/events/{event_id}/roles/{role_id}/volunteer",
        volunteer,
        "PUT",
        Doc(
            VOLUNTEER,
            "volunteerForRole",
            {200: (VOLUNTEER, MEETUP_ROLES)},
            (400, 401, 403, 404, 409),
        ),
    ),
    ApiRoute(
        "/api/v1/events/{event_id}/roles/{role_id}",
        assign,
        "PUT",
        Doc(
            "Give the role to a member (organizers)",
            "assignRole",
            {200: ("Give the role to a member (organizers)", MEETUP_ROLES)},
            CHANGE_ERRORS,
            body=AssignIn,
        ),
    ),
    ApiRoute(
        "/api/v1/events/{event_id}/roles/{role_id}",
        hand_back,
        "DELETE",
        Doc(HAND_BACK, "handBackRole", {200: (HAND_BACK, MEETUP_ROLES)}, (400, 401, 403, 404)),
    ),
    ApiRoute(
        "/api/v1/events/{event_id}/agenda",
        read_agenda,
        "GET",
        Doc(
            "The agenda with start times",
            "getAgenda",
            {200: ("The agenda with start times", AGENDA)},
            (401, 404),
        ),
    ),
    ApiRoute(
        "/api/v1/events/{event_id}/agenda",
        add_item,
        "POST",
        Doc(
            "Add an agenda item (members)",
            "addAgendaItem",
            {201: ("Add an agenda item (members)", AGENDA)},
            CHANGE_ERRORS,
            body=AgendaItemIn,
        ),
    ),
    ApiRoute(
        "/api/v1/events/{event_id}/agenda/order",
        order_items,
        "PUT",
        Doc(ORDER, "orderAgenda", {200: (ORDER, AGENDA)}, CHANGE_ERRORS, body=AgendaOrderIn),
    ),
    ApiRoute(
        "/api/v1/events/{event_id}/agenda/{item_id}",
        change_item,
        "PATCH",
        Doc(
            SET_TIME,
            "setAgendaItemTime",
            {200: (SET_TIME, AGENDA)},
            CHANGE_ERRORS,
            body=AgendaItemPatch,
        ),
    ),
    ApiRoute(
        "/api/v1/events/{event_id}/agenda/{item_id}",
        remove_item,
        "DELETE",
        Doc(
            "Remove an item (its author, organizers, the facilitator)",
            "removeAgendaItem",
            {204: ("Removed", None)},
            (400, 401, 403, 404),
        ),
    ),
    ApiRoute(
        "/api/v1/events/{event_id}/minutes",
        read_minutes,
        "GET",
        Doc(READ_MINUTES, "getMinutes", {200: (READ_MINUTES, MINUTES)}, (401, 404)),
    ),
    ApiRoute(
        "/api/v1/events/{event_id}/minutes",
        write_minutes,
        "PUT",
        Doc(
            WRITE_MINUTES,
            "writeMinutes",
            {200: (WRITE_MINUTES, MINUTES)},
            CHANGE_ERRORS,
            body=MinutesIn,
        ),
    ),
]
