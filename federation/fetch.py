"""Fetching ActivityStreams objects from other servers, with the checks peers rely on.

Redirects are followed by hand (at most ``MAX_REDIRECTS``), each hop's URL checked and
signed anew, as Fedify's document loader does; the body is streamed and abandoned past
``max_bytes``; the media type must be ActivityStreams; and the object's ``id`` must be on
the origin it was finally fetched from, so one server cannot speak for another. Which
addresses may be contacted is the client's transport's business (``SafeTransport``).

Exceptions (all carry the URL in their message)::

    FetchError
    ├── FetchURLError         the URL or a redirect target is not an acceptable http(s) URL
    ├── FetchTransportError   no response: network failure, timeout, refused address
    ├── TooManyRedirects
    ├── FetchStatusError      a final status outside 2xx (``.status``)
    ├── FetchTooLarge         the body is bigger than ``max_bytes``
    ├── BadContentType        not an ActivityStreams (or, for JRD, JSON) media type
    ├── InvalidJSON           not JSON, or not a JSON object
    └── OriginMismatch        the object's ``id`` is missing or on another origin
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin

import httpx

from federation.addresses import InvalidHostError, parse_http_url, same_origin
from federation.jsonld import AS_CONTEXT, LD_MEDIA_TYPE, JsonObject

Signer = Callable[[str, str, bytes], Mapping[str, str]]

ACCEPT = f"application/activity+json, {LD_MEDIA_TYPE}"
MAX_REDIRECTS = 3
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})


class FetchError(Exception):
    """A remote document could not be fetched or is not acceptable."""


class FetchURLError(FetchError):
    """The URL, or a redirect's target, is not an acceptable http(s) URL."""


class FetchTransportError(FetchError):
    """No response was received (network failure, timeout, refused address)."""


class TooManyRedirects(FetchError):
    """More redirects than allowed."""


class FetchStatusError(FetchError):
    """The server answered with a status outside 2xx."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class FetchTooLarge(FetchError):
    """The body is bigger than allowed."""


class BadContentType(FetchError):
    """The response's media type is not one we accept."""


class InvalidJSON(FetchError):
    """The body is not JSON, or not a JSON object."""


class OriginMismatch(FetchError):
    """The object's id is missing or not on the origin it was fetched from."""


@dataclass(frozen=True)
class FetchedBody:
    """A response body and the URL it was finally fetched from."""

    url: str
    content_type: str
    body: bytes


@dataclass(frozen=True)
class FetchedDocument:
    """A JSON object and the URL it was finally fetched from."""

    url: str
    content_type: str
    data: JsonObject


def parse_media_type(content_type: str) -> tuple[str, dict[str, str]]:
    """``'application/ld+json; profile="x"'`` → ``('application/ld+json', {'profile': 'x'})``."""
    base, *params = content_type.split(";")
    parsed: dict[str, str] = {}
    for param in params:
        name, _, value = param.partition("=")
        parsed[name.strip().lower()] = value.strip().strip('"')
    return base.strip().lower(), parsed


def is_activitystreams_type(content_type: str) -> bool:
    """``application/activity+json``, or ``application/ld+json`` with the AS profile."""
    base, params = parse_media_type(content_type)
    if base == "application/activity+json":
        return True
    return base == "application/ld+json" and AS_CONTEXT in params.get("profile", "").split()


def is_json_type(content_type: str) -> bool:
    """Any JSON media type: ``application/json`` or ``*/*+json`` (e.g. ``jrd+json``)."""
    base, _ = parse_media_type(content_type)
    return base == "application/json" or (
        base.startswith("application/") and base.endswith("+json")
    )


def check_url(url: str) -> None:
    """Raise FetchURLError unless ``url`` is an acceptable http(s) URL."""
    try:
        parse_http_url(url)
    except InvalidHostError as exc:
        raise FetchURLError(str(exc)) from None


def redirect_target(response: httpx.Response, url: str) -> str | None:
    """The absolute URL a redirect points to, or None if ``response`` is not a redirect."""
    if response.status_code not in REDIRECT_STATUSES:
        return None
    location: str = response.headers.get("location", "")
    if not location:
        raise FetchStatusError(f"{url} redirected without a Location", response.status_code)
    return urljoin(url, location)


async def read_limited(response: httpx.Response, url: str, max_bytes: int) -> bytes:
    """The body, or FetchTooLarge as soon as it passes ``max_bytes``."""
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise FetchTooLarge(f"{url} is {declared} bytes, more than {max_bytes}")
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > max_bytes:
            raise FetchTooLarge(f"{url} sent more than {max_bytes} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _parse_object(body: bytes, url: str) -> JsonObject:
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        raise InvalidJSON(f"{url} did not return valid JSON") from None
    if not isinstance(data, dict):
        raise InvalidJSON(f"{url} returned JSON that is not an object")
    return data


async def _read_body(
    response: httpx.Response, url: str, accepts: Callable[[str], bool], max_bytes: int
) -> tuple[str, bytes]:
    status = response.status_code
    if not 200 <= status < 300:
        raise FetchStatusError(f"{url} answered HTTP {status}", status)
    content_type = response.headers.get("content-type", "")
    if not accepts(content_type):
        raise BadContentType(f"{url} is {content_type or 'untyped'}, not an accepted media type")
    return content_type, await read_limited(response, url, max_bytes)


async def _follow(
    client: httpx.AsyncClient,
    url: str,
    *,
    accept: str,
    accepts: Callable[[str], bool],
    sign: Signer | None,
    max_bytes: int,
    io_timeout: float,
    max_redirects: int,
) -> FetchedBody:
    current = url
    for _ in range(max_redirects + 1):
        check_url(current)
        headers = {"Accept": accept}
        if sign is not None:
            headers.update(sign("GET", current, b""))
        try:
            async with client.stream(
                "GET", current, headers=headers, timeout=io_timeout, follow_redirects=False
            ) as response:
                target = redirect_target(response, current)
                if target is None:
                    content_type, body = await _read_body(response, current, accepts, max_bytes)
                    return FetchedBody(current, content_type, body)
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            raise FetchTransportError(f"could not fetch {current}: {exc}") from exc
        current = target
    raise TooManyRedirects(f"{url} redirected more than {max_redirects} times")


async def fetch_json(client: httpx.AsyncClient, url: str, **options: Any) -> FetchedDocument:
    """GET a JSON object: :func:`fetch_bytes` with the same ``options``, then parsed."""
    fetched = await fetch_bytes(client, url, **options)
    return FetchedDocument(
        fetched.url, fetched.content_type, _parse_object(fetched.body, fetched.url)
    )


async def fetch_bytes(
    client: httpx.AsyncClient,
    url: str,
    *,
    accept: str,
    accepts: Callable[[str], bool],
    sign: Signer | None = None,
    max_bytes: int = 1_000_000,
    timeout: float = 10.0,  # noqa: ASYNC109 (bounds the whole fetch, redirects included)
    max_redirects: int = MAX_REDIRECTS,
) -> FetchedBody:
    """GET a body of an accepted media type and at most ``max_bytes`` (media files, say),
    following redirects by hand with the same checks; ``timeout`` bounds the whole fetch."""
    try:
        async with asyncio.timeout(timeout):
            return await _follow(
                client,
                url,
                accept=accept,
                accepts=accepts,
                sign=sign,
                max_bytes=max_bytes,
                io_timeout=timeout,
                max_redirects=max_redirects,
            )
    except TimeoutError:
        raise FetchTransportError(f"fetching {url} took longer than {timeout} s") from None


async def fetch_object(
    client: httpx.AsyncClient,
    url: str,
    *,
    sign: Signer | None = None,
    max_bytes: int = 1_000_000,
    timeout: float = 10.0,  # noqa: ASYNC109 (bounds the whole fetch, redirects included)
    accept: str = ACCEPT,
) -> JsonObject:
    """GET an ActivityStreams object (signed per hop if ``sign``), with every check above."""
    document = await fetch_json(
        client,
        url,
        accept=accept,
        accepts=is_activitystreams_type,
        sign=sign,
        max_bytes=max_bytes,
        timeout=timeout,
    )
    object_id = document.data.get("id")
    if not isinstance(object_id, str):
        raise OriginMismatch(f"the object at {document.url} has no id")
    if not same_origin(object_id, document.url):
        raise OriginMismatch(f"{document.url} served an object with the id {object_id}")
    return document.data
