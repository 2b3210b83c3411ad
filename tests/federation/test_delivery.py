from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator

import httpx
import pytest

from federation.delivery import DeliveryOutcome, Recipient, dedupe_inboxes, post_activity
from federation.safe_transport import SafeTransport

INBOX = "https://social.example/users/alice/inbox"
BODY = json.dumps(
    {"id": "https://town.example/activities/1", "type": "Follow"}, separators=(",", ":")
).encode()


class RecordingSigner:
    """A stand-in for the real signer: remembers what it signed."""

    def __init__(self) -> None:
        self.signed: list[tuple[str, str, bytes]] = []

    def __call__(self, method: str, url: str, body: bytes) -> dict[str, str]:
        self.signed.append((method, url, body))
        return {"Signature": "keyId=test", "Digest": f"len={len(body)}"}


def ticking_clock() -> Callable[[], float]:
    ticks: Iterator[float] = iter([10.0, 10.25])
    return lambda: next(ticks)


async def deliver(
    handler: Callable[[httpx.Request], httpx.Response], **options: object
) -> DeliveryOutcome:
    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
        return await post_activity(client, INBOX, BODY, RecordingSigner(), **options)  # type: ignore[arg-type]


async def test_accepted_delivery_sends_exactly_the_signed_bytes() -> None:
    seen: list[httpx.Request] = []
    signer = RecordingSigner()

    def inbox(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(202)

    async with httpx.AsyncClient(transport=httpx.MockTransport(inbox)) as client:
        outcome = await post_activity(client, INBOX, BODY, signer, clock=ticking_clock())
    assert outcome == DeliveryOutcome(status=202, retry_after=None, error=None, elapsed=0.25)
    assert outcome.is_delivered
    assert signer.signed == [("POST", INBOX, BODY)]
    request = seen[0]
    assert request.method == "POST"
    assert request.content == BODY
    assert request.headers["content-type"] == "application/activity+json"
    assert request.headers["signature"] == "keyId=test"
    assert request.headers["digest"] == f"len={len(BODY)}"


async def test_server_error_status_is_recorded_with_a_snippet() -> None:
    outcome = await deliver(lambda request: httpx.Response(500, text="database on fire " * 100))
    assert outcome.status == 500
    assert not outcome.is_delivered
    assert outcome.error is not None
    assert outcome.error.startswith("HTTP 500: database on fire")
    assert len(outcome.error) < 400


async def test_retry_after_is_captured() -> None:
    outcome = await deliver(lambda request: httpx.Response(429, headers={"Retry-After": "120"}))
    assert (outcome.status, outcome.retry_after, outcome.error) == (429, "120", "HTTP 429")


async def test_connect_error_gives_no_status_and_does_not_raise() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("Connection refused", request=request)

    outcome = await deliver(refuse)
    assert outcome.status is None
    assert outcome.error == "ConnectError: Connection refused"


async def test_a_blocked_address_is_a_failed_delivery() -> None:
    async def private(host: str, port: int) -> list[str]:
        return ["10.0.0.3"]

    transport = SafeTransport(
        httpx.MockTransport(lambda request: httpx.Response(202)), resolver=private
    )
    async with httpx.AsyncClient(transport=transport) as client:
        outcome = await post_activity(client, INBOX, BODY, RecordingSigner())
    assert outcome.status is None
    assert outcome.error is not None and "not a public address" in outcome.error


async def test_a_hanging_inbox_times_out() -> None:
    never = asyncio.Event()

    async def hang(request: httpx.Request) -> httpx.Response:
        await never.wait()
        raise AssertionError("unreachable")

    async with httpx.AsyncClient(transport=httpx.MockTransport(hang)) as client:
        outcome = await post_activity(client, INBOX, BODY, RecordingSigner(), timeout=0.05)
    assert outcome.status is None
    assert outcome.error == "no answer within 0.05 s"


async def test_redirects_are_not_followed() -> None:
    outcome = await deliver(
        lambda request: httpx.Response(308, headers={"Location": "https://elsewhere.example/"})
    )
    assert outcome.status == 308


def test_dedupe_prefers_the_shared_inbox_and_keeps_order() -> None:
    recipients = [
        Recipient("https://b.example/users/1/inbox", "https://b.example/inbox"),
        Recipient("https://a.example/users/1/inbox"),
        Recipient("https://b.example/users/2/inbox", "https://b.example/inbox"),
        Recipient("https://a.example/users/2/inbox"),
        Recipient("https://a.example/users/1/inbox"),
        Recipient("https://c.example/users/1/inbox", None),
    ]
    assert dedupe_inboxes(recipients) == [
        "https://b.example/inbox",
        "https://a.example/users/1/inbox",
        "https://a.example/users/2/inbox",
        "https://c.example/users/1/inbox",
    ]


def test_dedupe_accepts_a_generator_and_skips_excluded_origins() -> None:
    recipients = (
        Recipient(f"https://{host}/inbox")
        for host in ("town.example", "b.example", "TOWN.example:443")
    )
    assert dedupe_inboxes(recipients, exclude_origins=["https://town.example"]) == [
        "https://b.example/inbox"
    ]


@pytest.mark.parametrize("status", [200, 201, 202, 204])
def test_any_2xx_is_delivered(status: int) -> None:
    assert DeliveryOutcome(status, None, None, 0.1).is_delivered
