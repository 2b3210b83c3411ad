from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any

import httpx
import pytest

from federation.fetch import (
    ACCEPT,
    BadContentType,
    FetchError,
    FetchStatusError,
    FetchTooLarge,
    FetchTransportError,
    FetchURLError,
    InvalidJSON,
    OriginMismatch,
    TooManyRedirects,
    fetch_object,
    is_activitystreams_type,
    is_json_type,
    parse_media_type,
)
from federation.jsonld import AS_MEDIA_TYPE, LD_MEDIA_TYPE
from federation.safe_transport import BlockedAddressError, SafeTransport

Handler = Callable[[httpx.Request], httpx.Response]
ADDRESSES = {
    "town.example": "93.184.215.14",
    "other.example": "93.184.215.15",
    "evil.example": "10.0.0.7",
}


async def fake_resolver(host: str, port: int) -> list[str]:
    return [ADDRESSES[host]]


def actor(url: str) -> dict[str, Any]:
    return {"id": url, "type": "Group", "inbox": f"{url}/inbox"}


def as2(document: Any, status: int = 200, content_type: str = AS_MEDIA_TYPE) -> httpx.Response:
    return httpx.Response(
        status, content=json.dumps(document).encode(), headers={"Content-Type": content_type}
    )


def redirect(location: str, status: int = 302) -> httpx.Response:
    return httpx.Response(status, headers={"Location": location})


class Web:
    """Routes requests by their Host header (the URL carries the pinned IP) and logs them."""

    def __init__(self, pages: Mapping[str, Handler]) -> None:
        self.pages = pages
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        url = f"{request.url.scheme}://{request.headers['host']}{request.url.raw_path.decode()}"
        return self.pages[url](request)

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            transport=SafeTransport(httpx.MockTransport(self), resolver=fake_resolver)
        )


async def fetch(pages: Mapping[str, Handler], url: str, **options: Any) -> dict[str, Any]:
    async with Web(pages).client() as client:
        return await fetch_object(client, url, **options)


GROUP = "https://town.example/groups/club"


async def test_good_fetch() -> None:
    web = Web({GROUP: lambda request: as2(actor(GROUP))})
    async with web.client() as client:
        assert await fetch_object(client, GROUP) == actor(GROUP)
    assert web.requests[0].headers["accept"] == ACCEPT


async def test_ld_json_with_the_activitystreams_profile_is_accepted() -> None:
    assert await fetch(
        {GROUP: lambda request: as2(actor(GROUP), content_type=LD_MEDIA_TYPE)}, GROUP
    )


async def test_redirects_are_followed_by_hand() -> None:
    final = "https://town.example/g/club"
    pages = {
        GROUP: lambda request: redirect("/g/club", 301),
        final: lambda request: as2(actor(final)),
    }
    assert (await fetch(pages, GROUP))["id"] == final


async def test_three_redirects_are_allowed_but_not_four() -> None:
    hops = [f"https://town.example/{index}" for index in range(5)]
    pages: dict[str, Handler] = {
        hops[i]: (lambda target: lambda request: redirect(target))(hops[i + 1]) for i in range(4)
    }
    pages[hops[4]] = lambda request: as2(actor(hops[4]))
    assert (await fetch(pages, hops[1]))["id"] == hops[4]
    with pytest.raises(TooManyRedirects):
        await fetch(pages, hops[0])


async def test_redirect_into_a_private_address_is_refused() -> None:
    pages = {GROUP: lambda request: redirect("https://evil.example/admin")}
    with pytest.raises(FetchTransportError) as caught:
        await fetch(pages, GROUP)
    assert isinstance(caught.value.__cause__, BlockedAddressError)


async def test_redirect_to_a_loopback_literal_is_refused() -> None:
    pages = {GROUP: lambda request: redirect("http://127.0.0.1:6379/")}
    with pytest.raises(FetchTransportError, match="not a public address"):
        await fetch(pages, GROUP)


@pytest.mark.parametrize(
    "location", ["ftp://town.example/x", "https://user@town.example/x", "https://2130706433/"]
)
async def test_redirect_targets_are_checked(location: str) -> None:
    with pytest.raises(FetchURLError):
        await fetch({GROUP: lambda request: redirect(location)}, GROUP)


async def test_redirect_without_location_is_an_error() -> None:
    with pytest.raises(FetchStatusError) as caught:
        await fetch({GROUP: lambda request: httpx.Response(302)}, GROUP)
    assert caught.value.status == 302


async def test_signer_is_called_per_hop_with_that_hop_url() -> None:
    final = "https://town.example/g/club"
    calls: list[tuple[str, str, bytes]] = []

    def sign(method: str, url: str, body: bytes) -> dict[str, str]:
        calls.append((method, url, body))
        return {"Signature": f"signed {url}"}

    web = Web({GROUP: lambda request: redirect(final), final: lambda request: as2(actor(final))})
    async with web.client() as client:
        await fetch_object(client, GROUP, sign=sign)
    assert calls == [("GET", GROUP, b""), ("GET", final, b"")]
    assert [request.headers["signature"] for request in web.requests] == [
        f"signed {GROUP}",
        f"signed {final}",
    ]


async def test_declared_too_large_body_is_refused_before_reading() -> None:
    def big(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200,
            headers={"Content-Type": AS_MEDIA_TYPE, "Content-Length": "5000"},
            content=b"x" * 5000,
        )

    with pytest.raises(FetchTooLarge):
        await fetch({GROUP: big}, GROUP, max_bytes=1000)


async def test_streamed_body_is_abandoned_past_the_limit() -> None:
    produced: list[int] = []

    async def endless() -> AsyncIterator[bytes]:
        while True:
            produced.append(1)
            yield b"x" * 100

    def streaming(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"Content-Type": AS_MEDIA_TYPE}, content=endless())

    with pytest.raises(FetchTooLarge):
        await fetch({GROUP: streaming}, GROUP, max_bytes=1000)
    assert len(produced) <= 12


@pytest.mark.parametrize(
    "content_type",
    [
        "text/html; charset=utf-8",
        "application/json",
        "application/ld+json",
        "",
        "application/jrd+json",
    ],
)
async def test_wrong_content_type_is_refused(content_type: str) -> None:
    with pytest.raises(BadContentType):
        await fetch({GROUP: lambda request: as2(actor(GROUP), content_type=content_type)}, GROUP)


async def test_id_on_another_origin_is_refused() -> None:
    forged = actor("https://other.example/users/admin")
    with pytest.raises(OriginMismatch):
        await fetch({GROUP: lambda request: as2(forged)}, GROUP)


async def test_id_is_checked_against_the_final_url() -> None:
    moved = "https://other.example/groups/club"
    pages = {GROUP: lambda request: redirect(moved), moved: lambda request: as2(actor(GROUP))}
    with pytest.raises(OriginMismatch):
        await fetch(pages, GROUP)


async def test_missing_id_is_refused() -> None:
    with pytest.raises(OriginMismatch, match="no id"):
        await fetch({GROUP: lambda request: as2({"type": "Note"})}, GROUP)


@pytest.mark.parametrize("body", [b"<html>", b"[1, 2]", b'"text"', b"[" * 100_000])
async def test_invalid_json_is_refused(body: bytes) -> None:
    def page(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"Content-Type": AS_MEDIA_TYPE}, content=body)

    with pytest.raises(InvalidJSON):
        await fetch({GROUP: page}, GROUP, max_bytes=200_000)


@pytest.mark.parametrize("status", [401, 404, 410, 500])
async def test_error_status_is_reported(status: int) -> None:
    with pytest.raises(FetchStatusError) as caught:
        await fetch({GROUP: lambda request: as2({"error": "no"}, status=status)}, GROUP)
    assert caught.value.status == status


async def test_the_whole_fetch_is_bounded_by_the_timeout() -> None:
    never = asyncio.Event()

    async def hang(request: httpx.Request) -> httpx.Response:
        await never.wait()
        raise AssertionError("unreachable")

    transport = SafeTransport(httpx.MockTransport(hang), resolver=fake_resolver)
    async with httpx.AsyncClient(transport=transport) as client:
        with pytest.raises(FetchTransportError, match="longer than"):
            await fetch_object(client, GROUP, timeout=0.05)


async def test_bad_start_url_is_refused_without_a_request() -> None:
    web = Web({})
    async with web.client() as client:
        with pytest.raises(FetchURLError):
            await fetch_object(client, "file:///etc/passwd")
    assert web.requests == []


def test_every_error_is_a_fetch_error() -> None:
    for error in (
        BadContentType,
        FetchStatusError,
        FetchTooLarge,
        FetchTransportError,
        FetchURLError,
        InvalidJSON,
        OriginMismatch,
        TooManyRedirects,
    ):
        assert issubclass(error, FetchError)


@pytest.mark.parametrize(
    ("content_type", "expected"),
    [
        ("application/activity+json", True),
        ("Application/Activity+JSON; charset=utf-8", True),
        ('application/ld+json; profile="https://www.w3.org/ns/activitystreams"', True),
        (
            'application/ld+json;profile="http://example.org/x https://www.w3.org/ns/activitystreams"',
            True,
        ),
        ('application/ld+json; profile="https://example.org/other"', False),
        ("application/json", False),
        ("text/html", False),
    ],
)
def test_is_activitystreams_type(content_type: str, expected: bool) -> None:
    assert is_activitystreams_type(content_type) is expected


def test_is_json_type() -> None:
    assert is_json_type("application/jrd+json; charset=utf-8")
    assert is_json_type("application/json")
    assert not is_json_type("text/html")


def test_parse_media_type() -> None:
    assert parse_media_type('Application/LD+JSON; Profile="x y"') == (
        "application/ld+json",
        {"profile": "x y"},
    )
