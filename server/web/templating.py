"""The Jinja2 environment: templates, and filters for Markdown, dates and media URLs."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import pass_context
from markupsafe import Markup
from starlette.templating import Jinja2Templates

from server import i18n, limits
from server.i18n_format import format_list, format_number, format_strftime_style
from server.markup import render_markdown
from server.resources import TEMPLATES_DIR
from server.services.media_cache import SUBDIRECTORY, cached_path
from server.services.timezones import event_when
from server.web.locale import selectable_languages


def _markdown(text: str) -> Markup:
    return Markup(render_markdown(text or ""))  # noqa: S704 (render_markdown sanitizes)


def _date(value: datetime | None, style: str = "%-d %B %Y") -> str:
    if value is None:
        return ""
    return format_strftime_style(value.astimezone(UTC), style)


def _zoned(value: datetime | None, zone_name: str, style: str = "%-d %B %Y %H:%M") -> str:
    """A moment as the wall-clock time of a zone, with the zone named: "4 May 2030 19:00
    (Europe/Paris)" (the zone the time was entered in, e.g. a proposal's closing time)."""
    if value is None:
        return ""
    return f"{format_strftime_style(value.astimezone(ZoneInfo(zone_name)), style)} ({zone_name})"


def _localdate(value: datetime | None, zone: str, style: str = "%-d %b %Y %H:%M") -> str:
    """A moment in the given time zone (the instance's, for times that belong to no meetup)."""
    if value is None:
        return ""
    return format_strftime_style(value.astimezone(ZoneInfo(zone)), style)


@pass_context
def _when_here(context: Any, event: Any) -> str:
    """``event_when`` as this instance's pages show it (year and zone only when they differ)."""
    settings = context.get("settings")
    if settings is None:
        return event_when(event)
    return event_when(event, settings.instance.timezone, datetime.now(UTC))


def _blank(value: Any) -> Any:
    """A form value to print: nothing for a missing one (None would print as "None")."""
    return "" if value is None else value


def _media(name: str) -> str:
    return f"/media/{name}" if name else ""


@pass_context
def _cached_media(context: Any, attachment: Any) -> str:
    """The local URL of a remote post's cached image, or "" (not cached, or expired)."""
    settings = context.get("settings")
    if settings is None or cached_path(settings.uploads_path, attachment.cached) is None:
        return ""
    return f"/media/{SUBDIRECTORY}/{attachment.cached}"


@pass_context
def _switcher_languages(context: Any) -> list[tuple[str, str]]:
    """The language switcher's choices: (tag, the language's own name)."""
    settings = context.get("settings")
    tags = selectable_languages(settings.instance.language if settings else "en")
    return [(tag, i18n.language_name(tag)) for tag in tags]


@pass_context
def _group_language_choices(context: Any) -> list[tuple[str, str, str]]:
    """A group form's language choices: (tag, name, hint), the server's language first."""
    settings = context.get("settings")
    default = i18n.language_name(settings.instance.language if settings else "en")
    choices = [("", i18n.gettext("The server's language"), default)]
    return choices + [(tag, name, "") for tag, name in _switcher_languages(context)]


def make_templates() -> Jinja2Templates:
    """Templates with autoescaping on and Hearth's filters."""
    templates = Jinja2Templates(directory=str(TEMPLATES_DIR))
    templates.env.add_extension("jinja2.ext.i18n")
    templates.env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=i18n.gettext,
        ngettext=i18n.ngettext,
        pgettext=i18n.pgettext,
        npgettext=i18n.npgettext,
        newstyle=True,
    )
    templates.env.globals["current_language"] = i18n.get_locale
    templates.env.globals["text_direction"] = i18n.text_direction
    templates.env.globals["switcher_languages"] = _switcher_languages
    templates.env.globals["limits"] = limits  # form bounds: maxlength, min, max
    templates.env.globals["group_language_choices"] = _group_language_choices
    templates.env.filters["markdown"] = _markdown
    templates.env.filters["date"] = _date
    templates.env.filters["localdate"] = _localdate
    templates.env.filters["media"] = _media
    templates.env.filters["blank"] = _blank
    templates.env.filters["zoned"] = _zoned
    templates.env.filters["cached_media"] = _cached_media
    templates.env.filters["when"] = _when_here
    templates.env.filters["number"] = format_number
    templates.env.filters["list"] = format_list
    return templates
