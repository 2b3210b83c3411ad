"""The first admin, made in the browser: /setup, open while no account exists, guarded by
the one-time code ``hearth serve`` prints on its console (see server.setup_code)."""

from __future__ import annotations

from sqlmodel import func, select
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from server.errors import Forbidden, HearthError
from server.i18n import _
from server.models import User
from server.passwords import MIN_PASSWORD_LENGTH
from server.services.users import NewUser, create_user
from server.setup_code import (
    claim_setup_code,
    has_setup_code,
    release_setup_code,
    setup_code_matches,
    use_up_setup_code,
)
from server.web.common import (
    db,
    flash,
    form_text,
    log_in,
    read_form,
    redirect,
    render,
    settings_of,
)
from server.web.runtime import web_runtime

FIELDS = ("code", "username", "display_name", "email")


async def needs_setup(request: Request, session: AsyncSession) -> bool:
    """Whether no account exists yet (remembered once one does)."""
    if web_runtime(request).has_accounts:
        return False
    count = (await session.exec(select(func.count()).select_from(User))).one()
    web_runtime(request).has_accounts = count > 0
    return count == 0


async def _page(
    request: Request, session: AsyncSession, form: dict[str, str], error: HearthError | None
) -> Response:
    context = {
        "form": form,
        "error": error,
        "has_code": has_setup_code(settings_of(request).data_path),
        "min_password": MIN_PASSWORD_LENGTH,
    }
    return await render(
        request, session, "setup.html", context, status=error.status if error else 200
    )


async def setup_page(request: Request) -> Response:
    """The first admin's form, or the login page once the instance has accounts."""
    async with db(request) as session:
        if not await needs_setup(request, session):
            return redirect("/login")
        return await _page(request, session, {}, None)


async def setup_submit(request: Request) -> Response:
    """Check the code, create the admin and sign them in; the code is then used up."""
    form = await read_form(request)
    values = {key: form_text(form, key) for key in FIELDS}
    data_path = settings_of(request).data_path
    async with db(request) as session:
        if not await needs_setup(request, session):
            return redirect("/login")
    claimed = None
    try:
        if not setup_code_matches(data_path, values["code"]):
            raise Forbidden(
                _("This is not the setup code printed by “hearth serve”."), field="code"
            )
        claimed = claim_setup_code(data_path)
        if claimed is None:
            raise Forbidden(_("Someone else is setting up this instance right now."), field="code")
        new = NewUser(
            values["username"],
            values["email"],
            form_text(form, "password"),
            values["display_name"],
            is_admin=True,
        )
        async with db(request) as session:
            user = await create_user(session, new, by_operator=True)  # the console's owner
    except HearthError as error:
        if claimed is not None:
            release_setup_code(data_path, claimed)
        async with db(request) as session:
            return await _page(request, session, values, error)
    use_up_setup_code(data_path, claimed)
    web_runtime(request).has_accounts = True
    log_in(request, user)
    flash(
        request,
        _(
            "Welcome, %(user)s! You are the admin of this instance: name it and choose "
            "who may sign up here, then start a group."
        )
        % {"user": user.name},
        "success",
    )
    return redirect("/admin")


routes = [
    Route("/setup", setup_page, methods=["GET"]),
    Route("/setup", setup_submit, methods=["POST"]),
]
