"""Inbox pacing: when the worker falls behind, inbox POSTs wait before their 202.

In a burst (a group shared by a popular account: a thousand Follows from servers never
seen) taking activities in as fast as they come leaves the worker behind, and each
follower's Accept goes out seconds after their Follow, later the bigger the burst. So the
worker says how far behind it is each time it claims a batch: how long the newest new
activity of a full batch has waited. While that is over :data:`LAG_TARGET_SECONDS`, a POST
whose activity is already committed waits — at most :data:`MAX_WAIT_SECONDS`, well inside
the 10 s Mastodon gives an answer — for the worker to catch up. Senders then send the burst
at the pace it is processed, and no activity waits much over the target. Nothing is lost
by waiting: the activity was committed first.

A lag the worker has not said again for :data:`STALE_SECONDS` (a worker stopped, or stuck
on a slow batch) holds nobody back; nor does a process with no worker of its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterable
from datetime import datetime

#: POSTs wait while the worker is further behind than this (see ``note_claimed``).
LAG_TARGET_SECONDS = 1.25
#: The longest a POST waits for the worker before it is answered anyway.
MAX_WAIT_SECONDS = 0.5
#: A lag said longer ago than this is no longer trusted.
STALE_SECONDS = 5.0


class InboxPace:
    """How far behind the worker is, and the waiting room for POSTs while it is too far."""

    def __init__(self) -> None:
        self._caught_up = asyncio.Event()
        self._caught_up.set()
        self._behind_since: float | None = None  # monotonic time the lag was last said

    def note_claimed(self, received: Iterable[datetime], now: datetime, *, full: bool) -> None:
        """The worker claimed new activities received at ``received``; ``full``: the batch
        was as large as it may be (more are waiting behind it)."""
        newest = max(received, default=None)
        lag = (now - newest).total_seconds() if full and newest is not None else 0.0
        if lag > LAG_TARGET_SECONDS:
            self._behind_since = time.monotonic()
            self._caught_up.clear()
        else:
            self._behind_since = None
            self._caught_up.set()

    @property
    def behind(self) -> bool:
        """Whether POSTs wait now: the worker said lately that it is too far behind."""
        said = self._behind_since
        return said is not None and time.monotonic() - said < STALE_SECONDS

    async def wait_for_worker(self) -> None:
        """Return when the worker is not too far behind, or after :data:`MAX_WAIT_SECONDS`."""
        if not self.behind:
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._caught_up.wait(), MAX_WAIT_SECONDS)
