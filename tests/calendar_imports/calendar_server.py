"""A calendar host for tests: serves one ICS body with an ETag and Last-Modified, answers
304 to a matching conditional GET (as Google's and Nextcloud's feeds do), and can be told
to fail; it records every request's headers."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

STAMP = "%a, %d %b %Y %H:%M:%S GMT"


class CalendarHost:
    """``GET /<anything>.ics``: the current body (``text/calendar``), or ``fail_with``."""

    def __init__(self, body: str = "") -> None:
        self.body = body
        self.content_type = "text/calendar; charset=utf-8"
        self.fail_with: int | None = None
        self.requests: list[dict[str, str]] = []
        self.app = Starlette(routes=[Route("/{name:path}", self._serve)])

    @property
    def etag(self) -> str:
        return '"' + hashlib.sha256(self.body.encode()).hexdigest()[:16] + '"'

    async def _serve(self, request: Request) -> Response:
        self.requests.append(dict(request.headers))
        if self.fail_with is not None:
            return Response("Service unavailable", status_code=self.fail_with)
        modified = (datetime.now(UTC) - timedelta(hours=1)).strftime(STAMP)
        headers = {"ETag": self.etag, "Last-Modified": modified}
        if request.headers.get("if-none-match") == self.etag:
            return Response(status_code=304, headers=headers)
        return Response(self.body.encode(), media_type=self.content_type, headers=headers)


def vevent(uid: str, start: datetime, title: str, *extra: str, minutes: int = 120) -> str:
    """A VEVENT in Europe/Paris wall-clock time (test data, read back by icalendar)."""
    end = start + timedelta(minutes=minutes)
    lines = [
        "BEGIN:VEVENT",
        f"UID:{uid}",
        "DTSTAMP:20261201T000000Z",
        f"DTSTART;TZID=Europe/Paris:{start:%Y%m%dT%H%M%S}",
        f"DTEND;TZID=Europe/Paris:{end:%Y%m%dT%H%M%S}",
        f"SUMMARY:{title}",
        *extra,
        "END:VEVENT",
    ]
    return "\r\n".join(lines)


def calendar(*events: str, name: str = "Club calendar") -> str:
    """A VCALENDAR around ``events``."""
    head = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Test//Calendar host//EN"]
    head.append(f"X-WR-CALNAME:{name}")
    return "\r\n".join([*head, *events, "END:VCALENDAR", ""])
