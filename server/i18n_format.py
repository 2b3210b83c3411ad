"""Dates, times, numbers and lists written for the active language, with Babel (CLDR).

English keeps the day-month-year patterns Hearth has always shown ("Sat 3 May 2025"); the
other languages use their CLDR skeletons: "sam. 3 mai 2025, 14:00–17:00" in French,
"Sa., 3. Mai 2025, 14:00–17:00" in German. Every function takes an aware datetime already
in the zone it should be read in (a meetup's own zone).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime

from babel import Locale
from babel.dates import format_datetime, format_skeleton
from babel.lists import format_list as babel_format_list
from babel.numbers import format_decimal

from server.i18n import get_locale

#: English as Hearth has always written it (CLDR's "en" would say "Sat, May 3, 2025").
_ENGLISH_PATTERNS = {
    "yMMMEd": "EEE d MMM y",
    "MMMEd": "EEE d MMM",
    "yMMMMd": "d MMMM y",
    "yMMMd": "d MMM y",
    "MMMd": "d MMM",
    "Hm": "HH:mm",
}
#: strftime directives the templates use, as CLDR skeleton letters.
_STRFTIME_SKELETON = {
    "a": "E",
    "A": "EEEE",
    "d": "d",
    "-d": "d",
    "b": "MMM",
    "B": "MMMM",
    "Y": "y",
    "H": "H",
    "M": "m",
}
_DIRECTIVE_RE = re.compile(r"%(-?[a-zA-Z])")


def _locale() -> Locale:
    try:
        return Locale.parse(get_locale())
    except (ValueError, TypeError):
        return Locale.parse("en")


def format_skeleton_here(skeleton: str, moment: datetime) -> str:
    """``moment`` shown by a CLDR skeleton (``"yMMMEd"``, ``"Hm"``) in the active language."""
    locale = _locale()
    if locale.language == "en" and skeleton in _ENGLISH_PATTERNS:
        return format_datetime(
            moment, _ENGLISH_PATTERNS[skeleton], tzinfo=moment.tzinfo, locale=locale
        )
    return format_skeleton(skeleton, moment, tzinfo=moment.tzinfo, locale=locale)


def format_day(moment: datetime, *, with_year: bool = True, weekday: bool = True) -> str:
    """The day of ``moment``: "Sat 3 May 2025", "sam. 3 mai 2025"."""
    skeleton = ("y" if with_year else "") + ("MMMEd" if weekday else "MMMd")
    return format_skeleton_here(skeleton, moment)


def format_clock(moment: datetime) -> str:
    """The time of day: "14:00" (24-hour, as each locale writes it)."""
    return format_skeleton_here("Hm", moment)


def join_day_and_time(day: str, time: str) -> str:
    """A day and a time (or a span of times) joined as the language does: "…, 14:00"."""
    glue = str(_locale().datetime_formats["medium"])
    return glue.replace("{1}", day).replace("{0}", time)


def format_strftime_style(moment: datetime, style: str) -> str:
    """``moment`` shown like a strftime ``style`` (the templates' ``date`` filters): as is in
    English, else by the CLDR skeleton made of the same fields (text outside directives, such
    as " UTC", is kept at the end)."""
    if _locale().language == "en":
        return moment.strftime(style)
    fields = _DIRECTIVE_RE.findall(style)
    date_skeleton = "".join(
        _STRFTIME_SKELETON[f] for f in ("Y", "B", "b", "A", "a", "-d", "d") if f in fields
    )
    time_skeleton = "Hm" if "H" in fields else ""
    suffix = _DIRECTIVE_RE.sub("", style).strip(" ,:")
    parts = []
    if date_skeleton:
        parts.append(format_skeleton(date_skeleton, moment, tzinfo=moment.tzinfo, locale=_locale()))
    if time_skeleton:
        parts.append(format_clock(moment))
    text = join_day_and_time(*parts) if len(parts) == 2 else "".join(parts)
    return f"{text} {suffix}" if suffix else text


def format_number(value: float) -> str:
    """A number with the language's separators: "1,234.5", "1 234,5", "1.234,5"."""
    return format_decimal(value, locale=_locale())


def format_list(items: Iterable[str]) -> str:
    """Items joined as the language lists them: "a, b and c", "a, b et c"."""
    return babel_format_list(list(items), locale=_locale())
