"""A group's archive: everything needed to carry it to another Hearth server (version 1).

The format is documented in ``docs/group-archive.md``. People are named by their actor URI
(a local user by ``https://HOST/users/NAME``), so the archive reads the same anywhere.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.responses import JSONResponse

from federation.activities import format_datetime
from server.models import (
    CheckIn,
    Event,
    Follow,
    FollowState,
    Group,
    GroupPost,
    Membership,
    Participation,
    Proposal,
    ProposalVote,
    RemoteMember,
    User,
)
from server.services import membership as members
from server.services.groups import get_group, group_tags
from server.uris import LocalUris

ARCHIVE_FORMAT = "hearth-group-archive"
ARCHIVE_VERSION = 1

EVENT_FIELDS = (
    "title", "description_md", "timezone", "all_day", "venue_name", "street", "postal_code",
    "locality", "country", "latitude", "longitude", "online_url", "capacity", "join_mode",
    "external_url", "status", "visibility", "comments_enabled", "remind_minutes",
)  # fmt: skip
PROPOSAL_FIELDS = (
    "title", "body_md", "method", "eligibility", "visibility", "secret", "quorum_count",
    "quorum_percent", "outcome",
)  # fmt: skip
GROUP_FIELDS = (
    "name", "summary_md", "location", "latitude", "longitude", "visibility", "membership_mode",
    "proposals_by", "posting_policy",
)  # fmt: skip


def _when(moment: datetime | None) -> str | None:
    return format_datetime(moment) if moment is not None else None


class _People:
    """Actor URIs of local users (looked up once each)."""

    def __init__(self, session: AsyncSession, uris: LocalUris) -> None:
        self.session = session
        self.uris = uris
        self.names: dict[int, str] = {}

    async def actor(self, user_id: int | None, actor_uri: str | None = None) -> str | None:
        if user_id is None:
            return actor_uri
        if user_id not in self.names:
            user = await self.session.get(User, user_id)
            self.names[user_id] = user.username if user else ""
        return self.uris.user(self.names[user_id]) if self.names[user_id] else None


async def _members(session: AsyncSession, people: _People, group: Group) -> list[dict[str, Any]]:
    local = await session.exec(
        select(Membership).where(Membership.group_id == group.id).order_by(col(Membership.id))
    )
    found = [
        {"actor": await people.actor(m.user_id), "role": m.role, "state": m.state}
        for m in local.all()
    ]
    remote = await session.exec(
        select(RemoteMember).where(RemoteMember.group_id == group.id).order_by(col(RemoteMember.id))
    )
    found += [{"actor": m.actor_uri, "role": m.role, "state": m.state} for m in remote.all()]
    return [member for member in found if member["actor"]]


async def _followers(session: AsyncSession, group_uri: str) -> list[dict[str, Any]]:
    query = select(Follow).where(
        Follow.followee_uri == group_uri, Follow.state == FollowState.ACCEPTED
    )
    rows = await session.exec(query.order_by(col(Follow.id)))
    return [{"actor": f.follower_uri, "since": _when(f.created_at)} for f in rows.all()]


async def _meetup(
    session: AsyncSession, people: _People, uris: LocalUris, event: Event
) -> dict[str, Any]:
    answers = await session.exec(
        select(Participation)
        .where(Participation.event_id == event.id)
        .order_by(col(Participation.id))
    )
    checks = await session.exec(
        select(CheckIn).where(CheckIn.event_id == event.id).order_by(col(CheckIn.id))
    )
    return {
        "id": uris.event(event.id or 0),
        **{name: getattr(event, name) for name in EVENT_FIELDS},
        "starts_at": _when(event.starts_at),
        "ends_at": _when(event.ends_at),
        "created_at": _when(event.created_at),
        "answers": [
            {
                "actor": await people.actor(p.user_id, p.actor_uri),
                "status": p.status,
                "via": p.via,
                "note": p.note,
                "at": _when(p.created_at),
            }
            for p in answers.all()
        ],
        "check_ins": [
            {"actor": await people.actor(c.user_id, c.actor_uri), "at": _when(c.checked_in_at)}
            for c in checks.all()
        ],
    }


async def _posts(
    session: AsyncSession, people: _People, uris: LocalUris, group: Group
) -> list[dict[str, Any]]:
    rows = await session.exec(
        select(GroupPost).where(GroupPost.group_id == group.id).order_by(col(GroupPost.id))
    )
    return [
        {
            "id": uris.post(group.slug, post.id or 0),
            "author": await people.actor(post.author_id),
            "content_md": post.content_md,
            "visibility": post.visibility,
            "published_at": _when(post.published_at),
        }
        for post in rows.all()
    ]


async def _proposal(session: AsyncSession, people: _People, proposal: Proposal) -> dict[str, Any]:
    votes = await session.exec(
        select(ProposalVote)
        .where(ProposalVote.proposal_id == proposal.id)
        .order_by(col(ProposalVote.id))
    )
    return {
        **{name: getattr(proposal, name) for name in PROPOSAL_FIELDS},
        "author": await people.actor(proposal.author_id),
        "options": json.loads(proposal.options_json or "[]"),
        "result": json.loads(proposal.result_json) if proposal.result_json else None,
        "opens_at": _when(proposal.opens_at),
        "closes_at": _when(proposal.closes_at),
        "created_at": _when(proposal.created_at),
        "tallied_at": _when(proposal.tallied_at),
        "votes": [
            {
                "actor": await people.actor(v.user_id, v.actor_uri),
                "option": v.option,
                "at": _when(v.updated_at),
            }
            for v in votes.all()
        ],
    }


async def export_group(session: AsyncSession, uris: LocalUris, group: Group) -> dict[str, Any]:
    """The archive of one group, as a JSON-ready dict."""
    people = _People(session, uris)
    group_uri = uris.group(group.slug)
    events = await session.exec(
        select(Event).where(Event.group_id == group.id).order_by(col(Event.starts_at))
    )
    proposals = await session.exec(
        select(Proposal).where(Proposal.group_id == group.id).order_by(col(Proposal.id))
    )
    media = f"{uris.base}/media/"
    return {
        "format": ARCHIVE_FORMAT,
        "version": ARCHIVE_VERSION,
        "exported_at": _when(datetime.now().astimezone()),
        "source": {"server": uris.base, "actor": group_uri},
        "group": {
            "slug": group.slug,
            **{name: getattr(group, name) for name in GROUP_FIELDS},
            "tags": await group_tags(session, group),
            "avatar_url": media + group.avatar if group.avatar else None,
            "banner_url": media + group.banner if group.banner else None,
            "created_at": _when(group.created_at),
        },
        "members": await _members(session, people, group),
        "followers": await _followers(session, group_uri),
        "meetups": [await _meetup(session, people, uris, event) for event in events.all()],
        "posts": await _posts(session, people, uris, group),
        "proposals": [await _proposal(session, people, p) for p in proposals.all()],
    }


def archive_filename(group: Group) -> str:
    """The file name an archive is downloaded as."""
    return f"{group.slug}.hearth-group.json"


async def archive_download(
    session: AsyncSession, uris: LocalUris, user: User, slug: str
) -> JSONResponse:
    """The group's archive as a JSON file to save, for its admins (the web and the API)."""
    group = await get_group(session, slug)
    await members.require(session, group, user, "edit_group")
    archive = await export_group(session, uris, group)
    disposition = f'attachment; filename="{archive_filename(group)}"'
    return JSONResponse(archive, headers={"Content-Disposition": disposition})
