"""A small instance with something on every page — an admin organizer, a group with a post, an
avatar and a meetup, a follower, an API token — and a crawler that reads every page, API
response and ActivityPub document it can reach from the start pages."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import httpx

from server.services.credentials import create_api_token
from server.services.users import get_user
from tests.events.conftest import FORM
from tests.federation_net import FederationNet, Instance
from tests.flows.peer import AS_TYPE, Peer
from tests.flows.scenes import post_as_group
from tests.server.images import png

LINK = re.compile(r'(?:href|src|action)="([^"#]+)"')
ID_LIKE = re.compile(r'"(https://b\.test/[^"\s]*)"')
START = [
    "/",
    "/about",
    "/home",
    "/events",
    "/me/calendar",
    "/me/groups",
    "/admin",
    "/admin/users",
    "/admin/federation",
    "/groups/club",
    "/groups/club/edit",
    "/groups/club/members",
    "/groups/club/follow-requests",
    "/groups/club/events/new",
    "/groups/club/flyer",
    "/groups/club/feed.atom",
    "/events.ics",
    "/users/organizer",
    "/api/v1/me",
    "/api/v1/groups",
    "/api/v1/groups/club",
    "/api/v1/events",
    "/api/v1/openapi.json",
    "/.well-known/webfinger?resource=acct:club@b.test",
    "/.well-known/webfinger?resource=acct:organizer@b.test",
    "/.well-known/nodeinfo",
    "/.well-known/host-meta",
    "/nodeinfo/2.1",
    "/no/such/page",
    "/groups/nope",
    "/api/v1/groups/nope",
]
SKIP = ("/logout", "/static/")


@dataclass
class Site:
    b: Instance
    token: str
    media: list[str] = field(default_factory=list)


async def build_site(net: FederationNet, peer: Peer) -> Site:
    """b.test with everything the pages can show."""
    b = await net.add("b")
    await b.web.login_as_new("organizer", is_admin=True)
    files = {"avatar": ("a.png", png(), "image/png")}
    data = {"slug": "club", "name": "Club", "summary": "We meet", "membership_mode": "open"}
    created = await b.web.post_form("/groups/new", data, files=files, csrf_from="/groups/new")
    assert created.status_code == 303, created.text
    await post_as_group(b, "club", "Hello, fediverse")
    event = await b.web.post_form(
        "/groups/club/events/new", FORM, csrf_from="/groups/club/events/new"
    )
    assert event.status_code == 303, event.text
    bob = peer.add_actor("bob")
    assert (
        await peer.post(
            net.http, f"{b.uris.group('club')}/inbox", bob.activity("Follow", b.uris.group("club"))
        )
    ).status_code == 202
    await net.drain()

    async def token(session: object) -> str:
        return await create_api_token(session, await get_user(session, "organizer"))  # type: ignore[arg-type]

    site = Site(b, await b.run(token))
    page = (await b.web.get("/groups/club")).text
    site.media = re.findall(r'src="(/media/[^"]+)"', page)
    assert site.media
    return site


async def crawl(site: Site, net: FederationNet, limit: int = 250) -> dict[str, httpx.Response]:
    """Every page the signed-in organizer reaches from ``START`` (HTML, API with the token,
    and each ``https://b.test`` URL named in a JSON document, fetched as ActivityStreams)."""
    seen: dict[str, httpx.Response] = {}
    queue = [
        *START,
        *site.media,
        "/actor",
        site.b.uris.group("club"),
        site.b.uris.user("organizer"),
    ]
    api = {"Authorization": f"Bearer {site.token}"}
    while queue and len(seen) < limit:
        url = queue.pop(0)
        path = _path(url)
        if path is None or path in seen or path.startswith(SKIP):
            continue
        if url.startswith("https://"):
            response = await net.http.get(url, headers={"Accept": AS_TYPE})
        else:
            response = await site.b.web.get(path, headers=api if path.startswith("/api/") else {})
        seen[path] = response
        text = response.text if "image" not in response.headers.get("content-type", "") else ""
        queue += [urljoin(path, link) for link in LINK.findall(text)]
        queue += ID_LIKE.findall(text)
    return seen


def _path(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.netloc not in ("", "b.test"):
        return None
    if url.startswith("https://"):
        return url.removeprefix("https://b.test") or "/"
    return parts.path + (f"?{parts.query}" if parts.query else "")
