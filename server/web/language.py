"""The language switcher (a plain form in every page's footer, no JavaScript needed) and
the member's language setting.

Visitors' switcher is a GET form (``/language?language=fr&next=/about``): it changes
nothing on the server, only that browser's language cookie, so pages that show it stay
cookie-free and cacheable, and it needs no CSRF token. Signed-in members' switcher posts
to ``/me/language`` (with the CSRF token, as every form that changes an account), which
saves the choice as their setting; that page also lets them go back to following their
browser.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from server.i18n import _, use_locale
from server.web.common import db, flash, read_form, render, require_user, safe_next, settings_of
from server.web.locale import LANGUAGE_COOKIE, LANGUAGE_COOKIE_MAX_AGE, selectable_languages


def chosen_language(request: Request, chosen: object, *, allow_none: bool = False) -> str:
    """The language a form chose, if this instance serves it ("" too with ``allow_none``,
    meaning "follow my browser"); else 400."""
    selectable = selectable_languages(settings_of(request).instance.language)
    if isinstance(chosen, str) and (chosen in selectable or (allow_none and chosen == "")):
        return chosen
    raise HTTPException(
        400, _("Choose one of these languages: %(list)s.") % {"list": ", ".join(selectable)}
    )


def remember_language(request: Request, language: str, target: object) -> Response:
    """Go back to the page the form was on, with the language cookie set (or cleared)."""
    response = RedirectResponse(safe_next(target if isinstance(target, str) else None), 303)
    if not language:
        response.delete_cookie(LANGUAGE_COOKIE)
        return response
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


async def language_settings_page(request: Request) -> Response:
    """The member's language setting."""
    async with db(request) as session:
        user = await require_user(request, session)
        return await render(request, session, "language_settings.html", user=user)


async def language_settings_submit(request: Request) -> Response:
    """Save the member's language ("" follows the browser) and go back where they were."""
    form = await read_form(request)
    language = chosen_language(request, form.get("language"), allow_none=True)
    async with db(request) as session:
        user = await require_user(request, session)
        user.language = language
        session.add(user)
    with use_locale(language or None):
        flash(request, _("Your language is saved."), "success")
    return remember_language(request, language, form.get("next") or "/me/language")


routes = [
    Route("/language", switch_language, methods=["GET"]),
    Route("/me/language", language_settings_page, methods=["GET"]),
    Route("/me/language", language_settings_submit, methods=["POST"]),
]
