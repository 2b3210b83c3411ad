"""WebFinger spoofing (Mastodon CVE-2023-42451 and kin): a JRD on one server cannot give its
handle to an actor elsewhere, odd host strings in a handle contact nobody unexpected, and our
own WebFinger answers only for our accounts — never a 500, never a link off our host."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest

from server.models import Follow, RemoteActor
from tests.federation_net import FederationNet
from tests.flows.peer import Peer
from tests.flows.scenes import organize_group, rows
from tests.security.conftest import Target
from tests.security.harness import Watch
from tests.security.hostile import Hostile

JRD = "application/jrd+json"


def _jrd(subject: str, href: str) -> dict[str, Any]:
    return {
        "subject": subject,
        "links": [{"rel": "self", "type": "application/activity+json", "href": href}],
    }


async def _follow(target: Target, handle: str) -> str:
    response = await target.b.web.post_form("/follow", {"handle": handle}, csrf_from="/home")
    assert response.status_code == 303
    return (await target.b.web.get(response.headers["location"])).text


async def test_a_self_link_to_another_server_does_not_lend_it_the_handle(
    net: FederationNet, peer: Peer, target: Target, evil: Hostile
) -> None:
    """evil.test says @eve@evil.test is bob on peer.test: whatever is followed is shown as
    bob's own handle, and nothing here calls bob @eve@evil.test."""
    evil.serve(
        "/.well-known/webfinger", _jrd("acct:eve@evil.test", target.bob.uri), content_type=JRD
    )
    await target.b.web.login_as_new("lucy")
    page = await _follow(target, "@eve@evil.test")
    assert "@eve@evil.test" not in [a.handle for a in await rows(target.b, RemoteActor)]
    for follow in await rows(target.b, Follow):
        assert follow.followee_uri == target.bob.uri
    if "Follow request sent" in page:
        assert "@bob@peer.test" in page


@pytest.mark.parametrize(
    "subject",
    [
        "acct:carol@peer.test",  # peer.test answers WebFinger, but has no carol
        "acct:eve@b.test",
        "https://peer.test/users/bob",
        "acct:eve@evil.test@peer.test",
    ],
)
async def test_a_subject_naming_another_account_must_be_confirmed_there(
    net: FederationNet, target: Target, evil: Hostile, subject: str
) -> None:
    evil.serve("/.well-known/webfinger", _jrd(subject, evil.url("/users/eve")), content_type=JRD)
    evil.actor("eve")
    await target.b.web.login_as_new("lucy")
    watch = await Watch.start(net, target.b)
    page = await _follow(target, "eve@evil.test")
    assert "couldn" in page
    await watch.assert_untouched(fetches=3)
    assert all("/users/eve" not in url for url in watch.fetched())


async def test_a_subject_confirmed_by_its_own_server_is_that_account_never_the_claimant(
    net: FederationNet, target: Target, evil: Hostile
) -> None:
    """evil.test says eve@evil.test is bob@peer.test, and peer.test confirms bob: as in
    Mastodon, the account found is bob (peer.test's own link), never evil's /users/eve."""
    evil.serve(
        "/.well-known/webfinger",
        _jrd("acct:bob@peer.test", evil.url("/users/eve")),
        content_type=JRD,
    )
    evil.actor("eve")
    await target.b.web.login_as_new("lucy")
    await _follow(target, "eve@evil.test")
    assert [f.followee_uri for f in await rows(target.b, Follow)] == [target.bob.uri]
    assert all(actor.domain != "evil.test" for actor in await rows(target.b, RemoteActor))


ODD_HANDLES = [
    "eve@evil.test@b.test",
    "eve@evil.test/../../admin",
    "eve@evil.test:22",
    "eve@evil.test#frag",
    "eve@evil.test?x=1",
    "eve@ evil.test",
    "eve@evil.test\\@peer.test",
    "eve@%65vil.test",
    "eve@evil..test",
    "eve@-evil.test",
    "eve@" + "a" * 300 + ".test",
    "eve@еvil.test",  # Cyrillic е: another IDNA name, which nothing answers for
    "@",
    "eve@",
    "@evil.test",
]


@pytest.mark.parametrize("handle", ODD_HANDLES)
async def test_odd_handles_contact_nobody_unexpected(
    net: FederationNet, target: Target, evil: Hostile, handle: str
) -> None:
    await target.b.web.login_as_new("lucy")
    watch = await Watch.start(net, target.b)
    page = await _follow(target, handle)
    assert "couldn" in page or "Enter a handle" in page
    await watch.assert_untouched(fetches=1)
    for url in watch.fetched():  # at most the WebFinger of the very host named, IDNA-encoded
        parts = urlsplit(url)
        assert parts.hostname in ("evil.test", "xn--vil-qdd.test"), url
        assert parts.path == "/.well-known/webfinger", url


OUR_RESOURCES = {
    "acct:club@evil.test": 404,
    "acct:club@b.test@evil.test": 404,
    "club@b.test.evil.test": 404,
    "https://evil.test/groups/club": 404,
    "https://b.test.evil.test/groups/club": 404,
    "acct:club@b.test:443": 404,
    "acct:CLUB@B.TEST": 200,
    "acct:../club@b.test": 404,
    "acct:club%40evil.test@b.test": 404,
    "acct:" + "x" * 5000 + "@b.test": 404,
    "acct:club@b.test\r\nSet-Cookie: x=1": 404,
}


@pytest.mark.parametrize("resource", list(OUR_RESOURCES))
async def test_our_webfinger_answers_only_for_our_accounts(
    net: FederationNet, resource: str
) -> None:
    b = await net.add("b")
    await organize_group(b, "club")
    watch = await Watch.start(net, b)
    response = await net.http.get(
        "https://b.test/.well-known/webfinger", params={"resource": resource}
    )
    assert response.status_code in (OUR_RESOURCES[resource], 400), response.text
    if response.status_code == 200:
        for link in response.json()["links"]:
            assert link["href"].startswith("https://b.test/"), link
    assert "set-cookie" not in response.headers
    await watch.assert_untouched()
