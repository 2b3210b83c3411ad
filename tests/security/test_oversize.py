"""Oversize and slow bodies, in and out: an inbox body past the cap is a 413 before anything
is parsed; a fetched document past the cap is abandoned mid-stream; an endless or stalled
body ends at the cap or the time limit — and none of it leaves a row behind."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator

import httpx
import pytest

from federation.fetch import FetchTooLarge, FetchTransportError, fetch_object
from tests.federation_net import FederationNet
from tests.flows.peer import AS_TYPE, PeerActor
from tests.security.conftest import Target
from tests.security.harness import Watch, post_signed
from tests.security.hostile import Hostile


async def test_a_signed_activity_over_the_inbox_cap_is_a_413(
    net: FederationNet, target: Target
) -> None:
    cap = target.b.settings.federation.max_inbox_bytes
    activity = target.bob.activity("Create", {"type": "Note", "content": "x" * cap})
    watch = await Watch.start(net, target.b)
    response = await post_signed(net, target.bob, "https://b.test/inbox", activity)
    await watch.assert_untouched(response, 413)


async def test_an_actor_document_over_the_cap_is_not_read(
    net: FederationNet, target: Target, evil: Hostile, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    eve = PeerActor(evil.host, "eve")
    evil.serve("/users/eve", {**eve.document(), "summary": "x" * 1_100_000})
    watch = await Watch.start(net, target.b)
    response = await post_signed(net, eve, target.inbox, eve.activity("Follow", target.group))
    await watch.assert_untouched(response, 401, fetches=1)
    assert "bytes" in caplog.text  # why the key could not be had, in the log


async def _endless() -> AsyncIterator[bytes]:
    yield b'{"id": "https://evil.test/x", "padding": "'
    while True:
        yield b"x" * 65_536
        await asyncio.sleep(0)


async def _stalled() -> AsyncIterator[bytes]:
    yield b'{"id": "https://evil.test/x", '
    await asyncio.Event().wait()  # never sends the rest
    yield b"}"  # pragma: no cover


def _streaming(body: AsyncIterator[bytes]) -> httpx.AsyncClient:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-type": AS_TYPE}, content=body)

    return httpx.AsyncClient(transport=httpx.MockTransport(handler))


async def test_an_endless_body_is_abandoned_at_the_cap() -> None:
    async with _streaming(_endless()) as client:
        with pytest.raises(FetchTooLarge):
            await fetch_object(client, "https://evil.test/x", max_bytes=1_000_000)


async def test_a_stalled_body_ends_at_the_time_limit() -> None:
    async with _streaming(_stalled()) as client:
        with pytest.raises(FetchTransportError, match="longer than"):
            await fetch_object(client, "https://evil.test/x", timeout=0.2)


async def test_a_lying_content_length_cannot_get_more_than_the_cap_in() -> None:
    body = json.dumps({"id": "https://evil.test/x", "pad": "x" * 2_000_000}).encode()

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200, headers={"content-type": AS_TYPE, "content-length": "100"}, content=body
        )

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
        with pytest.raises((FetchTooLarge, FetchTransportError)):
            await fetch_object(client, "https://evil.test/x", max_bytes=1_000_000)
