"""The worker's aiohttp poster: exact signed POSTs, public addresses only, no redirects."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import pytest

from federation.aiohttp_poster import AiohttpPoster
from federation.delivery import post_activity

BODY = b'{"type": "Create", "content": "caf\xc3\xa9"}'


class Signer:
    def __call__(self, method: str, url: str, body: bytes) -> dict[str, str]:
        return {"Signature": f'keyId="k",target="{method} {url}"'}


class Inbox:
    """A loopback HTTP server answering every request with ``answer``; keeps what came."""

    def __init__(self, answer: bytes) -> None:
        self.answer = answer
        self.received: list[tuple[bytes, bytes]] = []
        self.connections = 0

    async def __call__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            length = next(
                int(line.split(b":")[1])
                for line in head.lower().split(b"\r\n")
                if line.startswith(b"content-length:")
            )
            self.received.append((head, await reader.readexactly(length)))
            writer.write(self.answer)
            await writer.drain()
        finally:
            writer.close()


@asynccontextmanager
async def serving(inbox: Inbox) -> AsyncIterator[int]:
    server = await asyncio.start_server(inbox, "127.0.0.1", 0)
    async with server:
        yield server.sockets[0].getsockname()[1]


def resolving_to(*addresses: str) -> Callable[[str, int], Awaitable[list[str]]]:
    async def resolve(host: str, port: int) -> list[str]:
        resolve.calls.append(host)  # type: ignore[attr-defined]
        return list(addresses)

    resolve.calls = []  # type: ignore[attr-defined]
    return resolve


@asynccontextmanager
async def poster(**options: object) -> AsyncIterator[AiohttpPoster]:
    made = AiohttpPoster(user_agent="Hearth/test", **options)  # type: ignore[arg-type]
    try:
        yield made
    finally:
        await made.aclose()


async def test_the_signed_body_arrives_byte_exact_at_the_name_it_was_signed_for() -> None:
    inbox = Inbox(b"HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n")
    async with (
        serving(inbox) as port,
        poster(resolver=resolving_to("127.0.0.1"), allow_private=True) as sender,
    ):
        url = f"http://club.test:{port}/users/a%2Fb/inbox"
        outcome = await post_activity(sender, url, BODY, Signer())
    assert outcome.is_delivered and outcome.status == 202
    head, body = inbox.received[0]
    assert head.startswith(b"POST /users/a%2Fb/inbox HTTP/1.1\r\n")
    assert f"Host: club.test:{port}\r\n".encode() in head
    assert f'Signature: keyId="k",target="POST {url}"\r\n'.encode() in head
    assert b"User-Agent: Hearth/test\r\n" in head
    assert b"Content-Type: application/activity+json" in head
    assert body == BODY


async def test_a_name_with_a_private_address_is_refused_before_connecting() -> None:
    inbox = Inbox(b"HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n")
    async with serving(inbox) as port, poster(resolver=resolving_to("127.0.0.1")) as sender:
        outcome = await post_activity(sender, f"http://club.test:{port}/inbox", BODY, Signer())
    assert outcome.status is None
    assert outcome.error is not None and "127.0.0.1 is not a public address" in outcome.error
    assert inbox.connections == 0


async def test_a_private_ip_literal_is_refused_without_resolving() -> None:
    resolver = resolving_to("8.8.8.8")
    async with poster(resolver=resolver) as sender:
        for url in ("http://127.0.0.1:9/inbox", "http://[::1]:9/inbox", "http://10.1.2.3/inbox"):
            outcome = await post_activity(sender, url, BODY, Signer())
            assert outcome.error is not None and "not a public address" in outcome.error, url
    assert resolver.calls == []  # type: ignore[attr-defined]


async def test_only_http_and_https_urls_are_posted_to() -> None:
    async with poster() as sender:
        outcome = await post_activity(sender, "ftp://town.example/inbox", BODY, Signer())
    assert outcome.error == "UnsupportedProtocol: only http and https, not 'ftp'"


async def test_a_redirect_is_a_failure_and_is_not_followed() -> None:
    answer = b"HTTP/1.1 308 Permanent Redirect\r\nLocation: http://127.0.0.1:9/x\r\n"
    inbox = Inbox(answer + b"Content-Length: 0\r\n\r\n")
    async with (
        serving(inbox) as port,
        poster(resolver=resolving_to("127.0.0.1"), allow_private=True) as sender,
    ):
        outcome = await post_activity(sender, f"http://club.test:{port}/inbox", BODY, Signer())
    assert (outcome.status, outcome.error) == (308, "HTTP 308")
    assert len(inbox.received) == 1


async def test_a_refusal_keeps_retry_after_and_the_start_of_its_body() -> None:
    text = b"slow down " * 100
    answer = b"HTTP/1.1 429 Too Many Requests\r\nRetry-After: 120\r\n"
    inbox = Inbox(answer + b"Content-Length: %d\r\n\r\n" % len(text) + text)
    async with (
        serving(inbox) as port,
        poster(resolver=resolving_to("127.0.0.1"), allow_private=True) as sender,
    ):
        outcome = await post_activity(sender, f"http://club.test:{port}/inbox", BODY, Signer())
    assert (outcome.status, outcome.retry_after) == (429, "120")
    assert outcome.error == "HTTP 429: " + text[:300].decode().strip()


async def test_a_closed_port_is_a_connect_error() -> None:
    async with poster(resolver=resolving_to("127.0.0.1"), allow_private=True) as sender:
        outcome = await post_activity(sender, "http://club.test:9/inbox", BODY, Signer())
    assert outcome.status is None
    assert outcome.error is not None and outcome.error.startswith("ConnectError:")


async def test_an_inbox_that_never_answers_times_out() -> None:
    async def hang(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await asyncio.sleep(5)
        finally:
            writer.close()

    server = await asyncio.start_server(hang, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server, poster(resolver=resolving_to("127.0.0.1"), allow_private=True) as sender:
        url = f"http://club.test:{port}/inbox"
        outcome = await post_activity(sender, url, BODY, Signer(), timeout=0.2)
    assert outcome.status is None
    assert outcome.error == "no answer within 0.2 s"


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://exa mple.test/inbox", "not a valid URL"),
        ("http://bob@club.test/inbox", "credentials are not allowed"),
        ("http://club.test:99999/inbox", "not a valid port"),
    ],
)
async def test_a_malformed_inbox_url_is_refused_without_resolving(url: str, reason: str) -> None:
    resolver = resolving_to("127.0.0.1")
    async with poster(resolver=resolver, allow_private=True) as sender:
        outcome = await post_activity(sender, url, BODY, Signer())
    assert outcome.status is None
    assert outcome.error is not None and reason in outcome.error
    assert resolver.calls == []  # type: ignore[attr-defined]
