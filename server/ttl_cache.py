"""The one kind of in-memory cache the app keeps: bounded, its entries expiring after a time.

Each process remembers a few things for a short while (keys it verified with, actors it
just stored, inboxes found valid, failed key fetches, the senders of queued activities);
``cachetools.TTLCache`` forgets an entry ``seconds`` after it was set and, when full, the
least recently used one, so no cache grows without bound."""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable
from typing import TypeVar

from cachetools import TTLCache

#: How many entries a cache keeps at most, unless it says otherwise.
MAX_ENTRIES = 10_000

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


def ttl_cache(
    seconds: float,
    *,
    max_entries: int = MAX_ENTRIES,
    clock: Callable[[], float] = time.monotonic,
) -> TTLCache[K, V]:
    """A cache whose entries live ``seconds`` (by ``clock``), at most ``max_entries`` of them."""
    return TTLCache(maxsize=max_entries, ttl=seconds, timer=clock)
