"""Sign-up (by registration mode), login, logout and password reset pages."""

from __future__ import annotations

import math

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from server.errors import Forbidden, HearthError, NotFound
from server.i18n import _, ngettext, use_locale
from server.models import UserState
from server.services import news
from server.services.credentials import (
    check_password_reset,
    create_password_reset,
    password_reset_message,
    redeem_invite,
    use_password_reset,
)
from server.services.instance import load_instance_info
from server.services.notices import queue_email
from server.services.notifications import reader_language
from server.services.users import NewUser, authenticate, create_user, find_user_by_login
from server.web.common import (
    current_user,
    db,
    flash,
    form_text,
    log_in,
    log_out,
    read_form,
    redirect,
    render,
    safe_next,
    settings_of,
)
from server.web.login_throttle import DEVICE_COOKIE, DEVICE_MAX_AGE
from server.web.runtime import web_runtime


async def signup_page(request: Request) -> Response:
    """The sign-up form, or a page explaining why sign-up is closed."""
    async with db(request) as session:
        if await current_user(request, session):
            return redirect("/")
        return await render(
            request,
            session,
            "signup.html",
            {"invite": request.query_params.get("invite", ""), "form": {}},
        )


async def signup_submit(request: Request) -> Response:
    """Create the account as the registration mode allows."""
    form = await read_form(request)
    values = {
        key: form_text(form, key)
        for key in ("username", "email", "display_name", "reason", "invite")
    }
    try:
        async with db(request) as session:
            instance = await load_instance_info(session, settings_of(request))
            if instance.registration == "closed":
                raise Forbidden(_("This instance is not taking new accounts."))
            if instance.registration == "invite":
                if not values["invite"]:
                    raise Forbidden(_("Sign-up here needs an invite link from a member."))
                await redeem_invite(session, values["invite"])
            approval = instance.registration == "approval"
            state = UserState.PENDING if approval else UserState.ACTIVE
            new = NewUser(
                username=values["username"],
                email=values["email"],
                password=form_text(form, "password"),
                display_name=values["display_name"],
                signup_reason=values["reason"],
            )
            user = await create_user(session, new, state=state)
            if state == UserState.ACTIVE:
                log_in(request, user)
            else:
                await news.signup_waiting(session, settings_of(request), user)
    except HearthError as error:
        async with db(request) as session:
            return await render(
                request,
                session,
                "signup.html",
                {"error": error, "form": values, "invite": values["invite"]},
                status=error.status,
            )
    if state == UserState.PENDING:
        flash(
            request, _("Thanks! An admin will review your request; you can sign in once approved.")
        )
        return redirect("/login")
    flash(
        request,
        _("Welcome to %(instance)s, %(user)s!") % {"instance": instance.name, "user": user.name},
        "success",
    )
    return redirect("/")


async def login_page(request: Request) -> Response:
    """The login form."""
    async with db(request) as session:
        return await render(
            request,
            session,
            "login.html",
            {"next": safe_next(request.query_params.get("next")), "form": {}},
        )


class TooManyAttempts(HearthError):
    """Failed logins on this account from browsers it has not used: wait a little."""

    status = 429


async def login_submit(request: Request) -> Response:
    """Check the credentials and start a session (slowed per account: login_throttle)."""
    form = await read_form(request)
    login = form_text(form, "login")
    target = safe_next(form_text(form, "next"))
    throttle = web_runtime(request).login_throttle
    async with db(request) as session:
        account = await find_user_by_login(session, login)
    key = f"user {account.id}" if account else f"login {login.strip().lower()[:300]}"
    trusted = (
        account is not None
        and account.id is not None
        and throttle.trusts(request.cookies.get(DEVICE_COOKIE), account.id)
    )
    try:
        if not trusted and (wait := throttle.wait(key)) > 0:
            seconds = math.ceil(wait)
            raise TooManyAttempts(
                ngettext(
                    "Too many failed attempts on this account: try again in %(seconds)s second, "
                    "or from a browser you signed in with before.",
                    "Too many failed attempts on this account: try again in %(seconds)s seconds, "
                    "or from a browser you signed in with before.",
                    seconds,
                )
                % {"seconds": seconds}
            )
        async with db(request) as session:
            user = await authenticate(session, login, form_text(form, "password"))
    except HearthError as error:
        if not trusted and isinstance(error, Forbidden):
            throttle.failed(key)
        async with db(request) as session:
            response = await render(
                request,
                session,
                "login.html",
                {"error": error, "form": {"login": login}, "next": target},
                status=error.status,
            )
        if isinstance(error, TooManyAttempts):
            response.headers["Retry-After"] = str(math.ceil(throttle.wait(key)) or 1)
        return response
    throttle.succeeded(key)
    log_in(request, user)
    flash(request, _("Welcome back, %(user)s.") % {"user": user.name}, "success")
    response = redirect(target)
    response.set_cookie(
        DEVICE_COOKIE,
        throttle.device_cookie(user.id or 0),
        max_age=DEVICE_MAX_AGE,
        httponly=True,
        samesite="lax",
        secure=settings_of(request).instance.scheme == "https",
    )
    return response


async def logout(request: Request) -> Response:
    """End the session (POST with a CSRF token, so no link can sign you out)."""
    await read_form(request)
    async with db(request) as session:
        await log_out(request, session)
    return redirect("/")


async def reset_request_page(request: Request) -> Response:
    """Ask for a password reset."""
    async with db(request) as session:
        return await render(request, session, "reset_request.html")


async def reset_request_submit(request: Request) -> Response:
    """Email a reset link when SMTP is set up; never reveal whether an account exists (the
    email is queued for the worker, so even the response time does not tell)."""
    form = await read_form(request)
    settings = settings_of(request)
    async with db(request) as session:
        user = await find_user_by_login(session, form_text(form, "login"))
        token = (
            await create_password_reset(session, user)
            if user and user.state == UserState.ACTIVE
            else None
        )
        if user is not None and token is not None:
            link = f"{settings.base_url}/reset/{token}"
            with use_locale(reader_language(settings, user)):
                subject, body = password_reset_message(settings, user, link)
            await queue_email(session, settings, user.email, subject, body)
    if settings.smtp.host:
        flash(
            request, _("If an account matches, we have emailed it a link to choose a new password.")
        )
    else:
        flash(
            request,
            _(
                "This instance cannot send email. Ask an admin to run "
                "“hearth user reset-link USERNAME” and give you the link."
            ),
        )
    return redirect("/login")


async def reset_page(request: Request) -> Response:
    """Choose a new password with a reset link."""
    token = request.path_params["token"]
    async with db(request) as session:
        try:
            await check_password_reset(session, token)
        except NotFound as error:
            return await render(
                request, session, "reset.html", {"error": error, "token": None}, status=404
            )
        return await render(request, session, "reset.html", {"token": token})


async def reset_submit(request: Request) -> Response:
    """Set the new password and sign in."""
    token = request.path_params["token"]
    form = await read_form(request)
    try:
        async with db(request) as session:
            user = await use_password_reset(session, token, form_text(form, "password"))
    except HearthError as error:
        async with db(request) as session:
            valid = not isinstance(error, NotFound)
            return await render(
                request,
                session,
                "reset.html",
                {"error": error, "token": token if valid else None},
                status=error.status,
            )
    log_in(request, user)
    flash(request, _("Your password has been changed."), "success")
    return redirect("/")


routes = [
    Route("/signup", signup_page, methods=["GET"]),
    Route("/signup", signup_submit, methods=["POST"]),
    Route("/login", login_page, methods=["GET"]),
    Route("/login", login_submit, methods=["POST"]),
    Route("/logout", logout, methods=["POST"]),
    Route("/reset", reset_request_page, methods=["GET"]),
    Route("/reset", reset_request_submit, methods=["POST"]),
    Route("/reset/{token}", reset_page, methods=["GET"]),
    Route("/reset/{token}", reset_submit, methods=["POST"]),
]
