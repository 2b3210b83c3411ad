"""Creating a group from its archive (see ``docs/group-archive.md``), in one transaction.

The new group lists its old actor in ``alsoKnownAs``, so the old server can send ``Move``.
People who are users of this server become local members again; everyone else is kept by
actor URI (remote members, answers, check-ins, votes). The old followers are remembered as
``moving`` follows: when their server re-follows after the ``Move``, they are accepted at
once, even by a group that approves followers by hand.
"""

from __future__ import annotations

import json
from typing import TypedDict

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.activitypub.group_archive_schema import Archive, Meetup, ProposalPart
from server.activitypub.remote import Remote, RemoteError
from server.markup import render_markdown
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
    RsvpStatus,
    User,
    stored_id,
)
from server.services.groups import GroupFields, create_group
from server.uris import LocalUris


class _Person(TypedDict):
    """Who a row names: a local account or a remote actor."""

    user_id: int | None
    actor_uri: str | None


class _Who:
    """Maps actor URIs to users of this server (``None`` for everyone else)."""

    def __init__(self, session: AsyncSession, uris: LocalUris) -> None:
        self.session = session
        self.uris = uris
        self.found: dict[str, int | None] = {}

    async def user_id(self, actor: object) -> int | None:
        uri = str(actor)
        if uri not in self.found:
            path = self.uris.local_actor_path(uri)
            user = None
            if path and path[0] == "users":
                query = select(User).where(User.username == path[1])
                user = (await self.session.exec(query)).first()
            self.found[uri] = user.id if user else None
        return self.found[uri]

    async def person(self, actor: object) -> _Person:
        """``user_id`` or ``actor_uri`` for a row that names a person either way."""
        user_id = await self.user_id(actor)
        return {"user_id": user_id, "actor_uri": None if user_id else str(actor)}


async def _members(session: AsyncSession, who: _Who, group: Group, archive: Archive) -> None:
    owner_id = group.created_by_id
    seen: set[str] = set()
    for member in archive.members:
        uri = str(member.actor)
        if uri in seen:
            continue
        seen.add(uri)
        user_id = await who.user_id(uri)
        if user_id == owner_id:
            continue  # the importer is already the group's admin
        if user_id is not None:
            session.add(
                Membership(
                    group_id=stored_id(group),
                    user_id=user_id,
                    role=member.role,
                    state=member.state,
                )
            )
        else:
            session.add(
                RemoteMember(
                    group_id=stored_id(group),
                    actor_uri=uri,
                    role=member.role,
                    state=member.state,
                    via="invite",
                )
            )


async def _followers(session: AsyncSession, who: _Who, group_uri: str, archive: Archive) -> None:
    for uri in dict.fromkeys(str(f.actor) for f in archive.followers):
        if await who.user_id(uri) is None:
            session.add(Follow(follower_uri=uri, followee_uri=group_uri, state=FollowState.MOVING))


async def _meetup(session: AsyncSession, who: _Who, group: Group, meetup: Meetup) -> None:
    fields = meetup.model_dump(exclude={"id", "answers", "check_ins"})
    event = Event(
        group_id=stored_id(group),
        description_html=render_markdown(meetup.description_md),
        **fields,
    )
    session.add(event)
    await session.flush()
    answered: set[str] = set()
    for answer in meetup.answers:
        if str(answer.actor) in answered:
            continue
        answered.add(str(answer.actor))
        session.add(
            Participation(
                event_id=stored_id(event),
                **await who.person(answer.actor),
                status=answer.status,
                via=answer.via,
                note=answer.note,
                waitlisted_at=answer.at if answer.status == RsvpStatus.WAITLISTED else None,
                reminded_at=event.starts_at,  # past answers never get a late reminder
            )
        )
    for uri in dict.fromkeys(str(c.actor) for c in meetup.check_ins):
        at = next(c.at for c in meetup.check_ins if str(c.actor) == uri)
        session.add(CheckIn(event_id=stored_id(event), **await who.person(uri), checked_in_at=at))


async def _proposal(session: AsyncSession, who: _Who, group: Group, part: ProposalPart) -> None:
    proposal = Proposal(
        group_id=stored_id(group),
        author_id=await who.user_id(part.author) if part.author else None,
        body_html=render_markdown(part.body_md),
        options_json=json.dumps(part.options),
        result_json=json.dumps(part.result) if part.result is not None else "",
        **part.model_dump(exclude={"author", "options", "result", "votes"}),
    )
    session.add(proposal)
    await session.flush()
    voted: set[str] = set()
    for vote in part.votes:
        if str(vote.actor) in voted or vote.option not in part.options:
            continue
        voted.add(str(vote.actor))
        session.add(
            ProposalVote(
                proposal_id=stored_id(proposal), **await who.person(vote.actor), option=vote.option
            )
        )


def _also_known_as(archive: Archive) -> str:
    return str(archive.source.actor)


async def import_group(
    session: AsyncSession, uris: LocalUris, archive: Archive, owner: User, slug: str = ""
) -> Group:
    """Create the group the archive describes, owned by ``owner``; the caller commits (or
    rolls everything back on any error)."""
    part = archive.group
    fields = GroupFields(
        name=part.name,
        summary=part.summary_md,
        location=part.location,
        latitude=part.latitude,
        longitude=part.longitude,
        tags=part.tags,
        visibility=part.visibility,
        membership_mode=part.membership_mode,
        posting_policy=part.posting_policy,
    )
    group = await create_group(session, slug or part.slug, fields, owner)
    group.proposals_by = part.proposals_by
    group.also_known_as = _also_known_as(archive)
    session.add(group)
    who = _Who(session, uris)
    await _members(session, who, group, archive)
    await _followers(session, who, uris.group(group.slug), archive)
    for meetup in archive.meetups:
        await _meetup(session, who, group, meetup)
    for post in archive.posts:
        session.add(
            GroupPost(
                group_id=stored_id(group),
                author_id=await who.user_id(post.author) if post.author else None,
                content_md=post.content_md,
                content_html=render_markdown(post.content_md),
                visibility=post.visibility,
                published_at=post.published_at,
            )
        )
    for proposal in archive.proposals:
        await _proposal(session, who, group, proposal)
    await session.flush()
    return group


#: Member actors fetched right after a web or API import (the rest when they next act).
FETCH_MEMBERS_LIMIT = 200


async def fetch_member_actors(remote: Remote, archive: Archive) -> int:
    """Fetch the remote members' actors (after the import is committed), so the members page
    can show them; returns how many were read. Unreachable ones are skipped."""
    fetched = 0
    for member in archive.members[:FETCH_MEMBERS_LIMIT]:
        uri = str(member.actor)
        if remote.uris.is_local(uri):
            continue
        try:
            await remote.actor(uri)
        except RemoteError:
            continue
        fetched += 1
    return fetched
