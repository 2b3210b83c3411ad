"""The read cache (issue #8): anonymous public reads are served from memory, per kind of
answer asked for; a write through the process empties it at once; signed-in people, signed
fetches, conditional requests and pages that set a cookie are never cached."""

from __future__ import annotations

import dataclasses
from typing import Any

import httpx

from tests.web import WebClient

AS_TYPE = "application/activity+json"


async def test_anonymous_reads_are_cached_until_something_is_written(
    web: WebClient, app: Any, settings: Any
) -> None:
    await web.login_as_new("organizer")
    assert (await web.create_group("club", "Chess Club")).status_code == 303
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=settings.base_url) as anonymous:
        first = await anonymous.get("/groups/club", headers={"Accept": AS_TYPE})
        second = await anonymous.get("/groups/club", headers={"Accept": AS_TYPE})
        page = await anonymous.get("/groups/club", headers={"Accept": "text/html"})
        assert "x-cache" not in first.headers and second.headers["x-cache"] == "hit"
        assert second.json() == first.json() and second.headers["content-type"].startswith(AS_TYPE)
        assert (
            page.headers["content-type"].startswith("text/html") and "x-cache" not in page.headers
        )
        assert "set-cookie" not in page.headers  # no form, no session: cacheable

        edited = await web.post_form(
            "/groups/club/edit",
            {"name": "Chess & Go Club", "visibility": "public", "membership_mode": "open"},
            csrf_from="/groups/club/edit",
        )
        assert edited.status_code == 303
        fresh = await anonymous.get("/groups/club", headers={"Accept": AS_TYPE})
        assert "x-cache" not in fresh.headers and fresh.json()["name"] == "Chess & Go Club"

        signed_in = await web.get("/groups/club", headers={"Accept": AS_TYPE})
        signed_in_again = await web.get("/groups/club", headers={"Accept": AS_TYPE})
        assert "x-cache" not in signed_in.headers and "x-cache" not in signed_in_again.headers
        for headers in ({"Signature": 'keyId="https://x.test/a#k"'}, {"If-None-Match": '"x"'}):
            again = await anonymous.get("/groups/club", headers={"Accept": AS_TYPE, **headers})
            assert "x-cache" not in again.headers
        login = await anonymous.get("/login")
        login_again = await anonymous.get("/login")
        assert "x-cache" not in login_again.headers and login.status_code == 200


async def test_a_zero_ttl_turns_the_cache_off(settings: Any, app_for: Any) -> None:
    server = dataclasses.replace(settings.server, read_cache_seconds=0.0)
    off = app_for(dataclasses.replace(settings, server=server))
    transport = httpx.ASGITransport(app=off)
    async with httpx.AsyncClient(transport=transport, base_url=settings.base_url) as client:
        for _ in range(2):
            response = await client.get("/about")
            assert "x-cache" not in response.headers
