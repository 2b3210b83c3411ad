"""Request pieces shared by both signature schemes: targets, header maps, dates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import httpx
import pytest
from starlette.datastructures import Headers as StarletteHeaders

from federation.http_message import (
    TargetError,
    format_http_date,
    has_body,
    lower_headers,
    parse_http_date,
    parse_target,
    utc_now,
)


def test_target_matches_what_httpx_sends() -> None:
    target = parse_target("https://Town.Example:443/groups/club/inbox?page=2&x=%20")
    assert target.uri == "https://town.example/groups/club/inbox?page=2&x=%20"
    assert target.authority == httpx.Request("GET", target.uri).headers["host"]
    assert (target.path, target.query) == ("/groups/club/inbox", "page=2&x=%20")
    assert target.path_and_query == "/groups/club/inbox?page=2&x=%20"


@pytest.mark.parametrize(
    ("url", "authority", "path"),
    [
        ("http://b.test:8080", "b.test:8080", "/"),
        ("https://[::1]:8443/a", "[::1]:8443", "/a"),
        ("https://bücher.example/p", "xn--bcher-kva.example", "/p"),
    ],
)
def test_target_authority_and_path(url: str, authority: str, path: str) -> None:
    target = parse_target(url)
    assert (target.authority, target.path, target.query) == (authority, path, "")


@pytest.mark.parametrize(
    "url", ["/inbox", "", "https://a.test:abc/", "http://exa\x00mple/", "mailto:x@y.test"]
)
def test_unusable_urls_raise_target_error(url: str) -> None:
    with pytest.raises(TargetError):
        parse_target(url)


def test_lower_headers_joins_repeated_fields_from_any_mapping() -> None:
    raw = [(b"Accept", b"a/b"), (b"accept", b"c/d"), (b"Host", b" a.test ")]
    expected = {"accept": "a/b, c/d", "host": "a.test"}
    assert lower_headers(StarletteHeaders(raw=raw)) == expected
    assert lower_headers(httpx.Headers([(k.decode(), v.decode()) for k, v in raw])) == expected
    assert lower_headers({"HOST": "a.test"}) == {"host": "a.test"}


def test_http_dates_round_trip_in_utc() -> None:
    moment = datetime(2014, 1, 5, 21, 31, 40, tzinfo=UTC)
    assert format_http_date(moment) == "Sun, 05 Jan 2014 21:31:40 GMT"
    paris = moment.astimezone(timezone(timedelta(hours=1)))
    assert format_http_date(paris) == "Sun, 05 Jan 2014 21:31:40 GMT"
    assert format_http_date(moment.replace(tzinfo=None)) == "Sun, 05 Jan 2014 21:31:40 GMT"
    assert parse_http_date("Sun, 05 Jan 2014 21:31:40 GMT") == moment
    assert parse_http_date("Sun, 05 Jan 2014 22:31:40 +0100") == moment


@pytest.mark.parametrize("value", ["", "yesterday", "Sun, 32 Jan 2014 21:31:40 GMT", "1388957500"])
def test_bad_http_dates_parse_to_none(value: str) -> None:
    assert parse_http_date(value) is None


def test_utc_now_is_aware() -> None:
    assert utc_now().tzinfo is not None
    assert utc_now(datetime(2020, 1, 1)) == datetime(2020, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("method", "body", "expected"),
    [("POST", b"", True), ("POST", None, False), ("GET", b"", False), ("GET", b"x", True)],
)
def test_has_body(method: str, body: bytes | None, expected: bool) -> None:
    assert has_body(method, body) is expected
