"""Security headers on every response — pages, API, ActivityPub documents, errors, media — and
pages that need no inline script or style; uploads served with their exact image type, an
inline Content-Disposition and a sandbox, from ``/media``, which no peer can take for an
ActivityPub object."""

from __future__ import annotations

import httpx
import pytest

from federation.fetch import BadContentType, fetch_object
from tests.federation_net import FederationNet
from tests.flows.peer import AS_TYPE, Peer
from tests.security.site import Site, build_site, crawl
from tests.server.html_safety import tags_of, unsafe_markup

UNSAFE_SOURCES = ("'unsafe-inline'", "'unsafe-eval'", "*", "data:", "http:", "https:")


def _directives(csp: str) -> dict[str, list[str]]:
    parts = (d.split() for d in csp.split(";") if d.strip())
    return {p[0]: p[1:] for p in parts}


def check_headers(path: str, response: httpx.Response) -> None:
    """The headers every response must carry; only the embeddable lists may be framed."""
    headers = response.headers
    assert headers.get("x-content-type-options") == "nosniff", path
    csp = _directives(headers.get("content-security-policy", ""))
    framing = ["*"] if path.startswith("/embed/") else ["'none'"]
    assert csp.get("frame-ancestors") == framing or "sandbox" in csp, (path, csp)
    scripts = csp.get("script-src", csp.get("default-src"))
    assert scripts is not None, (path, csp)
    assert not set(scripts) & set(UNSAFE_SOURCES), (path, scripts)
    assert csp.get("object-src", csp.get("default-src")) in (["'none'"], ["'self'"]), path


@pytest.fixture
async def site(net: FederationNet, peer: Peer) -> Site:
    return await build_site(net, peer)


async def test_every_response_carries_the_security_headers(net: FederationNet, site: Site) -> None:
    pages = await crawl(site, net)
    extra = {
        "nul": await site.b.web.get("/groups/%00"),
        "too large": await site.b.web.client.post("/login", content=b"x" * 2_000_000),
        "static": await site.b.web.get("/static/hearth.css"),
    }
    kinds = {r.headers.get("content-type", "").split(";")[0] for r in pages.values()}
    assert {"text/html", "application/json", AS_TYPE, "image/png"} <= kinds, kinds
    for path, response in {**pages, **extra}.items():
        check_headers(path, response)


async def test_pages_carry_no_inline_script_or_style(net: FederationNet, site: Site) -> None:
    pages = await crawl(site, net)
    html = {p: r.text for p, r in pages.items() if "text/html" in r.headers.get("content-type", "")}
    assert len(html) > 15
    for path, text in html.items():
        # no inline handlers, styles or script URLs (our own inline SVG, the flyer's QR code,
        # is markup we drew; its attributes are checked like every other tag's; a script tag
        # must load one of our static files, checked below)
        assert [p for p in unsafe_markup(text) if p not in ("<svg>", "<script>")] == [], path
        for tag, attributes in tags_of(text):
            if tag == "script":
                assert attributes.get("src", "").startswith("/static/"), (path, attributes)
            assert tag != "style", path


async def test_uploads_are_served_as_images_from_media(net: FederationNet, site: Site) -> None:
    [avatar] = site.media
    assert avatar.startswith("/media/") and avatar.endswith(".png")
    response = await site.b.web.get(avatar)
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/png"
    assert response.headers["content-disposition"].startswith("inline; filename=")
    assert _directives(response.headers["content-security-policy"]).get("sandbox") == []
    assert response.headers["x-content-type-options"] == "nosniff"

    as_object = await site.b.web.get(avatar, headers={"Accept": AS_TYPE})
    assert as_object.headers["content-type"] == "image/png"  # never ActivityStreams
    with pytest.raises(BadContentType):
        await fetch_object(net.http, f"https://b.test{avatar}")


async def test_only_our_image_types_are_served_from_media(net: FederationNet, site: Site) -> None:
    uploads = site.b.settings.uploads_path
    for name in ("x.html", "x.svg", "x.json", "x.png.part", "x"):
        (uploads / name).write_bytes(b"<script>alert(1)</script>")
        response = await site.b.web.get(f"/media/{name}")
        assert response.status_code == 404, name
        check_headers(name, response)
