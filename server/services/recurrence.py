"""Recurring meetups: a subset of RFC 5545 RRULE (weekly and monthly), expanded with dateutil.

Supported: ``FREQ=WEEKLY|MONTHLY``, ``INTERVAL``, ``BYDAY`` (``TU``; for monthly rules
also ``2TU`` = second Tuesday, ``-1FR`` = last Friday), ``BYMONTHDAY``, ``UNTIL`` or
``COUNT``. Occurrences are computed in wall-clock time and then placed in the zone, so a
"Tuesday 19:00" series stays at 19:00 across daylight-saving changes; an occurrence that
falls in a skipped hour moves forward by the length of the gap.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo

from dateutil.rrule import rrulestr

from server import limits
from server.errors import InvalidInput
from server.i18n import _
from server.inputs import FIRST_YEAR, LAST_YEAR, in_date_range

WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_BYDAY = re.compile(r"^(-1|[1-4])?(MO|TU|WE|TH|FR|SA|SU)$")
MAX_COUNT = limits.REPEAT_COUNT.maximum
MAX_OCCURRENCES = 52
HORIZON = timedelta(days=366)


@dataclass(frozen=True)
class Recurrence:
    """A repeat rule as people choose it in the form or the API."""

    frequency: str  # "weekly" | "monthly"
    interval: int = 1
    by_day: tuple[str, ...] = field(default_factory=tuple)
    by_month_day: int | None = None
    until: date | None = None
    count: int | None = None

    def check(self) -> None:
        """Raise InvalidInput unless the rule is within the supported subset."""
        if self.frequency not in ("weekly", "monthly"):
            raise InvalidInput(_("Repeat weekly or monthly."), field="frequency")
        if not limits.REPEAT_INTERVAL.allows(self.interval):
            raise InvalidInput(_("Repeat every 1 to 12 weeks or months."), field="interval")
        for day in self.by_day:
            match = _BYDAY.match(day)
            if not match or (match.group(1) and self.frequency != "monthly"):
                raise InvalidInput(
                    _("“%(day)s” is not a day such as TU, 2TU or -1FR.") % {"day": day},
                    field="by_day",
                )
        if self.by_month_day is not None and not (
            1 <= self.by_month_day <= 28 or self.by_month_day == -1
        ):
            raise InvalidInput(
                _("Choose a day of the month from 1 to 28, or -1 for the last."), field="by_day"
            )
        if self.until is not None and not in_date_range(self.until):
            raise InvalidInput(
                _("End the series between %(first_year)s and %(last_year)s.")
                % {"first_year": FIRST_YEAR, "last_year": LAST_YEAR},
                field="until",
            )
        if self.until and self.count:
            raise InvalidInput(
                _("End the series on a date or after a number of times, not both."), field="until"
            )
        if self.count is not None and not limits.REPEAT_COUNT.allows(self.count):
            raise InvalidInput(
                _("A series can have 1 to %(max_count)s meetups.") % {"max_count": MAX_COUNT},
                field="count",
            )

    def to_rrule(self) -> str:
        """The RFC 5545 RRULE text (without the ``RRULE:`` prefix)."""
        self.check()
        parts = [f"FREQ={self.frequency.upper()}", f"INTERVAL={self.interval}"]
        if self.by_day:
            parts.append("BYDAY=" + ",".join(self.by_day))
        if self.by_month_day is not None:
            parts.append(f"BYMONTHDAY={self.by_month_day}")
        if self.until:
            parts.append(f"UNTIL={self.until:%Y%m%d}T235959")
        if self.count:
            parts.append(f"COUNT={self.count}")
        return ";".join(parts)


def parse_rrule(text: str) -> Recurrence:
    """Read back an RRULE of the supported subset (raises InvalidInput otherwise)."""
    values = dict(part.split("=", 1) for part in text.split(";") if "=" in part)
    unknown = set(values) - {"FREQ", "INTERVAL", "BYDAY", "BYMONTHDAY", "UNTIL", "COUNT"}
    if unknown:
        raise InvalidInput(
            _("Unsupported repeat rule parts: %(choices)s.")
            % {"choices": ", ".join(sorted(unknown))},
            field="rrule",
        )
    try:
        recurrence = Recurrence(
            frequency=values.get("FREQ", "").lower(),
            interval=int(values.get("INTERVAL", "1")),
            by_day=tuple(d for d in values.get("BYDAY", "").split(",") if d),
            by_month_day=int(values["BYMONTHDAY"]) if "BYMONTHDAY" in values else None,
            until=datetime.strptime(values["UNTIL"][:8], "%Y%m%d").date()
            if "UNTIL" in values
            else None,
            count=int(values["COUNT"]) if "COUNT" in values else None,
        )
    except ValueError:
        raise InvalidInput(_("The repeat rule is malformed."), field="rrule") from None
    recurrence.check()
    return recurrence


def occurrences(
    rule: str,
    first_local: datetime,
    tz: tzinfo,
    *,
    after: datetime | None = None,
    limit: int = MAX_OCCURRENCES,
) -> list[datetime]:
    """Start times (aware UTC) of the series, from ``first_local`` (naive wall clock): at
    most ``limit``, none later than a year past the later of ``after`` (default: now) and
    the first start, and none before ``after``."""
    if first_local.tzinfo is not None:
        raise ValueError("first_local must be a naive wall-clock datetime")
    from_moment = (after or datetime.now(UTC)).astimezone(tz).replace(tzinfo=None)
    horizon = max(from_moment, first_local) + HORIZON
    starts: list[datetime] = []
    for local in rrulestr(rule, dtstart=first_local):
        if local > horizon or len(starts) >= limit:
            break
        aware = local.replace(tzinfo=tz, fold=0).astimezone(UTC)
        if after is None or aware >= after:
            starts.append(aware)
    return starts
