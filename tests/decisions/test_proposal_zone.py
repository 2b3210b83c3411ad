"""A proposal's closing time is shown in the zone it was entered in, not in UTC."""

from __future__ import annotations

import html
import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from server.config import Settings
from tests.conftest import SettingsMaker
from tests.decisions.conftest import Club


@pytest.fixture
def settings(settings_for: SettingsMaker) -> Settings:
    return settings_for(instance={"timezone": "America/Chicago"})


async def test_closing_time_is_shown_as_entered(club: Club) -> None:
    day = date.today() + timedelta(days=20)
    closes = datetime(day.year, day.month, day.day, 18, 30, tzinfo=ZoneInfo("America/Chicago"))
    in_utc = closes.astimezone(UTC).strftime("%H:%M")  # 23:30 or 00:30: Chicago is UTC-5/-6
    proposal_id = await club.open_proposal(closes_at=f"{day.isoformat()}T18:30")
    form = html.unescape((await club.web.get("/groups/club/proposals/new")).text)
    assert "Voting closes (America/Chicago)" in form
    for path in (f"/groups/club/proposals/{proposal_id}", "/groups/club/proposals"):
        page = html.unescape((await club.web.get(path)).text)
        page = re.sub(r'datetime="[^"]*"', "", page)  # machine-readable UTC stays there
        assert f"{day.day} {day:%B %Y} 18:30 (America/Chicago)" in page, path
        assert in_utc not in page and "UTC" not in page, path
