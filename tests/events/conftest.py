"""Helpers for meetup tests: an organizer with a group, and the event form."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.web import WebClient

FORM: dict[str, str] = {
    "title": "Repair café",
    "description": "Bring **broken lamps**.",
    "start_date": "2030-05-04",
    "start_time": "14:00",
    "end_time": "17:00",
    "timezone": "Europe/Paris",
    "venue_name": "Community hall",
    "street": "12 Main St",
    "postal_code": "69001",
    "locality": "Lyon",
    "country": "France",
    "latitude": "45.76",
    "longitude": "4.83",
    "tags": "repair, diy",
    "join_mode": "free",
    "visibility": "public",
    "repeat": "none",
}


class Organizer:
    """A signed-in organizer of the group ``club``."""

    def __init__(self, web: WebClient) -> None:
        self.web = web

    async def create_event(self, **changes: Any) -> httpx.Response:
        data = {**FORM, **{key: str(value) for key, value in changes.items()}}
        return await self.web.post_form(
            "/groups/club/events/new", data, csrf_from="/groups/club/events/new"
        )

    async def create_event_id(self, **changes: Any) -> int:
        response = await self.create_event(**changes)
        assert response.status_code == 303, response.text
        return int(response.headers["location"].rsplit("/", 1)[1])


@pytest.fixture
async def organizer(web: WebClient) -> Organizer:
    await web.login_as_new("organizer")
    response = await web.create_group("club", "Chess Club")
    assert response.status_code == 303
    return Organizer(web)
