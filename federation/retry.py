"""When to try a failed delivery again: a pure policy, as Fedify's ``retry.ts``.

The schedule is Mastodon's ``ActivityPub::DeliveryWorker``: Sidekiq's
``count**4 + 15`` seconds after the ``count``-th failure, plus Sidekiq's jitter
``rand(10) * (count + 1)`` and Mastodon's own ``rand(0.5 * count**4)``, for 16 retries —
about two days (2.1 without jitter, up to about 3 with it) before giving up.

Like Mastodon's ``response_error_unsalvageable?``, a 4xx answer other than 401, 408 and
429, or 501, is final; network errors (no status), other 5xx and odd statuses are
retried. ``Retry-After`` (seconds or an HTTP date) postpones the next try, never brings
it forward, and is clamped to ``MAX_RETRY_AFTER``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime

#: Retries after the first attempt (Mastodon: ``sidekiq_options retry: 16``).
MAX_RETRIES = 16
#: The longest wait a ``Retry-After`` header can impose.
MAX_RETRY_AFTER = timedelta(days=1)
#: A host failing continuously this long counts as unavailable and is skipped until it
#: speaks to us again (Mastodon's ``DeliveryFailureTracker``: failures on 7 days).
HOST_UNAVAILABLE_AFTER = timedelta(days=7)
#: Client errors that may succeed later: bad signature (key rotation), timeout, rate limit.
RETRYABLE_CLIENT_ERRORS = frozenset({401, 408, 429})


@dataclass(frozen=True)
class GiveUp:
    """Do not try this delivery again."""

    reason: str


def is_final_status(status: int) -> bool:
    """Whether an HTTP status says retrying is pointless (Mastodon's "unsalvageable")."""
    return status == 501 or (400 <= status < 500 and status not in RETRYABLE_CLIENT_ERRORS)


def backoff_delay(retry: int, rand: random.Random) -> timedelta:
    """The wait before retry number ``retry`` (0-based), with Sidekiq's and Mastodon's jitter."""
    base = retry**4 + 15
    sidekiq_jitter = rand.randrange(10) * (retry + 1)
    mastodon_jitter = rand.uniform(0, 0.5 * retry**4)
    return timedelta(seconds=base + sidekiq_jitter + mastodon_jitter)


def parse_retry_after(value: str | None, now: datetime) -> timedelta | None:
    """A ``Retry-After`` header as a wait from ``now`` (clamped to 0…``MAX_RETRY_AFTER``)."""
    if value is None:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        wait = timedelta(seconds=min(int(value), MAX_RETRY_AFTER.total_seconds()))
    else:
        try:
            moment = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if moment.tzinfo is None:
            return None  # an HTTP date is always GMT; anything else is not one
        wait = moment - now
    return min(max(wait, timedelta(0)), MAX_RETRY_AFTER)


def next_delivery_attempt(
    attempts: int, status: int | None, retry_after: str | None, now: datetime, rand: random.Random
) -> datetime | GiveUp:
    """When to try again after ``attempts`` failed attempts (the latest answered ``status``,
    ``None`` for a network error), or ``GiveUp`` with the reason."""
    if attempts < 1:
        raise ValueError("next_delivery_attempt is asked after at least one attempt")
    if status is not None and 200 <= status < 300:
        raise ValueError(f"HTTP {status} is a success, not a failure to retry")
    if status is not None and is_final_status(status):
        return GiveUp(f"HTTP {status}: the inbox refused the activity for good")
    if attempts > MAX_RETRIES:
        return GiveUp(f"still failing after {attempts} attempts")
    delay = backoff_delay(attempts - 1, rand)
    asked = parse_retry_after(retry_after, now)
    if asked is not None:
        delay = max(delay, asked)
    return now + delay


def host_is_unavailable(failing_since: datetime | None, now: datetime) -> bool:
    """Whether a host that has failed without a success since ``failing_since`` is unavailable."""
    return failing_since is not None and now - failing_since >= HOST_UNAVAILABLE_AFTER
