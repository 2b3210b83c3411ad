"""Reading the meetup form: dates, times, zone, place, joining and the repeat rule."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from starlette.datastructures import FormData

from server.errors import InvalidInput
from server.i18n import _
from server.inputs import FIRST_YEAR, LAST_YEAR, calendar_date, clock_time, whole_number
from server.models import Event
from server.services.events import COPIED_FIELDS, EventFields, fields_of
from server.services.groups import parse_tags
from server.services.recurrence import WEEKDAYS, Recurrence
from server.web.common import form_text

FIELD_NAMES = (
    "title", "description", "start_date", "start_time", "end_date", "end_time", "timezone",
    *COPIED_FIELDS, "tags", "repeat", "interval", "monthly_week", "monthly_day", "until", "count",
)  # fmt: skip


def _date(form: FormData, key: str, *, required: bool) -> date | None:
    raw = form_text(form, key).strip()
    if not raw:
        if required:
            raise InvalidInput(_("Choose a date."), field=key)
        return None
    day = calendar_date(raw)
    if day is None:
        raise InvalidInput(
            _("Enter a date as YYYY-MM-DD, between %(first_year)s and %(last_year)s.")
            % {"first_year": FIRST_YEAR, "last_year": LAST_YEAR},
            field=key,
        )
    return day


def _time(form: FormData, key: str, default: time) -> time:
    raw = form_text(form, key).strip()
    if not raw:
        return default
    moment = clock_time(raw)
    if moment is None:
        raise InvalidInput(_("Enter a time as HH:MM."), field=key)
    return moment


def _number(form: FormData, key: str, kind: type[int] | type[float]) -> Any:
    raw = (
        form_text(form, key).strip().replace(",", ".")
        if kind is float
        else form_text(form, key).strip()
    )
    if not raw:
        return None
    if kind is int:
        number = whole_number(raw, -1_000_000, 1_000_000)
        if number is None:
            raise InvalidInput(_("Enter a whole number."), field=key)
        return number
    try:
        return float(raw)
    except ValueError:
        raise InvalidInput(_("Enter a number."), field=key) from None


def recurrence_from_form(form: FormData, start: date) -> Recurrence | None:
    """The repeat rule chosen in the form, or None for a one-off meetup."""
    repeat = form_text(form, "repeat", "none")
    if repeat == "none":
        return None
    interval = _number(form, "interval", int) or 1
    until = _date(form, "until", required=False)
    count = _number(form, "count", int)
    if repeat == "weekly":
        days = tuple(day for day in WEEKDAYS if form_text(form, f"weekday_{day}") == "on")
        by_day = days or (WEEKDAYS[start.weekday()],)
        return Recurrence("weekly", interval, by_day, None, until, count)
    if repeat == "monthly":
        week = form_text(form, "monthly_week", "date")
        if week == "date":
            return Recurrence(
                "monthly", interval, (), start.day if start.day <= 28 else -1, until, count
            )
        day = form_text(form, "monthly_day", WEEKDAYS[start.weekday()])
        return Recurrence("monthly", interval, (f"{week}{day}",), None, until, count)
    raise InvalidInput(_("Repeat never, weekly or monthly."), field="repeat")


def fields_from_form(form: FormData) -> EventFields:
    """Event fields from a submitted form (times are wall-clock times in the chosen zone)."""
    start_day = _date(form, "start_date", required=True)
    assert start_day is not None
    all_day = form_text(form, "all_day") == "on"
    start = datetime.combine(start_day, _time(form, "start_time", time(19, 0)))
    end_day = _date(form, "end_date", required=False) or start_day
    end_time = form_text(form, "end_time").strip()
    end = (
        datetime.combine(end_day, _time(form, "end_time", time(0, 0)))
        if end_time or all_day
        else None
    )
    remind = _number(form, "remind_minutes", int)
    return EventFields(
        title=form_text(form, "title"),
        description=form_text(form, "description"),
        start_local=start,
        end_local=end,
        timezone=form_text(form, "timezone").strip(),
        all_day=all_day,
        venue_name=form_text(form, "venue_name"),
        street=form_text(form, "street"),
        postal_code=form_text(form, "postal_code"),
        locality=form_text(form, "locality"),
        country=form_text(form, "country"),
        latitude=_number(form, "latitude", float),
        longitude=_number(form, "longitude", float),
        online_url=form_text(form, "online_url").strip(),
        capacity=_number(form, "capacity", int),
        join_mode=form_text(form, "join_mode", "free"),
        external_url=form_text(form, "external_url").strip(),
        status=form_text(form, "status", "confirmed"),
        visibility=form_text(form, "visibility", "public"),
        comments_enabled=form_text(form, "comments_enabled", "on") == "on",
        remind_minutes=1440 if remind is None else remind,
        tags=parse_tags(form_text(form, "tags")),
        recurrence=recurrence_from_form(form, start_day),
    )


def form_values(form: FormData) -> dict[str, str]:
    """The raw submitted values, to fill the form again after an error."""
    values = {key: form_text(form, key) for key in FIELD_NAMES}
    values.update({key: form_text(form, key) for key in form if key.startswith("weekday_")})
    values["all_day"] = form_text(form, "all_day")
    return values


def values_of(event: Event, tags: list[str]) -> dict[str, str]:
    """An existing event's values in the form's terms."""
    fields = fields_of(event, tags)
    end = fields.end_local or fields.start_local

    def text(value: object) -> str:
        return "" if value is None else str(value)

    values = {name: text(getattr(fields, name)) for name in COPIED_FIELDS}
    values.update(
        title=fields.title,
        description=fields.description,
        timezone=fields.timezone,
        start_date=fields.start_local.date().isoformat(),
        start_time=fields.start_local.strftime("%H:%M"),
        end_date=end.date().isoformat(),
        end_time=end.strftime("%H:%M"),
        all_day="on" if fields.all_day else "",
        tags=", ".join(tags),
        repeat="none",
    )
    return values
