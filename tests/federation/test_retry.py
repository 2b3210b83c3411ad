from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from federation.retry import (
    HOST_UNAVAILABLE_AFTER,
    MAX_RETRIES,
    MAX_RETRY_AFTER,
    GiveUp,
    backoff_delay,
    host_is_unavailable,
    is_final_status,
    next_delivery_attempt,
    parse_retry_after,
)

NOW = datetime(2025, 5, 3, 12, 0, tzinfo=UTC)


def rand() -> random.Random:
    return random.Random(1234)


def wait_after(
    attempts: int, status: int | None = 500, retry_after: str | None = None
) -> timedelta:
    decision = next_delivery_attempt(attempts, status, retry_after, NOW, rand())
    assert isinstance(decision, datetime), decision
    return decision - NOW


@pytest.mark.parametrize("status", [400, 403, 404, 405, 410, 413, 422, 501])
def test_final_statuses_give_up_at_once(status: int) -> None:
    decision = next_delivery_attempt(1, status, None, NOW, rand())
    assert isinstance(decision, GiveUp)
    assert str(status) in decision.reason


@pytest.mark.parametrize("status", [None, 401, 408, 429, 500, 502, 503, 504, 520, 302])
def test_transient_failures_are_retried(status: int | None) -> None:
    assert wait_after(1, status) > timedelta(0)


@pytest.mark.parametrize(
    ("status", "expected"), [(404, True), (501, True), (401, False), (429, False), (503, False)]
)
def test_is_final_status(status: int, expected: bool) -> None:
    assert is_final_status(status) is expected


@pytest.mark.parametrize("retry", range(MAX_RETRIES))
def test_backoff_follows_the_sidekiq_schedule_with_jitter(retry: int) -> None:
    base = retry**4 + 15
    for seed in range(20):
        seconds = backoff_delay(retry, random.Random(seed)).total_seconds()
        assert base <= seconds <= base + 9 * (retry + 1) + 0.5 * retry**4


def test_backoff_grows() -> None:
    delays = [backoff_delay(retry, rand()) for retry in range(MAX_RETRIES)]
    assert delays == sorted(delays)


def test_the_whole_schedule_spans_about_two_days() -> None:
    shortest = sum((retry**4 + 15 for retry in range(MAX_RETRIES)), 0)
    assert timedelta(days=2) < timedelta(seconds=shortest) < timedelta(days=2.2)
    total = sum((wait_after(attempts) for attempts in range(1, MAX_RETRIES + 1)), timedelta(0))
    assert timedelta(days=2) < total < timedelta(days=3.2)


def test_gives_up_after_the_last_retry() -> None:
    assert isinstance(next_delivery_attempt(MAX_RETRIES, None, None, NOW, rand()), datetime)
    decision = next_delivery_attempt(MAX_RETRIES + 1, None, None, NOW, rand())
    assert isinstance(decision, GiveUp)
    assert "17 attempts" in decision.reason


def test_same_seed_same_answer() -> None:
    first = next_delivery_attempt(5, 503, None, NOW, random.Random(7))
    assert first == next_delivery_attempt(5, 503, None, NOW, random.Random(7))


def test_retry_after_seconds_postpones_the_next_try() -> None:
    assert wait_after(1, 429, "3600") == timedelta(hours=1)


def test_retry_after_http_date_postpones_the_next_try() -> None:
    assert wait_after(1, 503, "Sat, 03 May 2025 14:00:00 GMT") == timedelta(hours=2)


def test_retry_after_never_brings_the_next_try_forward() -> None:
    assert wait_after(8, 429, "1") == wait_after(8, 429, None)


@pytest.mark.parametrize("value", ["999999999999", "Mon, 01 Jan 2035 00:00:00 GMT"])
def test_retry_after_is_clamped(value: str) -> None:
    assert wait_after(1, 429, value) == MAX_RETRY_AFTER


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("120", timedelta(minutes=2)),
        (" 120 ", timedelta(minutes=2)),
        ("Sat, 03 May 2025 11:00:00 GMT", timedelta(0)),  # in the past
        ("soon", None),
        ("-5", None),
        ("1.5", None),
        ("٣", None),  # a non-ASCII digit
        ("2025-05-03T13:00:00", None),
    ],
)
def test_parse_retry_after(value: str | None, expected: timedelta | None) -> None:
    assert parse_retry_after(value, NOW) == expected


def test_success_and_zero_attempts_are_programming_errors() -> None:
    with pytest.raises(ValueError, match="success"):
        next_delivery_attempt(1, 202, None, NOW, rand())
    with pytest.raises(ValueError, match="at least one"):
        next_delivery_attempt(0, 500, None, NOW, rand())


@pytest.mark.parametrize(
    ("failing_for", "expected"),
    [
        (None, False),
        (timedelta(0), False),
        (timedelta(days=3), False),
        (HOST_UNAVAILABLE_AFTER - timedelta(seconds=1), False),
        (HOST_UNAVAILABLE_AFTER, True),
        (timedelta(days=30), True),
    ],
)
def test_host_is_unavailable(failing_for: timedelta | None, expected: bool) -> None:
    failing_since = None if failing_for is None else NOW - failing_for
    assert host_is_unavailable(failing_since, NOW) is expected


def test_a_host_is_unavailable_only_after_deliveries_gave_up() -> None:
    assert timedelta(days=3) < HOST_UNAVAILABLE_AFTER
