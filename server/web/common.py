"""What every HTML route shares: the signed-in user, CSRF, forms, rendering; and, for the
pages' convenience, the neutral request helpers every layer shares (``db`` from
:mod:`server.db`, ``settings_of``, ``path_id``, ``client_address`` from
:mod:`server.request_scope`)."""

from __future__ import annotations

import secrets
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from server.db import db as db
from server.errors import Forbidden
from server.i18n import _, set_locale
from server.models import User, UserState
from server.request_scope import client_address as client_address
from server.request_scope import path_id as path_id
from server.request_scope import settings_of
from server.services.instance import InstanceInfo, load_instance_info
from server.services.notifications import count_unread
from server.web.middleware import BodyTooLarge
from server.web.runtime import web_runtime

CSRF_FIELD = "csrf_token"
MAX_FORM_FIELDS = 100


def _session_stamp(user: User) -> str:
    """Changes when the password changes or the user signs out (``session_version``),
    which ends every session of the account (other browsers, any copy of the cookie)."""
    return f"v{user.session_version}"


def log_in(request: Request, user: User) -> None:
    """Start a signed-cookie session for the user (a fresh CSRF token too)."""
    request.session.clear()
    request.session["uid"] = user.id
    request.session["stamp"] = _session_stamp(user)


async def log_out(request: Request, session: AsyncSession) -> None:
    """End this session and, server-side, every session of its user: the signed cookie is
    worthless afterwards, wherever a copy of it is."""
    user = await current_user(request, session)
    if user is not None:
        user.session_version += 1
        session.add(user)
    request.session.clear()


async def current_user(request: Request, session: AsyncSession) -> User | None:
    """The signed-in, active user, or None."""
    uid = request.session.get("uid")
    if not isinstance(uid, int):
        return None
    user = await session.get(User, uid)
    if (
        user is None
        or user.state != UserState.ACTIVE
        or request.session.get("stamp") != _session_stamp(user)
    ):
        return None
    if user.language:  # the member's own setting outranks the browser's (server.web.locale)
        set_locale(user.language)
    return user


async def require_user(request: Request, session: AsyncSession) -> User:
    """The signed-in user; otherwise a redirect to the login page."""
    user = await current_user(request, session)
    if user is None:
        target = request.url.path
        raise HTTPException(303, headers={"Location": f"/login?next={target}"})
    return user


async def require_admin(request: Request, session: AsyncSession) -> User:
    """The signed-in instance admin, or 403."""
    user = await require_user(request, session)
    if not user.is_admin:
        raise Forbidden(_("Only the instance's admins can see this page."))
    return user


def csrf_token(request: Request) -> str:
    """This session's CSRF token, created on first use."""
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


class LazyCsrfToken:
    """The CSRF token for templates: created (and the session cookie set) only when a page
    prints it, so pages without forms stay cookie-free and can be served from the read
    cache."""

    def __init__(self, request: Request) -> None:
        self._request = request

    def __str__(self) -> str:
        return csrf_token(self._request)

    def __html__(self) -> str:
        return str(self)  # URL-safe base64: nothing to escape


async def read_form(
    request: Request, *, max_part_size: int = 1024 * 1024, max_files: int = 0
) -> FormData:
    """Parse a submitted form and refuse it (403) unless it carries this session's CSRF token.

    Only forms that take uploads allow files (``max_files``); they must close the form."""
    try:
        form = await request.form(
            max_files=max_files, max_fields=MAX_FORM_FIELDS, max_part_size=max_part_size
        )
    except (HTTPException, BodyTooLarge):
        raise
    except Exception as exc:  # a malformed body is the sender's fault, not ours
        raise HTTPException(
            400, _("The form could not be read: %(error)s") % {"error": exc}
        ) from None
    sent = form.get(CSRF_FIELD)
    expected = request.session.get("csrf")
    if not isinstance(sent, str) or not isinstance(expected, str):
        await form.close()  # uploaded files are spooled to temporary files
        raise HTTPException(
            403, _("The form's security token is missing. Reload the page and try again.")
        )
    if not secrets.compare_digest(sent, expected):
        await form.close()
        raise HTTPException(
            403, _("The form's security token is wrong. Reload the page and try again.")
        )
    if any(isinstance(value, str) and "\x00" in value for _ignored, value in form.multi_items()):
        await form.close()  # no text holds NUL, and PostgreSQL refuses it
        raise HTTPException(400, _("The form contains a NUL character."))
    return form


def form_text(form: FormData, key: str, default: str = "") -> str:
    """A text field of a form ('' for files or missing fields)."""
    value = form.get(key, default)
    return value if isinstance(value, str) else default


def flash(request: Request, message: str, kind: str = "info") -> None:
    """Show a message on the next page this browser renders."""
    request.session.setdefault("flash", []).append([kind, message])


def redirect(url: str) -> RedirectResponse:
    """A 303 redirect, as after a successful form post."""
    return RedirectResponse(url, status_code=303)


def safe_next(target: str | None, default: str = "/") -> str:
    """A local path to go to after login; anything else goes to ``default``."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return default


async def render(
    request: Request,
    session: AsyncSession,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status: int = 200,
    user: User | None = None,
) -> Response:
    """Render a page with what every page needs: the user, the instance, flashes, CSRF."""
    instance: InstanceInfo = await load_instance_info(session, settings_of(request))
    if user is None:
        user = await current_user(request, session)
    page = {
        "request": request,
        "user": user,
        "unread_notifications": await count_unread(session, user) if user else 0,
        "instance": instance,
        "settings": settings_of(request),
        "csrf_token": LazyCsrfToken(request),
        "flashes": request.session.pop("flash", []),
        **(context or {}),
    }
    response = web_runtime(request).templates.TemplateResponse(
        request, template, page, status_code=status
    )
    # The same URLs serve ActivityStreams to servers: caches must keep the two apart.
    response.headers.append("Vary", "Accept")
    return response
