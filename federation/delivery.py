"""The HTTP half of delivery: which inboxes to send to, and one signed POST.

Storage is the application's: it keeps one row per (activity, inbox); its worker claims due
rows, calls ``post_activity`` and asks ``federation.retry.next_delivery_attempt`` what to do
with a failure.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Protocol

import httpx

from federation.addresses import InvalidHostError, origin_of
from federation.fetch import Signer
from federation.jsonld import AS_MEDIA_TYPE

#: How much of an error response is kept for diagnostics.
ERROR_SNIPPET_BYTES = 300


@dataclass(frozen=True)
class Recipient:
    """Where an actor receives activities."""

    inbox: str
    shared_inbox: str | None = None


@dataclass(frozen=True)
class DeliveryOutcome:
    """What one POST to an inbox did. ``status`` is None when no response came back."""

    status: int | None
    retry_after: str | None
    error: str | None
    elapsed: float

    @property
    def is_delivered(self) -> bool:
        """Whether the inbox accepted the activity (any 2xx)."""
        return self.status is not None and 200 <= self.status < 300


def _origin(url: str) -> str | None:
    try:
        return origin_of(url)
    except InvalidHostError:
        return None


def dedupe_inboxes(
    recipients: Iterable[Recipient], *, exclude_origins: Iterable[str] = ()
) -> list[str]:
    """One inbox per recipient server: its shared inbox where it has one, else each actor's
    inbox; first-seen order; inboxes on ``exclude_origins`` (e.g. our own) are skipped."""
    excluded = {_origin(origin) for origin in exclude_origins}
    inboxes: dict[str, None] = {}
    for recipient in recipients:
        inbox = recipient.shared_inbox or recipient.inbox
        if inbox and _origin(inbox) not in excluded:
            inboxes.setdefault(inbox)
    return list(inboxes)


def error_snippet(status: int, head: bytes) -> str:
    """How a refusal is recorded: the status and the start of the answer's body."""
    text = head[:ERROR_SNIPPET_BYTES].decode("utf-8", errors="replace").strip()
    return f"HTTP {status}" + (f": {text}" if text else "")


class Poster(Protocol):
    """Sends one inbox POST: (status, Retry-After, error snippet of a non-2xx answer), or
    raises httpx's exceptions when no answer came (``federation.aiohttp_poster``)."""

    async def post(
        self,
        url: str,
        body: bytes,
        headers: Mapping[str, str],
        timeout: float,  # noqa: ASYNC109 (a per-request setting, as in httpx)
    ) -> tuple[int, str | None, str | None]: ...


async def _post_with_httpx(
    client: httpx.AsyncClient,
    url: str,
    body: bytes,
    headers: Mapping[str, str],
    timeout: float,  # noqa: ASYNC109 (a per-request setting, as in httpx)
) -> tuple[int, str | None, str | None]:
    """``Poster.post`` through an httpx client (tests route it to in-process apps)."""
    async with client.stream(
        "POST", url, content=body, headers=headers, timeout=timeout, follow_redirects=False
    ) as response:
        status = response.status_code
        error = None
        if not 200 <= status < 300:
            error = error_snippet(status, await _first_bytes(response))
        return status, response.headers.get("retry-after"), error


async def _first_bytes(response: httpx.Response) -> bytes:
    collected = b""
    async for chunk in response.aiter_bytes():
        collected += chunk
        if len(collected) >= ERROR_SNIPPET_BYTES:
            break
    return collected


async def post_activity(
    client: httpx.AsyncClient | Poster,
    inbox_url: str,
    body: bytes,
    sign: Signer,
    *,
    timeout: float = 30.0,  # noqa: ASYNC109 (bounds the whole POST)
    clock: Callable[[], float] = time.monotonic,
) -> DeliveryOutcome:
    """POST exactly ``body`` (the bytes signed) to an inbox; never raises on network errors."""
    headers = {"Content-Type": AS_MEDIA_TYPE, "Accept": AS_MEDIA_TYPE}
    headers.update(await asyncio.to_thread(sign, "POST", inbox_url, body))
    started = clock()
    try:
        async with asyncio.timeout(timeout):
            if isinstance(client, httpx.AsyncClient):
                answer = await _post_with_httpx(client, inbox_url, body, headers, timeout)
            else:
                answer = await client.post(inbox_url, body, headers, timeout)
            status, retry_after, error = answer
    except TimeoutError:
        return DeliveryOutcome(None, None, f"no answer within {timeout} s", clock() - started)
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        message = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        return DeliveryOutcome(None, None, message, clock() - started)
    return DeliveryOutcome(status, retry_after, error, clock() - started)
