"""Group decisions in the web UI: open a proposal, vote (and change one's vote), see the
outcome, and the decisions log with its Markdown export."""

from __future__ import annotations

import json
from datetime import datetime
from functools import partial
from typing import cast

from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from server.activitypub.mentions import describe, entities_of
from server.activitypub.proposal_poll import question_document
from server.activitypub.routes import (
    activity_response,
    check_signed_fetch,
    verified_signer,
    wants_activity_json,
)
from server.errors import Forbidden, HearthError, InvalidInput, NotFound
from server.i18n import _
from server.inputs import whole_number
from server.models import Group, Proposal, User
from server.services import conversations, proposal_actions
from server.services import membership as members
from server.services import proposals as service
from server.services.groups import get_group
from server.services.rsvp import Attendee, is_member
from server.services.tally import count, outcome_headlines, outcome_sentences, outcome_word
from server.services.timezones import local_to_utc, zone
from server.uris import LocalUris
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


def _number(form: FormData, key: str) -> int | None:
    raw = form_text(form, key)
    if not raw:
        return None
    number = whole_number(raw, 0, 1_000_000)
    if number is None:
        raise InvalidInput(_("Enter a whole number (up to 1,000,000)."), field=key)
    return number


def _local_moment(form: FormData, key: str, tz_name: str) -> datetime | None:
    raw = form_text(form, key)
    if not raw:
        return None
    try:
        local = datetime.fromisoformat(raw)
    except ValueError:
        raise InvalidInput(_("Enter a date and time, e.g. 2030-05-04T18:00."), field=key) from None
    return local_to_utc(local.replace(tzinfo=None), zone(tz_name), field=key)


def fields_from_form(form: FormData, tz_name: str) -> service.ProposalFields:
    """The proposal form's fields (times in the instance's zone)."""
    options = [line for line in form_text(form, "options").splitlines() if line.strip()]
    return service.ProposalFields(
        title=form_text(form, "title"),
        body=form_text(form, "body"),
        options=options or list(service.DEFAULT_OPTIONS),
        method=form_text(form, "method", "majority"),
        eligibility=form_text(form, "eligibility", "members"),
        visibility=form_text(form, "visibility", "members"),
        secret=form_text(form, "secret") == "on",
        quorum_count=_number(form, "quorum_count"),
        quorum_percent=_number(form, "quorum_percent"),
        closes_at=_local_moment(form, "closes_at", tz_name),
    )


async def _viewer(
    request: Request, session: AsyncSession, group: Group
) -> tuple[User | None, bool, bool]:
    """The user, whether they are a member, and whether they moderate the group."""
    user = await current_user(request, session)
    membership = await members.get_membership(session, group, user)
    return (
        user,
        members.may(user, membership, "see_members"),
        members.may(user, membership, "moderate"),
    )


async def question_response(
    request: Request, session: AsyncSession, group: Group, proposal: Proposal
) -> Response:
    """The proposal as a ``Question``: public ones to anyone (as other objects), members-only
    ones to a signed fetch by a member; others get 404, as on the page."""
    if proposal.visibility == "public":
        if refused := await check_signed_fetch(request):
            return refused
    else:
        signer = await verified_signer(request)
        if signer is None or not await is_member(session, group.id or 0, Attendee.remote(signer)):
            raise NotFound(_("No such proposal."))
    document = await question_document(session, LocalUris(settings_of(request)), group, proposal)
    return activity_response(document)


def _require_visible(proposal: Proposal, is_member: bool) -> None:
    if proposal.visibility != "public" and not is_member:
        raise NotFound(_("No such proposal."))


async def proposals_page(request: Request) -> Response:
    """Open proposals (members see members-only ones), and the link to the decisions log."""
    async with db(request) as session:
        group = await get_group(session, request.path_params["slug"])
        user, is_member, _membership = await _viewer(request, session, group)
        shown = [
            p
            for p in await service.group_proposals(session, group, closed=False)
            if p.visibility == "public" or is_member
        ]
        may_propose = await service.may_propose(session, group, user)
        return await render(
            request,
            session,
            "proposals.html",
            {"group": group, "proposals": shown, "may_propose": may_propose},
            user=user,
        )


async def new_proposal(request: Request) -> Response:
    """The form to open a proposal, and its submission."""
    settings = settings_of(request)
    error: HearthError | None = None
    form: dict[str, str] = {"options": "\n".join(service.DEFAULT_OPTIONS)}
    async with db(request) as session:
        user = await require_user(request, session)
        group = await get_group(session, request.path_params["slug"])
        if request.method == "POST":
            data = await read_form(request)
            form = {key: form_text(data, key) for key in data}
            try:
                fields = fields_from_form(data, settings.instance.timezone)
                entities = await entities_of(request, fields.body)
                proposal = await proposal_actions.open_proposal(
                    session, settings, group, user, fields, partial(describe, entities)
                )
            except InvalidInput as exc:
                error = exc
            else:
                flash(request, _("Proposal opened: members can vote now."), "success")
                return redirect(f"/groups/{group.slug}/proposals/{proposal.id}")
        elif not await service.may_propose(session, group, user):
            raise Forbidden(_("You cannot open proposals in this group."))
        return await render(
            request,
            session,
            "proposal_form.html",
            {"group": group, "form": form, "error": error, "zone": settings.instance.timezone},
            status=400 if error else 200,
            user=user,
        )


def _proposal_id(request: Request) -> int:
    return path_id(request, "proposal_id", _("No such proposal."))


async def proposal_page(request: Request) -> Response:
    """A proposal: its text, the options, the person's vote, and the count or the outcome."""
    async with db(request) as session:
        group = await get_group(session, request.path_params["slug"])
        proposal = await service.get_proposal(session, group, _proposal_id(request))
        if wants_activity_json(request):
            return await question_response(request, session, group, proposal)
        user, is_member, can_moderate = await _viewer(request, session, group)
        _require_visible(proposal, is_member)
        page = f"/groups/{group.slug}/proposals/{proposal.id}"
        mine = await service.find_vote(session, proposal, Attendee.local(user)) if user else None
        why_not = (
            await service.ineligibility(session, proposal, Attendee.local(user)) if user else None
        )
        context = {
            "group": group,
            "proposal": proposal,
            "options": service.options_of(proposal),
            "is_open": service.is_open(proposal),
            "mine": mine,
            "why_not": why_not,
            "tally": await count(session, proposal),
            "result": json.loads(proposal.result_json) if proposal.result_json else None,
            "outcome_sentence": outcome_sentences().get(proposal.outcome, ""),
            "named": []
            if proposal.secret or not is_member
            else await service.named_votes(session, proposal),
            "discussion": await conversations.replies_to(
                session, group, f"{settings_of(request).base_url}{page}"
            ),
            "can_comment": is_member,
            "can_moderate": can_moderate,
            "next_url": f"{page}#discussion",
        }
        return await render(request, session, "proposal.html", context, user=user)


async def vote_submit(request: Request) -> Response:
    """Vote, or change one's vote, while the proposal is open."""
    form = await read_form(request)
    slug = request.path_params["slug"]
    target = f"/groups/{slug}/proposals/{_proposal_id(request)}"
    async with db(request) as session:
        user = await require_user(request, session)
        group = await get_group(session, slug)
        proposal = await service.get_proposal(session, group, _proposal_id(request))
        membership = await members.get_membership(session, group, user)
        _require_visible(proposal, members.may(user, membership, "see_members"))
        try:
            _vote, changed = await service.cast_vote(
                session, proposal, Attendee.local(user), form_text(form, "option")
            )
        except HearthError as exc:
            if exc.status == 404:
                raise
            flash(request, exc.message, "error")
            return redirect(target)
    flash(
        request,
        _("Your vote is counted.") if changed else _("Your vote was already that."),
        "success",
    )
    return redirect(target)


async def decisions_log(request: Request) -> Response:
    """The group's decisions, newest first (members see members-only ones)."""
    async with db(request) as session:
        group = await get_group(session, request.path_params["slug"])
        user, is_member, _membership = await _viewer(request, session, group)
        closed = [
            (p, json.loads(p.result_json or "{}"))
            for p in await service.group_proposals(session, group, closed=True)
            if p.visibility == "public" or is_member
        ]
        if request.url.path.endswith(".md"):
            return PlainTextResponse(
                decisions_markdown(group, closed),
                media_type="text/markdown; charset=utf-8",
                headers={
                    "Content-Disposition": f'attachment; filename="{group.slug}-decisions.md"'
                },
            )
        return await render(
            request,
            session,
            "decisions.html",
            {"group": group, "closed": closed, "outcome_text": outcome_headlines()},
            user=user,
        )


def decisions_markdown(group: Group, closed: list[tuple[Proposal, dict[str, object]]]) -> str:
    """The decisions log as Markdown minutes."""
    lines = ["# " + _("Decisions of %(group)s") % {"group": group.name}, ""]
    for proposal, result in closed:
        lines.append(f"## {proposal.closes_at:%Y-%m-%d}: {proposal.title}")
        lines.append("")
        lines.append(_("**Outcome:** %(outcome)s.") % {"outcome": outcome_word(proposal.outcome)})
        if result.get("winner") and proposal.outcome != "blocked":
            lines.append(_("**Choice:** %(winner)s.") % {"winner": result["winner"]})
        options = cast("dict[str, int]", result.get("options") or {})
        values = {
            "votes": ", ".join(f"{option}: {n}" for option, n in options.items()),
            "cast": result.get("cast", 0),
            "eligible": result.get("eligible", 0),
            "quorum": result.get("quorum"),
        }
        if result.get("quorum"):
            votes = _(
                "**Votes:** %(votes)s — %(cast)s cast of %(eligible)s eligible, quorum %(quorum)s."
            )
        else:
            votes = _("**Votes:** %(votes)s — %(cast)s cast of %(eligible)s eligible.")
        lines.append(votes % values)
        lines.append(_("**Method:** %(method)s.") % {"method": proposal.method})
        if proposal.body_md.strip():
            lines += ["", proposal.body_md.strip()]
        lines.append("")
    return "\n".join(lines)


routes = [
    Route("/groups/{slug}/proposals", proposals_page, methods=["GET"]),
    Route("/groups/{slug}/proposals/new", new_proposal, methods=["GET", "POST"]),
    Route("/groups/{slug}/proposals/{proposal_id}", proposal_page, methods=["GET"]),
    Route("/groups/{slug}/proposals/{proposal_id}/vote", vote_submit, methods=["POST"]),
    Route("/groups/{slug}/decisions", decisions_log, methods=["GET"]),
    Route("/groups/{slug}/decisions.md", decisions_log, methods=["GET"]),
]
