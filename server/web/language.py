"""The language switcher: a plain form in every page's footer, no JavaScript needed.

Visitors' form is a GET (``/language?language=fr&next=/about``): it changes nothing on the
server, only that browser's language cookie, so pages that show it stay cookie-free and
cacheable, and it needs no CSRF token.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from server.web.common import safe_next, settings_of
from server.web.locale import LANGUAGE_COOKIE, LANGUAGE_COOKIE_MAX_AGE, selectable_languages


def chosen_language(request: Request, chosen: object) -> str:
    """The language a switcher form chose, if it is one this instance serves; else 400."""
    selectable = selectable_languages(settings_of(request).instance.language)
    if not isinstance(chosen, str) or chosen not in selectable:
        raise HTTPException(400, f"Choose one of these languages: {', '.join(selectable)}.")
    return chosen


def remember_language(request: Request, language: str, target: object) -> Response:
    """Go back to the page the form was on, with the language cookie set."""
    response = RedirectResponse(safe_next(target if isinstance(target, str) else None), 303)
    response.set_cookie(
        LANGUAGE_COOKIE,
        language,
        max_age=LANGUAGE_COOKIE_MAX_AGE,
        samesite="lax",
        secure=settings_of(request).instance.scheme == "https",
        httponly=True,
    )
    return response


async def switch_language(request: Request) -> Response:
    """A visitor's choice: kept in a cookie."""
    language = chosen_language(request, request.query_params.get("language"))
    return remember_language(request, language, request.query_params.get("next"))


routes = [Route("/language", switch_language, methods=["GET"])]
