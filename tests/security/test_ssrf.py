"""Server-side request forgery (Mastodon CVE-2026-22245 and kin): whatever URL a peer makes us
fetch — a key id, a redirect, a WebFinger host, an inbox to deliver to — the address checked
is the address connected to, and it is never private, loopback, link-local, CGNAT, unspecified
or an IPv4-mapped form of those. Here b's real ``SafeTransport`` runs over the simulated
network, with a resolver stub, and ``Pinned`` records every address actually connected to."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx
import pytest

from federation.safe_transport import SafeTransport
from server.activitypub.local import instance_actor
from server.activitypub.runtime import runtime_of
from server.models import Delivery
from tests.federation_net import FederationNet, HostRouter, Instance
from tests.flows.peer import Peer, PeerActor
from tests.flows.scenes import organize_group, rows
from tests.security.harness import Watch, post_signed
from tests.security.hostile import Hostile

PUBLIC = {"peer.test": ["93.184.216.34"], "evil.test": ["93.184.216.66"]}
PRIVATE = [
    "127.0.0.1",
    "127.8.9.10",
    "10.0.0.1",
    "172.16.5.4",
    "192.168.1.1",
    "169.254.169.254",
    "100.64.0.1",
    "0.0.0.0",  # noqa: S104
    "::1",
    "::ffff:127.0.0.1",
    "::ffff:10.0.0.1",
    "64:ff9b::a00:1",
    "fd00::1",
    "fe80::1",
]
LITERAL_HOSTS = [
    "127.0.0.1",
    "2130706433",
    "0x7f000001",
    "0x7f.1",
    "017700000001",
    "127.1",
    "0.0.0.0",  # noqa: S104
    "0",
    "[::1]",
    "[::ffff:127.0.0.1]",
    "[::ffff:7f00:1]",
    "[::]",
    "169.254.169.254",
    "localhost",
]


@dataclass
class Resolver:
    """Answers from a table; a list of answers per name is used one call after another."""

    table: dict[str, list[list[str]]] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)

    def set(self, name: str, *answers: list[str]) -> None:
        self.table[name] = list(answers)

    async def __call__(self, host: str, port: int) -> list[str]:
        self.calls.append(host)
        if host == "localhost":
            return ["127.0.0.1", "::1"]
        answers = self.table.get(host)
        if not answers:
            raise OSError(f"{host}: name not known")
        return answers.pop(0) if len(answers) > 1 else answers[0]


class Pinned(httpx.AsyncBaseTransport):
    """Receives the requests ``SafeTransport`` pinned to an IP; records (address, host) and
    hands them to the simulated network under their host name."""

    def __init__(self, router: HostRouter) -> None:
        self.router = router
        self.connections: list[tuple[str, str]] = []

    def addresses(self) -> Iterator[str]:
        return (address for address, _ in self.connections)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        host = request.headers["host"]
        self.connections.append((request.url.host, host))
        named = httpx.Request(
            request.method,
            request.url.copy_with(host=host),
            headers=request.headers,
            stream=request.stream,
            extensions=request.extensions,
        )
        return await self.router.handle_async_request(named)


@dataclass
class Guarded:
    b: Instance
    group: str
    resolver: Resolver
    pinned: Pinned

    @property
    def inbox(self) -> str:
        return f"{self.group}/inbox"


@pytest.fixture
async def guarded(net: FederationNet) -> Guarded:
    """b, with a group, whose outgoing requests go through the real SafeTransport."""
    b = await net.add("b")
    group = await organize_group(b, "club")
    await b.run(lambda session: instance_actor(session, b.uris))  # its keys exist before a watch
    resolver = Resolver({name: [answer] for name, answer in PUBLIC.items()})
    pinned = Pinned(net.router)
    client = httpx.AsyncClient(
        transport=SafeTransport(pinned, resolver=resolver), follow_redirects=False
    )
    runtime_of(b.app).http = client
    runtime_of(b.app).remote.http = client
    yield Guarded(b, group, resolver, pinned)
    await client.aclose()


def _private_connections(pinned: Pinned) -> list[str]:
    public = {address for answers in PUBLIC.values() for address in answers}
    return [address for address in pinned.addresses() if address not in public]


@pytest.mark.parametrize("address", PRIVATE)
async def test_a_key_id_resolving_to_a_private_address_is_never_contacted(
    net: FederationNet, evil: Hostile, guarded: Guarded, address: str
) -> None:
    guarded.resolver.set("internal.test", [address])
    mallory = PeerActor("internal.test", "mallory")
    watch = await Watch.start(net, guarded.b)
    response = await post_signed(
        net, mallory, guarded.inbox, mallory.activity("Follow", guarded.group)
    )
    await watch.assert_untouched(response, 401)
    assert guarded.pinned.connections == []
    assert "internal.test" in guarded.resolver.calls


@pytest.mark.parametrize("host", LITERAL_HOSTS)
async def test_a_key_id_on_a_literal_or_numeric_host_is_never_contacted(
    net: FederationNet, guarded: Guarded, host: str
) -> None:
    mallory = PeerActor(host, "mallory")
    watch = await Watch.start(net, guarded.b)
    response = await post_signed(
        net, mallory, guarded.inbox, mallory.activity("Follow", guarded.group)
    )
    assert response.status_code in (400, 401), response.text
    await watch.assert_untouched()
    assert guarded.pinned.connections == []


async def test_a_redirect_into_a_private_address_is_not_followed(
    net: FederationNet, evil: Hostile, guarded: Guarded
) -> None:
    guarded.resolver.set("internal.test", ["10.1.2.3"])
    eve = PeerActor(evil.host, "eve")
    evil.redirect("/users/eve", "https://internal.test/admin")
    watch = await Watch.start(net, guarded.b)
    response = await post_signed(net, eve, guarded.inbox, eve.activity("Follow", guarded.group))
    await watch.assert_untouched(response, 401, fetches=1)
    assert _private_connections(guarded.pinned) == []
    assert evil.hits["/users/eve"] == 1


@pytest.mark.parametrize("location", ["http://127.0.0.1/", "https://[::1]/", "https://2130706433/"])
async def test_a_redirect_to_a_literal_private_address_is_not_followed(
    net: FederationNet, evil: Hostile, guarded: Guarded, location: str
) -> None:
    eve = PeerActor(evil.host, "eve")
    evil.redirect("/users/eve", location)
    watch = await Watch.start(net, guarded.b)
    response = await post_signed(net, eve, guarded.inbox, eve.activity("Follow", guarded.group))
    await watch.assert_untouched(response, 401, fetches=1)
    assert _private_connections(guarded.pinned) == []


async def test_dns_rebinding_is_checked_on_the_address_connected_to(
    net: FederationNet, peer: Peer, guarded: Guarded
) -> None:
    """peer.test answers with a public address, then with loopback: the first fetch connects to
    the public address it checked; the refetch after a key rotation connects nowhere."""
    guarded.resolver.set("peer.test", ["93.184.216.34"], ["127.0.0.1"])
    bob = peer.add_actor("bob")
    first = await post_signed(net, bob, guarded.inbox, bob.activity("Follow", guarded.group))
    assert first.status_code == 202, first.text
    assert list(guarded.pinned.addresses()) == ["93.184.216.34"]

    await net.drain()  # the Accept goes to peer.test: its name now resolves to loopback
    peer.rotate_key("bob")
    watch = await Watch.start(net, guarded.b)
    again = await post_signed(net, bob, guarded.inbox, bob.activity("Follow", guarded.group))
    await watch.assert_untouched(again, 401)
    assert _private_connections(guarded.pinned) == []
    assert peer.posts() == []  # the Accept could not be delivered to loopback either
    [delivery] = await rows(guarded.b, Delivery)
    assert delivery.state != "delivered"


@pytest.mark.parametrize(
    "handle", ["mallory@internal.test", "mallory@127.0.0.1", "mallory@[::1]", "mallory@2130706433"]
)
async def test_following_a_handle_on_a_private_host_contacts_nothing(
    net: FederationNet, guarded: Guarded, handle: str
) -> None:
    guarded.resolver.set("internal.test", ["192.168.0.10"])
    watch = await Watch.start(net, guarded.b)
    response = await guarded.b.web.post_form("/follow", {"handle": handle}, csrf_from="/home")
    assert response.status_code == 303
    page = await guarded.b.web.get(response.headers["location"])
    assert "couldn" in page.text
    await watch.assert_untouched()
    assert guarded.pinned.connections == []


async def test_an_inbox_on_a_private_address_gets_no_delivery(
    net: FederationNet, evil: Hostile, guarded: Guarded
) -> None:
    """eve's actor (on a public host) names an inbox that resolves to a private address."""
    guarded.resolver.set("internal.test", ["10.9.9.9"])
    eve = evil.actor("eve", inbox="https://internal.test/inbox", endpoints={})
    response = await post_signed(net, eve, guarded.inbox, eve.activity("Follow", guarded.group))
    assert response.status_code == 202, response.text
    await net.drain()
    assert _private_connections(guarded.pinned) == []
    assert [d.state != "delivered" for d in await rows(guarded.b, Delivery)] == [True]
