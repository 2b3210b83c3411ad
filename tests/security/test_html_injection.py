"""HTML injection (Mastodon CVE-2023-36459): every remote field we render anywhere — actor
names, summaries, profile and icon URLs, post content, summaries and links, event names,
summaries, descriptions, places, addresses, attachments and online links — arrives loaded
with markup and script URLs; no page a local person sees carries active markup or the
payloads' markers outside escaped text, and links keep only http(s) targets."""

from __future__ import annotations

import pytest

from server.models import RemoteEvent, RemotePost
from tests.federation_net import FederationNet, Instance
from tests.flows.peer import PUBLIC
from tests.flows.scenes import organize_group, rows
from tests.security.harness import post_signed
from tests.security.hostile import Hostile
from tests.security.scenes import local_follows
from tests.server.html_safety import tags_of, unsafe_markup

MARK = "pwn"


def payload(field: str) -> str:
    """Markup that tries every trick, tagged with the field it was put in."""
    return (
        f'<script>alert("{MARK}-{field}")</script>'
        f'<img src=x onerror=alert("{MARK}-{field}-img")>'
        f'<a href="javascript:alert(1)" onclick="{MARK}">{field}</a>'
        f'<iframe src="https://evil.test/{MARK}"></iframe>'
        f'<svg onload=alert("{MARK}")></svg><style>body{{}}</style>'
        f'"><b onmouseover="{MARK}">'
    )


HOSTILE_URLS = ["javascript:alert(1)", "data:text/html,<script>alert(1)</script>", " javascript:x"]
PAGES = ["/home", "/me/calendar", "/events", "/", "/groups/club", "/groups/club/follow-requests"]


def _actor_fields(url: str) -> dict[str, object]:
    return {
        "name": payload("actor-name"),
        "preferredUsername": "eve",
        "summary": payload("actor-summary"),
        "url": url,
        "icon": {"type": "Image", "url": url},
        "image": {"type": "Image", "url": url},
        "attachment": [{"type": "PropertyValue", "name": payload("pv"), "value": payload("pv")}],
    }


def _note(actor: str, url: str) -> dict[str, object]:
    return {
        "id": f"{actor}/statuses/1",
        "type": "Note",
        "attributedTo": actor,
        "content": payload("note-content"),
        "summary": payload("note-summary"),
        "url": url,
        "to": [PUBLIC],
        "tag": [{"type": "Hashtag", "name": payload("tag"), "href": url}],
        "attachment": [{"type": "Document", "url": url, "name": payload("note-attachment")}],
    }


def _event(actor: str, url: str) -> dict[str, object]:
    return {
        "id": f"{actor}/events/1",
        "type": "Event",
        "attributedTo": actor,
        "name": payload("event-name"),
        "summary": payload("event-summary"),
        "content": payload("event-content"),
        "url": url,
        "startTime": "2030-05-03T14:00:00Z",
        "endTime": "2030-05-03T16:00:00Z",
        "to": [PUBLIC],
        "location": {
            "type": "Place",
            "name": payload("place"),
            "address": {
                "type": "PostalAddress",
                "streetAddress": payload("street"),
                "addressLocality": payload("town"),
            },
        },
        "attachment": [{"type": "Link", "name": payload("link"), "href": url}],
    }


async def _pages(b: Instance) -> dict[str, str]:
    pages = {}
    for path in PAGES:
        response = await b.web.get(path)
        assert response.status_code == 200, path
        pages[path] = response.text
    return pages


@pytest.mark.parametrize("url", HOSTILE_URLS)
async def test_remote_markup_never_reaches_a_page_active(
    net: FederationNet, evil: Hostile, url: str
) -> None:
    b = await net.add("b")
    await organize_group(b, "club", mode="approval")  # b.web is signed in as the organizer
    eve = evil.actor("eve", **_actor_fields(url))
    await local_follows(b, eve, username="organizer", create=False)
    sent = [
        ("https://b.test/inbox", eve.activity("Create", _note(eve.uri, url), to=[PUBLIC])),
        ("https://b.test/inbox", eve.activity("Create", _event(eve.uri, url), to=[PUBLIC])),
        ("https://b.test/groups/club/inbox", eve.activity("Follow", b.uris.group("club"))),
    ]
    for inbox, activity in sent:
        response = await post_signed(net, eve, inbox, activity)
        assert response.status_code == 202, response.text
    await net.drain()
    assert len(await rows(b, RemotePost)) == len(await rows(b, RemoteEvent)) == 1

    for path, html in (await _pages(b)).items():
        assert unsafe_markup(html) == [], path
        for tag, attributes in tags_of(html):
            assert MARK not in f"{tag} {attributes}", (path, tag, attributes)  # text only
            for name in ("href", "src"):
                value = (attributes.get(name) or "").strip().lower()
                assert not value.startswith(("javascript:", "data:")), (path, tag, value)
    home = await b.web.get("/home")
    assert "@eve@evil.test" in home.text and "note-content" in home.text  # it was rendered
