"""The language of each request: the member's setting, else the visitor's choice (a cookie
set by the language switcher), else the browser's ``Accept-Language``, else the instance's
``instance.language``.

:class:`LocaleMiddleware` makes that language active (``server.i18n``) for the whole
request; a signed-in member's own setting takes over once the request knows who asks
(``server.web.common.current_user``).
"""

from __future__ import annotations

from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import HTTPConnection, cookie_parser
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server.i18n import SUPPORTED_LANGUAGES, content_language, primary_tag, use_locale
from server.i18n_catalogs import catalog_languages
from server.models import Group
from server.request_scope import settings_of

#: The cookie the language switcher sets for visitors (and signed-in members alike).
LANGUAGE_COOKIE = "hearth_lang"
LANGUAGE_COOKIE_MAX_AGE = 365 * 24 * 3600
MAX_ACCEPT_LANGUAGE_ENTRIES = 20


def selectable_languages(instance_language: str) -> tuple[str, ...]:
    """Languages a request may be served in: the supported ones, any with a catalog, and the
    instance's own (a right-to-left instance lays out mirrored before its catalog exists)."""
    extra = [*catalog_languages(), primary_tag(instance_language)]
    return tuple(dict.fromkeys([*SUPPORTED_LANGUAGES, *(tag for tag in extra if tag)]))


def parse_accept_language(header: str) -> list[str]:
    """The primary language tags of an ``Accept-Language`` header, most preferred first
    (RFC 9110 §12.5.4: by ``q`` weight, ties in order; ``q=0`` and ``*`` dropped)."""
    weighted: list[tuple[float, int, str]] = []
    for position, item in enumerate(header.split(",")[:MAX_ACCEPT_LANGUAGE_ENTRIES]):
        tag, _, params = item.strip().partition(";")
        weight = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        language = primary_tag(tag)
        if language and weight > 0:
            weighted.append((-weight, position, language))
    return list(dict.fromkeys(language for _, _, language in sorted(weighted)))


def choose_language(
    choices: list[str | None], accept_language: str, default: str, selectable: tuple[str, ...]
) -> str:
    """The first selectable of the explicit ``choices`` (member setting, switcher cookie),
    else of the browser's preferences, else the instance default."""
    for choice in choices:
        tag = primary_tag(choice or "")
        if tag in selectable:
            return tag
    for tag in parse_accept_language(accept_language):
        if tag in selectable:
            return tag
    return primary_tag(default) or "en"


def group_language(request: HTTPConnection, group: Group) -> str:
    """The language a group writes in: its own, else the instance's (flyers, calendars)."""
    return content_language(group.language, settings_of(request).instance.language)


class LocaleMiddleware:
    """Set the request's language (see the module docstring); HTML answers vary by it."""

    def __init__(self, app: ASGIApp, default_language: str) -> None:
        self.app = app
        self.default_language = default_language
        self.selectable = selectable_languages(default_language)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        cookie = cookie_parser(headers.get("cookie", "")).get(LANGUAGE_COOKIE)
        language = choose_language(
            [cookie], headers.get("accept-language", ""), self.default_language, self.selectable
        )

        async def varying(message: Message) -> None:
            if message["type"] == "http.response.start":
                response_headers = MutableHeaders(scope=message)
                if response_headers.get("content-type", "").startswith("text/html"):
                    response_headers.add_vary_header("Accept-Language")
            await send(message)

        with use_locale(language):
            await self.app(scope, receive, varying)
