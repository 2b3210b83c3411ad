from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx
import pytest

from federation.safe_transport import (
    BlockedAddressError,
    SafeTransport,
    pin_request,
    system_resolver,
)

PUBLIC_IP = "93.184.215.14"
OTHER_PUBLIC_IP = "93.184.215.15"


@dataclass
class Recorder:
    """An inner transport's view: where it was asked to connect, and as whom."""

    seen: list[tuple[str, str, str | None]] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.host in self.refuse:
            raise httpx.ConnectError("connection refused", request=request)
        sni = request.extensions.get("sni_hostname")
        self.seen.append((request.url.host, request.headers["host"], sni))
        return httpx.Response(200, text="ok")


@dataclass
class FakeResolver:
    """Answers from a script, one answer per call, and counts the calls."""

    answers: Iterator[list[str]]
    calls: list[str] = field(default_factory=list)

    async def __call__(self, host: str, port: int) -> list[str]:
        self.calls.append(host)
        return next(self.answers)


def resolver(*answers: list[str]) -> FakeResolver:
    return FakeResolver(iter(answers))


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


def client_for(transport: httpx.AsyncBaseTransport) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=transport)


async def test_public_host_is_pinned_to_the_checked_address(recorder: Recorder) -> None:
    transport = SafeTransport(httpx.MockTransport(recorder), resolver=resolver([PUBLIC_IP]))
    async with client_for(transport) as client:
        response = await client.get("https://town.example/groups/club")
    assert response.status_code == 200
    assert response.request.url.host == "town.example"
    assert recorder.seen == [(PUBLIC_IP, "town.example", "town.example")]


async def test_plain_http_keeps_the_port_and_sends_no_sni(recorder: Recorder) -> None:
    transport = SafeTransport(httpx.MockTransport(recorder), resolver=resolver([PUBLIC_IP]))
    async with client_for(transport) as client:
        await client.get("http://town.example:8080/x")
    assert recorder.seen == [(PUBLIC_IP, "town.example:8080", None)]


async def test_ipv6_addresses_are_pinned(recorder: Recorder) -> None:
    ipv6 = "2606:4700:4700::1111"
    transport = SafeTransport(httpx.MockTransport(recorder), resolver=resolver([ipv6]))
    async with client_for(transport) as client:
        await client.get("https://town.example/")
    assert recorder.seen == [(ipv6, "town.example", "town.example")]


@pytest.mark.parametrize(
    "addresses",
    [["10.0.0.5"], ["127.0.0.1"], ["169.254.169.254"], ["::1"], [PUBLIC_IP, "192.168.1.2"]],
)
async def test_private_addresses_are_refused(recorder: Recorder, addresses: list[str]) -> None:
    transport = SafeTransport(httpx.MockTransport(recorder), resolver=resolver(addresses))
    async with client_for(transport) as client:
        with pytest.raises(BlockedAddressError, match="not a public address"):
            await client.get("https://intranet.example/")
    assert recorder.seen == []


async def test_dns_rebinding_is_checked_on_the_address_connected_to(recorder: Recorder) -> None:
    rebinding = resolver([PUBLIC_IP], ["127.0.0.1"])
    transport = SafeTransport(httpx.MockTransport(recorder), resolver=rebinding)
    async with client_for(transport) as client:
        await client.get("https://rebind.example/first")
        with pytest.raises(BlockedAddressError):
            await client.get("https://rebind.example/second")
    assert rebinding.calls == ["rebind.example", "rebind.example"]  # one lookup per request
    assert recorder.seen == [(PUBLIC_IP, "rebind.example", "rebind.example")]


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:8000/", "http://[::1]/", "http://169.254.169.254/latest/meta-data/"],
)
async def test_ip_literals_are_checked_without_resolving(recorder: Recorder, url: str) -> None:
    no_dns = resolver()
    transport = SafeTransport(httpx.MockTransport(recorder), resolver=no_dns)
    async with client_for(transport) as client:
        with pytest.raises(BlockedAddressError):
            await client.get(url)
    assert no_dns.calls == []


@pytest.mark.parametrize(
    "url", ["http://2130706433/", "http://0x7f000001/", "http://017700000001/", "http://0x7f.1/"]
)
async def test_numeric_host_spellings_are_refused(recorder: Recorder, url: str) -> None:
    no_dns = resolver()
    transport = SafeTransport(httpx.MockTransport(recorder), resolver=no_dns)
    async with client_for(transport) as client:
        with pytest.raises(BlockedAddressError, match="not a canonical IPv4"):
            await client.get(url)
    assert no_dns.calls == []


async def test_allow_private_lets_loopback_through(recorder: Recorder) -> None:
    transport = SafeTransport(
        httpx.MockTransport(recorder), resolver=resolver(["127.0.0.1"]), allow_private=True
    )
    async with client_for(transport) as client:
        await client.get("http://a.test/")
        await client.get("http://127.0.0.1:9000/")
    assert recorder.seen == [("127.0.0.1", "a.test", None), ("127.0.0.1", "127.0.0.1:9000", None)]


async def test_only_http_and_https(recorder: Recorder) -> None:
    transport = SafeTransport(httpx.MockTransport(recorder), resolver=resolver([PUBLIC_IP]))
    async with client_for(transport) as client:
        with pytest.raises(httpx.UnsupportedProtocol):
            await client.get("ftp://town.example/file")


async def test_resolution_failure_is_a_connect_error(recorder: Recorder) -> None:
    async def failing(host: str, port: int) -> list[str]:
        raise OSError("Name or service not known")

    transport = SafeTransport(httpx.MockTransport(recorder), resolver=failing)
    async with client_for(transport) as client:
        with pytest.raises(httpx.ConnectError, match="cannot resolve"):
            await client.get("https://nowhere.example/")
        transport.resolver = resolver([])
        with pytest.raises(httpx.ConnectError, match="no address"):
            await client.get("https://nowhere.example/")


async def test_next_address_is_tried_when_connecting_fails(recorder: Recorder) -> None:
    recorder.refuse.add(PUBLIC_IP)
    transport = SafeTransport(
        httpx.MockTransport(recorder), resolver=resolver([PUBLIC_IP, OTHER_PUBLIC_IP])
    )
    async with client_for(transport) as client:
        response = await client.post("https://town.example/inbox", content=b"{}")
    assert response.status_code == 200
    assert recorder.seen == [(OTHER_PUBLIC_IP, "town.example", "town.example")]


def test_blocked_address_error_is_a_transport_error() -> None:
    assert issubclass(BlockedAddressError, httpx.TransportError)
    assert not issubclass(BlockedAddressError, httpx.ConnectError)


def test_pin_request_keeps_method_headers_and_body() -> None:
    request = httpx.Request("POST", "https://town.example/inbox", content=b"body")
    pinned = pin_request(request, PUBLIC_IP, "town.example")
    assert (pinned.method, str(pinned.url)) == ("POST", f"https://{PUBLIC_IP}/inbox")
    assert pinned.headers["host"] == "town.example"
    assert pinned.read() == b"body"
    assert pinned.extensions["sni_hostname"] == "town.example"


async def test_system_resolver_reads_literals_locally() -> None:
    assert await system_resolver("127.0.0.1", 80) == ["127.0.0.1"]


async def test_against_a_real_socket_on_loopback() -> None:
    """The default inner transport really connects to the pinned address with the Host kept."""
    received: list[bytes] = []

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        received.append(await reader.readuntil(b"\r\n\r\n"))
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
        await writer.drain()
        writer.close()
        await writer.wait_closed()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    transport = SafeTransport(resolver=resolver(["127.0.0.1"]), allow_private=True)
    async with server, client_for(transport) as client:
        response = await client.get(f"http://club.test:{port}/groups/club")
    assert response.text == "ok"
    assert b"GET /groups/club HTTP/1.1" in received[0]
    assert f"Host: club.test:{port}".encode() in received[0]
