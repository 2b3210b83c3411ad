"""Embeddable meetup lists: framable by any site, cookie-free, public meetups only."""

from __future__ import annotations

import html
from typing import Any

import httpx

from server.config import Settings
from tests.events.conftest import Organizer
from tests.web import WebClient


async def test_group_embed_lists_public_meetups_and_may_be_framed(
    organizer: Organizer, web: WebClient, app: Any, settings: Settings
) -> None:
    await organizer.create_event_id(title="Lamp clinic")
    await organizer.create_event_id(title="Members dinner", visibility="members")
    await organizer.create_event_id(title="Quiet unlisted", visibility="unlisted")

    # Signed in: the browser has a session cookie, and the embed must not refresh it.
    assert web.client.cookies.get("hearth_session")
    page = await web.get("/embed/groups/club")
    assert page.status_code == 200
    assert "Lamp clinic" in page.text
    assert "Members dinner" not in page.text and "Quiet unlisted" not in page.text
    assert "set-cookie" not in page.headers
    assert "x-frame-options" not in page.headers
    assert "frame-ancestors *" in page.headers["content-security-policy"]
    assert 'target="_blank"' in page.text  # the rest of the site refuses frames

    # Every other page keeps refusing to be framed.
    group_page = await web.get("/groups/club")
    assert group_page.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in group_page.headers["content-security-policy"]

    # The group page offers the snippet to paste.
    snippet = html.unescape(group_page.text)
    expected = '<iframe src="http://localhost:8000/embed/groups/club" title="Meetups of Chess Club"'
    assert expected in snippet

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=settings.base_url) as stranger:
        anonymous = await stranger.get("/embed/groups/club?screen=1")
    assert anonymous.status_code == 200
    assert "set-cookie" not in anonymous.headers
    assert "embed-screen" in anonymous.text and "<svg" in anonymous.text  # QR code
    assert "/static/embed.js" in anonymous.text


async def test_instance_embed_filters_by_tag(organizer: Organizer, web: WebClient) -> None:
    await organizer.create_event_id(title="Bike repair", tags="bikes")
    await organizer.create_event_id(title="Sewing circle", tags="sewing")
    page = await web.get("/embed/events?tag=bikes")
    assert page.status_code == 200
    assert "Meetups tagged #bikes" in page.text
    assert "Bike repair" in page.text and "Sewing circle" not in page.text
    assert "Chess Club" in page.text  # the group of each meetup
    everything = await web.get("/embed/events")
    assert "Bike repair" in everything.text and "Sewing circle" in everything.text


async def test_embed_of_a_missing_group_is_404(web: WebClient) -> None:
    page = await web.get("/embed/groups/nobody")
    assert page.status_code == 404
    assert "x-frame-options" not in page.headers
