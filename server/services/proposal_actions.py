"""Proposal use cases: the one entry point for opening a proposal, whether the web form or the
API asks. It holds the permission check (members or moderators, per the group's setting), the
checks of the fields, the description's rendering, the recording of the poll that federates
(:class:`~server.services.outbound.ProposalOpened`) and the notices to the group's members.

The description's mentions are looked up by the caller beforehand (on other servers, through
WebFinger) and handed in as ``describe``."""

from __future__ import annotations

from collections.abc import Callable

from sqlmodel.ext.asyncio.session import AsyncSession

from server.config import Settings
from server.models import Group, Proposal, User
from server.services import news
from server.services.outbound import ProposalOpened, emit
from server.services.proposals import ProposalFields, create_proposal
from server.uris import LocalUris

#: The HTML of a text (mentions and hashtags linked) and its ``tag`` array as JSON.
Describe = Callable[[str], tuple[str, str]]


async def open_proposal(
    session: AsyncSession,
    settings: Settings,
    group: Group,
    author: User,
    fields: ProposalFields,
    describe: Describe,
) -> Proposal:
    """Open a proposal in the group: it goes out as a poll and its members are told."""
    proposal = await create_proposal(session, group, author, fields)
    proposal.body_html, proposal.tags_json = describe(proposal.body_md)
    await emit(session, ProposalOpened(LocalUris(settings), group, proposal))
    await news.proposal_opened(session, settings, group, proposal, author)
    return proposal
