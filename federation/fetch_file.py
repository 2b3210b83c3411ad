"""Fetching a file that is not an ActivityStreams object (a calendar feed), politely.

The same rules as :mod:`federation.fetch`: redirects followed by hand (each hop's URL
checked), the body streamed and abandoned past ``max_bytes``, the whole fetch bounded by
``timeout``, addresses checked by the client's transport (``SafeTransport``). On top of
that, a conditional GET: the validators of the last copy (``ETag``, ``Last-Modified``) are
sent back as ``If-None-Match`` / ``If-Modified-Since`` and a ``304 Not Modified`` comes
back as ``FetchedFile.not_modified``, without a body.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import httpx

from federation.fetch import (
    MAX_REDIRECTS,
    FetchStatusError,
    FetchTransportError,
    TooManyRedirects,
    check_url,
    read_limited,
    redirect_target,
)


@dataclass(frozen=True)
class FetchedFile:
    """A response body (empty if not modified) and the validators to send next time."""

    url: str
    content_type: str
    body: bytes
    etag: str
    last_modified: str
    not_modified: bool = False


async def _get(
    client: httpx.AsyncClient,
    url: str,
    headers: dict[str, str],
    max_bytes: int,
    io_timeout: float,
) -> FetchedFile | str:
    """One hop: the file, or the URL it redirects to."""
    async with client.stream(
        "GET", url, headers=headers, timeout=io_timeout, follow_redirects=False
    ) as response:
        target = redirect_target(response, url)
        if target is not None:
            return target
        status = response.status_code
        validators = {
            "etag": response.headers.get("etag", "")[:500],
            "last_modified": response.headers.get("last-modified", "")[:100],
        }
        if status == 304:
            return FetchedFile(url, "", b"", **validators, not_modified=True)
        if not 200 <= status < 300:
            raise FetchStatusError(f"{url} answered HTTP {status}", status)
        body = await read_limited(response, url, max_bytes)
        content_type = response.headers.get("content-type", "")
        return FetchedFile(url, content_type, body, **validators)


async def fetch_file(
    client: httpx.AsyncClient,
    url: str,
    *,
    accept: str,
    etag: str = "",
    last_modified: str = "",
    max_bytes: int = 2_000_000,
    timeout: float = 15.0,  # noqa: ASYNC109 (bounds the whole fetch, redirects included)
) -> FetchedFile:
    """GET ``url`` (conditionally, given the last validators); raises a ``FetchError``."""
    headers = {"Accept": accept}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    current = url
    try:
        async with asyncio.timeout(timeout):
            for _ in range(MAX_REDIRECTS + 1):
                check_url(current)
                try:
                    result = await _get(client, current, headers, max_bytes, timeout)
                except (httpx.HTTPError, httpx.InvalidURL) as exc:
                    raise FetchTransportError(f"could not fetch {current}: {exc}") from exc
                if isinstance(result, FetchedFile):
                    return result
                current = result
    except TimeoutError:
        raise FetchTransportError(f"fetching {url} took longer than {timeout} s") from None
    raise TooManyRedirects(f"{url} redirected more than {MAX_REDIRECTS} times")
