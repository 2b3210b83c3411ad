"""A group with an organizer and members, and helpers to open proposals and vote."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from server.db import utcnow
from server.models import Proposal
from server.services.timezones import utc_to_local
from tests.flows.conftest import net, peer  # noqa: F401 (fixtures for federated scenes)
from tests.web import WebClient


class Club:
    """The group ``club`` on one instance; switches the signed-in person as tests need."""

    def __init__(self, web: WebClient) -> None:
        self.web = web

    async def sign_in(self, username: str) -> None:
        await self.web.logout()
        await self.web.login(username)

    async def add_member(self, username: str) -> None:
        await self.web.make_user(username)
        await self.sign_in(username)
        response = await self.web.post_form("/groups/club/join", csrf_from="/groups/club")
        assert response.status_code == 303, response.text

    async def open_proposal(self, **fields: Any) -> int:
        closes = utc_to_local(utcnow() + timedelta(days=3), "UTC").replace(tzinfo=None)
        form = {
            "title": "Move the meetup to Thursdays?",
            "body": "Tuesdays clash with the *choir*.",
            "options": "Agree\nDisagree\nAbstain",
            "method": "majority",
            "eligibility": "members",
            "visibility": "members",
            "closes_at": closes.isoformat(timespec="minutes"),
            **{key: str(value) for key, value in fields.items()},
        }
        response = await self.web.post_form(
            "/groups/club/proposals/new", form, csrf_from="/groups/club/proposals/new"
        )
        assert response.status_code == 303, response.text
        return int(response.headers["location"].rsplit("/", 1)[1])

    async def vote(self, proposal_id: int, option: str) -> str:
        page = f"/groups/club/proposals/{proposal_id}"
        response = await self.web.post_form(f"{page}/vote", {"option": option}, csrf_from=page)
        assert response.status_code == 303, response.text
        return (await self.web.get(page)).text


@pytest.fixture
async def club(web: WebClient) -> Club:
    await web.login_as_new("organizer")
    response = await web.create_group("club", "Chess Club")
    assert response.status_code == 303
    return Club(web)


async def close_now(session: Any, proposal_id: int) -> None:
    """Move a proposal's closing time into the past (the worker tallies it next)."""
    proposal = await session.get(Proposal, proposal_id)
    proposal.closes_at = utcnow() - timedelta(seconds=1)
    session.add(proposal)
