"""Content-type confusion (Mastodon CVE-2024-25623): the inbox takes only ActivityStreams JSON,
and a document we fetch counts only if it is served as ActivityStreams and its ``id`` is on
the server it came from. Anything else: refused, nothing stored, nothing sent."""

from __future__ import annotations

import json
import logging

import pytest

from tests.federation_net import FederationNet
from tests.flows.peer import PeerActor, sign_cavage
from tests.security.conftest import Target
from tests.security.harness import Watch, post_signed
from tests.security.hostile import Hostile

SIGNED = ("(request-target)", "host", "date", "digest")


@pytest.mark.parametrize(
    "content_type",
    [
        "text/html",
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/xml",
        "application/activity+jsonx",
        "image/svg+xml",
        "",
    ],
)
async def test_the_inbox_takes_only_activitystreams_json(
    net: FederationNet, target: Target, content_type: str
) -> None:
    body = json.dumps(target.bob.activity("Follow", target.group)).encode()
    headers = sign_cavage(
        target.bob.key, target.bob.key_id, "POST", target.inbox, body, signed=SIGNED
    )
    headers["content-type"] = content_type
    watch = await Watch.start(net, target.b)
    response = await net.http.post(target.inbox, content=body, headers=headers)
    await watch.assert_untouched(response, 415)


@pytest.mark.parametrize(
    "content_type",
    [
        "text/html",
        "text/plain",
        "application/octet-stream",
        "image/png",
        'application/ld+json; profile="https://example.org/other"',
        "",
    ],
)
async def test_an_actor_served_with_another_media_type_is_not_trusted(
    net: FederationNet,
    target: Target,
    evil: Hostile,
    content_type: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    eve = PeerActor(evil.host, "eve")
    evil.serve("/users/eve", eve.document(), content_type=content_type)
    watch = await Watch.start(net, target.b)
    response = await post_signed(net, eve, target.inbox, eve.activity("Follow", target.group))
    await watch.assert_untouched(response, 401, fetches=1)
    assert "media type" in caplog.text  # why the key could not be had, in the log


@pytest.mark.parametrize(
    "claimed",
    [
        "https://peer.test/users/bob",  # another server
        "https://evil.test/users/zed",  # same server, another actor
        "http://evil.test/users/eve",  # same host, other scheme
        "https://evil.test:8443/users/eve",  # same host, other port
        None,
    ],
)
async def test_a_fetched_actor_whose_id_is_not_its_url_is_not_trusted(
    net: FederationNet, target: Target, evil: Hostile, claimed: str | None
) -> None:
    eve = PeerActor(evil.host, "eve")
    document = eve.document()
    if claimed is None:
        del document["id"]
    else:
        document["id"] = claimed
    evil.serve("/users/eve", document)
    watch = await Watch.start(net, target.b)
    response = await post_signed(net, eve, target.inbox, eve.activity("Follow", target.group))
    await watch.assert_untouched(response, 401, fetches=1)


async def test_an_html_page_is_not_an_actor_even_with_json_inside(
    net: FederationNet, target: Target, evil: Hostile
) -> None:
    eve = PeerActor(evil.host, "eve")
    page = b"<html><body>" + json.dumps(eve.document()).encode() + b"</body></html>"
    evil.serve("/users/eve", page, content_type="application/activity+json")
    watch = await Watch.start(net, target.b)
    response = await post_signed(net, eve, target.inbox, eve.activity("Follow", target.group))
    await watch.assert_untouched(response, 401, fetches=1)
