"""One way to read ids, pages, whole numbers and dates from a URL, a form or a JSON body.

Every reader has limits: ASCII digits only (``str.isdigit`` accepts ``²``, which ``int``
refuses), at most 18 of them (Python refuses past 4,300 and the database past 2**31-1 for a
row id), and dates between 1900 and 2999, so that adding a day, a week or a series never
leaves the years ``datetime`` can hold. Readers return None for a value they refuse; the
caller says which 4xx it is."""

from __future__ import annotations

import functools
import json
import re
from datetime import date, datetime, time
from importlib import resources
from typing import Any

#: The largest primary key a row can have: ids are INTEGER columns, 32-bit signed on
#: PostgreSQL (SQLite would take more, but the same URL must mean the same on both).
MAX_ROW_ID = 2**31 - 1
MAX_PAGE = 10_000
FIRST_YEAR = 1900
LAST_YEAR = 2999
FIRST_DATE = date(FIRST_YEAR, 1, 1)
LAST_DATE = date(LAST_YEAR, 12, 31)
#: JSON bodies: nesting deeper than this is refused before parsing (no RecursionError).
MAX_JSON_DEPTH = 32

_WHOLE = re.compile(r"-?[0-9]{1,18}")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def whole_number(raw: object, low: int, high: int) -> int | None:
    """``raw`` (a str of ASCII digits, or an int from JSON) if it lies in [low, high]."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        value = raw
    elif isinstance(raw, str) and _WHOLE.fullmatch(raw.strip()):
        value = int(raw.strip())
    else:
        return None
    return value if low <= value <= high else None


def row_id(raw: object) -> int | None:
    """A row id from a URL, a form or JSON: 1 to 2**31-1, else None."""
    return whole_number(raw, 1, MAX_ROW_ID)


def page_number(raw: object, maximum: int = MAX_PAGE) -> int:
    """A page number from a query string: 1 unless ``raw`` is a page in range."""
    return whole_number(raw, 1, maximum) or 1


def in_date_range(day: date) -> bool:
    """Whether ``day`` lies in the years Hearth handles (1900-2999)."""
    return FIRST_DATE <= day <= LAST_DATE


def calendar_date(raw: object) -> date | None:
    """A YYYY-MM-DD date in range, else None."""
    if not isinstance(raw, str) or not _DATE.fullmatch(raw.strip()):
        return None
    try:
        day = date.fromisoformat(raw.strip())
    except ValueError:
        return None
    return day if in_date_range(day) else None


def clock_time(raw: object) -> time | None:
    """An HH:MM (or HH:MM:SS) time of day, else None."""
    if not isinstance(raw, str) or not re.fullmatch(r"[0-9]{2}:[0-9]{2}(:[0-9]{2})?", raw):
        return None
    try:
        return time.fromisoformat(raw)
    except ValueError:
        return None


def local_datetime(raw: object) -> datetime | None:
    """A date and time without a zone (YYYY-MM-DDTHH:MM) in range, else None."""
    if not isinstance(raw, str) or len(raw) > 32 or not raw[:1].isascii():
        return None
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        return None
    return moment if in_date_range(moment.date()) else None


@functools.cache
def iana_zone_names() -> frozenset[str]:
    """The IANA time zone names (tzdata's list): not ``localtime``, ``posixrules`` or
    other files that happen to lie in the system's zoneinfo folder."""
    names = resources.files("tzdata").joinpath("zones").read_text().split()
    return frozenset(name for name in names if name != "Factory")


def is_iana_zone(raw: object) -> bool:
    """Whether ``raw`` names an IANA time zone (``Europe/Paris``, ``UTC``)."""
    return isinstance(raw, str) and raw in iana_zone_names()


def json_depth_ok(body: bytes | str, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether no array or object in ``body`` nests deeper than ``limit`` (strings skipped)."""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    depth = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > limit:
                return False
        elif char in "]}":
            depth -= 1
    return True


def _json_int(text: str) -> int:
    if len(text.lstrip("-")) > 18:
        raise ValueError("a JSON integer with more than 18 digits")
    return int(text)


def parse_json(body: bytes | str) -> Any:
    """``json.loads`` with limits: ValueError for bad JSON, deep nesting or huge integers."""
    if not json_depth_ok(body):
        raise ValueError(f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
    try:
        return json.loads(body, parse_int=_json_int)
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None
