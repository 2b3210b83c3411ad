"""The HTTP half of delivery: which inboxes to send to, and one signed POST.

Storage is the application's: it keeps one row per (activity, inbox) and implements
``DeliveryStore``; a worker claims due rows, calls ``post_activity`` and asks
``federation.retry.next_delivery_attempt`` what to do with a failure.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
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


async def _error_snippet(response: httpx.Response) -> str:
    collected = b""
    async for chunk in response.aiter_bytes():
        collected += chunk
        if len(collected) >= ERROR_SNIPPET_BYTES:
            break
    text = collected[:ERROR_SNIPPET_BYTES].decode("utf-8", errors="replace").strip()
    return f"HTTP {response.status_code}" + (f": {text}" if text else "")


async def _post(
    client: httpx.AsyncClient,
    inbox_url: str,
    body: bytes,
    headers: dict[str, str],
    io_timeout: float,
) -> tuple[int, str | None, str | None]:
    async with client.stream(
        "POST", inbox_url, content=body, headers=headers, timeout=io_timeout, follow_redirects=False
    ) as response:
        status = response.status_code
        error = None if 200 <= status < 300 else await _error_snippet(response)
        return status, response.headers.get("retry-after"), error


async def post_activity(
    client: httpx.AsyncClient,
    inbox_url: str,
    body: bytes,
    sign: Signer,
    *,
    timeout: float = 30.0,  # noqa: ASYNC109 (bounds the whole POST)
    clock: Callable[[], float] = time.monotonic,
) -> DeliveryOutcome:
    """POST exactly ``body`` (the bytes signed) to an inbox; never raises on network errors."""
    headers = {"Content-Type": AS_MEDIA_TYPE, "Accept": AS_MEDIA_TYPE}
    headers.update(sign("POST", inbox_url, body))
    started = clock()
    try:
        async with asyncio.timeout(timeout):
            status, retry_after, error = await _post(client, inbox_url, body, headers, timeout)
    except TimeoutError:
        return DeliveryOutcome(None, None, f"no answer within {timeout} s", clock() - started)
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        message = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        return DeliveryOutcome(None, None, message, clock() - started)
    return DeliveryOutcome(status, retry_after, error, clock() - started)


class PendingDelivery(Protocol):
    """A delivery row the worker holds the lease on."""

    @property
    def id(self) -> int: ...

    @property
    def inbox(self) -> str: ...

    @property
    def attempts(self) -> int:
        """Attempts made before this one."""
        ...


class DeliveryStore(Protocol):
    """The durable queue the application implements (one row per activity and inbox).

    Rows are claimed with a lease so several workers can share the queue and a crashed
    worker's rows become due again when the lease ends.
    """

    async def claim(self, batch: int, lease: timedelta) -> Sequence[PendingDelivery]:
        """Lease up to ``batch`` due rows (next attempt passed, lease expired or unset)."""
        ...

    async def mark_delivered(self, delivery_id: int, outcome: DeliveryOutcome) -> None:
        """The inbox accepted it: record the outcome and never send it again."""
        ...

    async def mark_failed(
        self, delivery_id: int, outcome: DeliveryOutcome, next_attempt_at: datetime
    ) -> None:
        """Count the attempt, record the outcome, free the lease, retry at ``next_attempt_at``."""
        ...

    async def mark_given_up(self, delivery_id: int, outcome: DeliveryOutcome, reason: str) -> None:
        """Count the attempt, record the outcome and ``reason``, and stop trying."""
        ...
