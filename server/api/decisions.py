"""``/api/v1`` decisions and check-ins: list and open proposals, read one with its count or
outcome, vote; check in at a meetup with the code shown there; attendance for organizers."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from functools import partial
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from server import limits
from server.activitypub.mentions import describe, entities_of
from server.activitypub.runtime import runtime
from server.api.common import ApiError, api_user, read_json
from server.api.schemas import BOOL, INT, PROPOSAL, STR
from server.api.spec import ApiRoute, Doc, listing, obj
from server.db import db
from server.errors import Forbidden, NotFound
from server.inputs import row_id
from server.models import Group, Proposal, User
from server.request_scope import settings_of
from server.services import checkin, proposal_actions
from server.services import membership as members
from server.services import proposals as service
from server.services.groups import get_group
from server.services.rsvp import Attendee
from server.services.tally import count


class ProposalIn(BaseModel):
    """A new proposal; ``closes_at`` is an ISO 8601 time with its offset."""

    model_config = ConfigDict(extra="forbid")

    title: str = limits.PROPOSAL_TITLE.field()
    body: str = limits.PROPOSAL_BODY.field("", description="Markdown")
    options: list[str] = limits.PROPOSAL_OPTIONS.count(
        default_factory=lambda: list(service.DEFAULT_OPTIONS)
    )
    method: Literal["majority", "consent", "poll"] = "majority"
    eligibility: Literal["members", "checked_in"] = "members"
    visibility: Literal["members", "public"] = "members"
    secret: bool = False
    quorum_count: int | None = limits.QUORUM_COUNT.field(None)
    quorum_percent: int | None = limits.QUORUM_PERCENT.field(None)
    closes_at: datetime


class VoteIn(BaseModel):
    """A vote: one of the proposal's options (case does not matter)."""

    model_config = ConfigDict(extra="forbid")

    option: str = limits.VOTE_OPTION.field()


class CheckInIn(BaseModel):
    """The code the meetup's QR shows."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=1, max_length=64)


def _number(request: Request, name: str) -> int:
    found = row_id(request.path_params[name])
    if found is None:
        raise NotFound("Not found.")
    return found


async def proposal_json(session: AsyncSession, group: Group, proposal: Proposal) -> dict[str, Any]:
    """A proposal as the API shows it (with the current count, or the outcome once closed)."""
    tally = await count(session, proposal)
    return {
        "id": proposal.id,
        "group": group.slug,
        "title": proposal.title,
        "body": proposal.body_md,
        "body_html": proposal.body_html,
        "options": service.options_of(proposal),
        "method": proposal.method,
        "eligibility": proposal.eligibility,
        "visibility": proposal.visibility,
        "secret": proposal.secret,
        "quorum": tally.quorum,
        "opens_at": proposal.opens_at.isoformat(),
        "closes_at": proposal.closes_at.isoformat(),
        "open": service.is_open(proposal),
        "counts": tally.options,
        "eligible": tally.eligible,
        "outcome": proposal.outcome or None,
        "result": json.loads(proposal.result_json) if proposal.result_json else None,
    }


async def _visible_proposal(
    session: AsyncSession, user: User, group: Group, proposal_id: int
) -> Proposal:
    proposal = await service.get_proposal(session, group, proposal_id)
    membership = await members.get_membership(session, group, user)
    if proposal.visibility != "public" and not members.may(user, membership, "see_members"):
        raise NotFound("No such proposal.")
    return proposal


async def list_proposals(request: Request) -> Response:
    """Open and closed proposals of a group that the caller may see."""
    async with db(request) as session:
        user = await api_user(request, session)
        group = await get_group(session, request.path_params["slug"])
        membership = await members.get_membership(session, group, user)
        is_member = members.may(user, membership, "see_members")
        found = [
            *await service.group_proposals(session, group, closed=False),
            *await service.group_proposals(session, group, closed=True),
        ]
        items = [
            await proposal_json(session, group, p)
            for p in found
            if p.visibility == "public" or is_member
        ]
    return JSONResponse({"items": items})


async def create_proposal(request: Request) -> Response:
    """Open a proposal (members or moderators, per the group's setting)."""
    data = await read_json(request, ProposalIn)
    if data.closes_at.tzinfo is None:
        raise ApiError(400, "invalid_input", [{"field": "closes_at", "message": "add an offset"}])
    fields = service.ProposalFields(
        **data.model_dump(exclude={"closes_at"}), closes_at=data.closes_at.astimezone(UTC)
    )
    async with db(request) as session:
        user = await api_user(request, session)
        group = await get_group(session, request.path_params["slug"])
        entities = await entities_of(request, fields.body)
        proposal = await proposal_actions.open_proposal(
            session, settings_of(request), group, user, fields, partial(describe, entities)
        )
        body = await proposal_json(session, group, proposal)
    return JSONResponse(body, status_code=201)


async def read_proposal(request: Request) -> Response:
    """One proposal with its count or outcome."""
    async with db(request) as session:
        user = await api_user(request, session)
        group = await get_group(session, request.path_params["slug"])
        proposal = await _visible_proposal(session, user, group, _number(request, "proposal_id"))
        return JSONResponse(await proposal_json(session, group, proposal))


async def vote(request: Request) -> Response:
    """Vote, or change one's vote, while the proposal is open."""
    data = await read_json(request, VoteIn)
    async with db(request) as session:
        user = await api_user(request, session)
        group = await get_group(session, request.path_params["slug"])
        proposal = await _visible_proposal(session, user, group, _number(request, "proposal_id"))
        ballot, changed = await service.cast_vote(
            session, proposal, Attendee.local(user), data.option
        )
        return JSONResponse({"option": ballot.option, "changed": changed})


async def check_in(request: Request) -> Response:
    """Check in at a meetup with the code its QR shows (only while it is on)."""
    data = await read_json(request, CheckInIn)
    async with db(request) as session:
        user = await api_user(request, session)
        event, _, _ = await members.visible_event(session, _number(request, "event_id"), user)
        secret = runtime(request).secret_key
        row, new = await checkin.check_in_with_code(
            session, secret, event, Attendee.local(user), data.code
        )
        body = {"event": event.id, "checked_in_at": row.checked_in_at.isoformat()}
    return JSONResponse(body, status_code=201 if new else 200)


async def attendance(request: Request) -> Response:
    """Who checked in at a meetup: the group's organizers only."""
    async with db(request) as session:
        user = await api_user(request, session)
        event, _, membership = await members.visible_event(
            session, _number(request, "event_id"), user
        )
        if not members.may(user, membership, "moderate"):
            raise Forbidden("Only the group's organizers see attendance.")
        rows = await checkin.attendance(session, event)
        items = [
            {
                "person": f"@{row.user.username}" if row.user else row.actor_uri,
                "checked_in_at": row.checked_in_at.isoformat(),
            }
            for row in rows
        ]
    return JSONResponse({"items": items})


PROPOSAL_LIST = listing(PROPOSAL)
CHECKED_IN = obj(event=INT, checked_in_at=STR)
CHECK_INS = listing(obj(person=STR, checked_in_at=STR))
VOTED = obj(option=STR, changed=BOOL)
WRITE_ERRORS = (400, 401, 403, 404, 415)
routes = [
    ApiRoute(
        "/api/v1/groups/{slug}/proposals",
        list_proposals,
        "GET",
        Doc(
            "List a group's proposals (members see members-only ones)",
            "listProposals",
            {200: ("Proposals", PROPOSAL_LIST)},
            (401, 404),
        ),
    ),
    ApiRoute(
        "/api/v1/groups/{slug}/proposals",
        create_proposal,
        "POST",
        Doc(
            "Open a proposal",
            "createProposal",
            {201: ("Opened", PROPOSAL)},
            WRITE_ERRORS,
            body=ProposalIn,
        ),
    ),
    ApiRoute(
        "/api/v1/groups/{slug}/proposals/{proposal_id}",
        read_proposal,
        "GET",
        Doc(
            "Read a proposal with its count or outcome",
            "getProposal",
            {200: ("The proposal", PROPOSAL)},
            (401, 404),
        ),
    ),
    ApiRoute(
        "/api/v1/groups/{slug}/proposals/{proposal_id}/vote",
        vote,
        "PUT",
        Doc(
            "Vote, or change one's vote, while the proposal is open",
            "voteOnProposal",
            {200: ("Counted", VOTED)},
            WRITE_ERRORS,
            body=VoteIn,
        ),
    ),
    ApiRoute(
        "/api/v1/events/{event_id}/check-in",
        check_in,
        "POST",
        Doc(
            "Check in at a meetup with the code its QR shows",
            "checkIn",
            {200: ("Already checked in", CHECKED_IN), 201: ("Checked in", CHECKED_IN)},
            WRITE_ERRORS,
            body=CheckInIn,
        ),
    ),
    ApiRoute(
        "/api/v1/events/{event_id}/check-ins",
        attendance,
        "GET",
        Doc(
            "Who checked in (the group's organizers only)",
            "listCheckIns",
            {200: ("Attendance", CHECK_INS)},
            (401, 403, 404),
        ),
    ),
]
