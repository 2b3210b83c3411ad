"""Calendar apps polling at once: one render per version of the feed, shared by all."""

from __future__ import annotations

import asyncio
import threading

import pytest

from server.web import feeds
from tests.events.conftest import Organizer
from tests.web import WebClient


async def test_concurrent_first_requests_share_one_render(
    organizer: Organizer, web: WebClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    await organizer.create_event_id()
    renders = 0
    release = threading.Event()
    real_build = feeds.build_calendar

    def slow_build(*args: object, **kwargs: object) -> bytes:
        nonlocal renders
        renders += 1
        release.wait(timeout=5)  # every request arrives while the first render runs
        return real_build(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(feeds, "build_calendar", slow_build)
    requests = [asyncio.create_task(web.get("/groups/club/events.ics")) for _ in range(6)]
    await asyncio.sleep(0.2)
    # The event loop is free while the calendar renders in a thread: other pages answer.
    assert (await web.get("/groups/club")).status_code == 200
    release.set()
    responses = await asyncio.gather(*requests)
    assert {response.status_code for response in responses} == {200}
    assert len({response.content for response in responses}) == 1
    assert renders == 1
