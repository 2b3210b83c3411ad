"""The Jinja2 environment: templates, and filters for Markdown, dates and media URLs."""

from __future__ import annotations

from datetime import UTC, datetime

from markupsafe import Markup
from starlette.templating import Jinja2Templates

from server.markup import render_markdown
from server.resources import TEMPLATES_DIR


def _markdown(text: str) -> Markup:
    return Markup(render_markdown(text or ""))  # noqa: S704 (render_markdown sanitizes)


def _date(value: datetime | None, style: str = "%-d %B %Y") -> str:
    if value is None:
        return ""
    return value.astimezone(UTC).strftime(style)


def _media(name: str) -> str:
    return f"/media/{name}" if name else ""


def make_templates() -> Jinja2Templates:
    """Templates with autoescaping on and Hearth's filters."""
    templates = Jinja2Templates(directory=str(TEMPLATES_DIR))
    templates.env.filters["markdown"] = _markdown
    templates.env.filters["date"] = _date
    templates.env.filters["media"] = _media
    return templates
