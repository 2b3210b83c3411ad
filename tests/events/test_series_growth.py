"""Open-ended series keep getting occurrences as time passes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import col, select

from server.activitypub.runtime import runtime_of
from server.db import session_factory, transaction
from server.models import Event
from server.services.series import extend_series
from tests.events.conftest import Organizer
from tests.web import WebClient

PARIS = ZoneInfo("Europe/Paris")


async def _occurrences(web: WebClient) -> list[Event]:
    async with transaction(session_factory(runtime_of(web.app).engine)) as session:
        rows = await session.exec(select(Event).order_by(col(Event.starts_at)))
        return list(rows.all())


async def test_an_open_ended_weekly_series_grows_a_year_ahead(
    organizer: Organizer, web: WebClient
) -> None:
    response = await organizer.create_event(
        start_date="2030-01-08",
        start_time="19:00",
        end_time="21:00",
        repeat="weekly",
        weekday_TU="on",
    )
    assert response.status_code == 303
    before = await _occurrences(web)
    assert len(before) == 52  # at most a year's worth at creation
    later = before[-1].starts_at - timedelta(days=200)
    async with transaction(session_factory(runtime_of(web.app).engine)) as session:
        added = await extend_series(session, now=later)
    after = await _occurrences(web)
    assert added > 0 and len(after) == len(before) + added
    assert after[-1].starts_at <= later + timedelta(days=366)
    assert {e.starts_at.astimezone(PARIS).strftime("%a %H:%M") for e in after} == {"Tue 19:00"}
    async with transaction(session_factory(runtime_of(web.app).engine)) as session:
        assert await extend_series(session, now=later) == 0  # nothing twice


async def test_a_counted_series_never_grows(organizer: Organizer, web: WebClient) -> None:
    await organizer.create_event(
        start_date="2030-01-08", repeat="weekly", weekday_TU="on", count="3"
    )
    async with transaction(session_factory(runtime_of(web.app).engine)) as session:
        assert await extend_series(session, now=datetime(2030, 6, 1, tzinfo=UTC)) == 0
    assert len(await _occurrences(web)) == 3
