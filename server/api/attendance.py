"""``/api/v1`` RSVPs and members: answer a meetup (and change or withdraw the answer), list
the answers as the viewer may see them (:mod:`server.services.attendees`), organizers decide
on requests to attend; list a group's members (members only, local and remote), join, leave."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import col, select
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from server.api.common import api_user, read_json
from server.api.schemas import ANSWERED, INT, MEMBERS, RSVPS, STATUS, STR
from server.api.spec import ApiRoute, Doc, obj
from server.db import db
from server.errors import NotFound
from server.models import MembershipState, RemoteActor, RemoteMember
from server.request_scope import path_id, settings_of
from server.services import attendees, group_actions, rsvp_actions
from server.services import membership as members


class RsvpIn(BaseModel):
    """An answer to a meetup."""

    model_config = ConfigDict(extra="forbid")

    answer: Literal["going", "maybe", "not_going"]


class DecisionIn(BaseModel):
    """An organizer's decision on a request to attend; ``note`` is told to the person."""

    model_config = ConfigDict(extra="forbid")

    approve: bool
    note: str = Field(default="", max_length=500)


def _event_id(request: Request) -> int:
    return path_id(request, "event_id", "No such meetup.")


def _row_json(row: attendees.AttendeeRow, audience: str) -> dict[str, Any]:
    if audience != "organizers":
        return {"name": row.name, "status": row.status}
    return {
        "id": row.participation_id,
        "name": row.name,
        "handle": row.handle,
        "status": row.status,
        "via": row.via,
        "answered_at": row.answered_at.isoformat(),
    }


async def list_rsvps(request: Request) -> Response:
    """The counts, the caller's own answer, and the answers the caller may see."""
    async with db(request) as session:
        user = await api_user(request, session)
        event, _, membership = await members.visible_event(session, _event_id(request), user)
        context = await attendees.page_context(session, event, user, membership)
        counts = context["counts"]
        body = {
            "counts": {k: getattr(counts, k) for k in counts.__dataclass_fields__},
            "seats_left": context["seats_left"],
            "mine": context["my_answer"] or None,
            "items": [_row_json(row, context["audience"]) for row in context["attendees"]],
        }
    return JSONResponse(body)


async def put_rsvp(request: Request) -> Response:
    """Answer (or change the answer); says where the caller stands (waitlist position…)."""
    data = await read_json(request, RsvpIn)
    async with db(request) as session:
        user = await api_user(request, session)
        answered = await rsvp_actions.answer(
            session, settings_of(request), _event_id(request), user, data.answer, via="api"
        )
        body = {
            "status": answered.participation.status,
            "waitlist_position": answered.result.waitlist_position,
            "message": answered.message,
        }
    return JSONResponse(body)


async def delete_rsvp(request: Request) -> Response:
    """Withdraw the caller's answer (a seat taken goes to the waitlist)."""
    async with db(request) as session:
        user = await api_user(request, session)
        withdrawn = await rsvp_actions.withdraw(
            session, settings_of(request), _event_id(request), user
        )
        if withdrawn.result.previous is None:
            raise NotFound("You had not answered this meetup.")
    return Response(status_code=204)


async def decide(request: Request) -> Response:
    """An organizer approves or turns down a request to attend a restricted meetup."""
    data = await read_json(request, DecisionIn)
    participation_id = path_id(request, "participation_id", "No such request to attend.")
    async with db(request) as session:
        user = await api_user(request, session)
        settings, meetup = settings_of(request), _event_id(request)
        decided = await rsvp_actions.decide(
            session, settings, meetup, participation_id, user, approve=data.approve, note=data.note
        )
        body = {"id": participation_id, "status": decided.participation.status}
    return JSONResponse(body)


async def list_members(request: Request) -> Response:
    """A group's active members, local and remote: visible to its members only."""
    async with db(request) as session:
        user = await api_user(request, session)
        slug = request.path_params["slug"]
        group = await group_actions.group_for(session, slug, user, "see_members")
        local = await members.list_members(session, group)
        items = [
            {"handle": f"@{person.username}", "name": person.display_name or person.username}
            | {"role": membership.role, "remote": False}
            for person, membership in local
        ]
        query = (
            select(RemoteMember, RemoteActor)
            .outerjoin(RemoteActor, col(RemoteActor.uri) == col(RemoteMember.actor_uri))
            .where(RemoteMember.group_id == group.id, RemoteMember.state == MembershipState.ACTIVE)
            .order_by(col(RemoteMember.created_at))
        )
        for member, actor in (await session.exec(query)).all():
            handle = actor.handle if actor else member.actor_uri
            name = (actor.name or actor.username) if actor else member.actor_uri
            items.append({"handle": handle, "name": name, "role": member.role, "remote": True})
    return JSONResponse({"items": items})


async def join(request: Request) -> Response:
    """Join an open group, or ask to join an approval group."""
    async with db(request) as session:
        user = await api_user(request, session)
        _, membership = await group_actions.join(
            session, settings_of(request), request.path_params["slug"], user
        )
        body = {"state": membership.state, "role": membership.role}
    return JSONResponse(body, status_code=201)


async def leave(request: Request) -> Response:
    """Leave a group (its last admin must hand over first)."""
    async with db(request) as session:
        user = await api_user(request, session)
        await group_actions.leave(session, request.path_params["slug"], user)
    return Response(status_code=204)


DECIDED = obj(id=INT, status=STATUS)
JOINED = obj(state=STR, role=STR)
routes = [
    ApiRoute(
        "/api/v1/events/{event_id}/rsvps",
        list_rsvps,
        "GET",
        Doc(
            "Counts, your answer, and the answers you may see",
            "listRsvps",
            {200: ("Answers", RSVPS)},
            (401, 404),
        ),
    ),
    ApiRoute(
        "/api/v1/events/{event_id}/rsvp",
        put_rsvp,
        "PUT",
        Doc(
            "Answer a meetup, or change your answer (full: the waitlist)",
            "answerMeetup",
            {200: ("Where you stand", ANSWERED)},
            (400, 401, 403, 404, 415),
            body=RsvpIn,
        ),
    ),
    ApiRoute(
        "/api/v1/events/{event_id}/rsvp",
        delete_rsvp,
        "DELETE",
        Doc("Withdraw your answer", "withdrawAnswer", {204: ("Withdrawn", None)}, (401, 404)),
    ),
    ApiRoute(
        "/api/v1/events/{event_id}/rsvps/{participation_id}/decision",
        decide,
        "POST",
        Doc(
            "Approve or turn down a request to attend (organizers)",
            "decideRequest",
            {200: ("Decided", DECIDED)},
            (400, 401, 403, 404, 415),
            body=DecisionIn,
        ),
    ),
    ApiRoute(
        "/api/v1/groups/{slug}/members",
        list_members,
        "GET",
        Doc(
            "A group's members, local and remote (members only)",
            "listMembers",
            {200: ("Members", MEMBERS)},
            (401, 403, 404),
        ),
    ),
    ApiRoute(
        "/api/v1/groups/{slug}/membership",
        join,
        "PUT",
        Doc(
            "Join the group (approval groups: a request)",
            "joinGroup",
            {201: ("Joined", JOINED)},
            (401, 403, 404, 409),
        ),
    ),
    ApiRoute(
        "/api/v1/groups/{slug}/membership",
        leave,
        "DELETE",
        Doc("Leave the group", "leaveGroup", {204: ("Left", None)}, (401, 404, 409)),
    ),
]
