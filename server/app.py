"""The application factory: ``create_app(settings)`` builds everything; nothing runs at import."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from federation.aiohttp_poster import AiohttpPoster
from federation.safe_transport import SafeTransport
from server import __version__
from server.activitypub import discovery, group_collections, inbox
from server.activitypub import routes as activitypub_routes
from server.activitypub.group_archive_schema import ARCHIVE_PATHS, MAX_ARCHIVE_BYTES
from server.activitypub.inbox_writer import InboxWriter
from server.activitypub.remote import Remote
from server.activitypub.worker import WORK_ROWS
from server.api import attendance as api_attendance
from server.api import calendar_imports as api_calendar_imports
from server.api import decisions as api_decisions
from server.api import events as api_events
from server.api import follows as api_follows
from server.api import group_archive as api_group_archive
from server.api import groups as api_groups
from server.api import notifications as api_notifications
from server.api import openapi
from server.api import posts as api_posts
from server.api import practice as api_practice
from server.api.common import ApiError, error_response
from server.config import Settings, load_settings
from server.db import call_after_commits, engine_for, session_factory, transaction
from server.errors import HearthError
from server.i18n import _
from server.resources import resource_dir
from server.secret_key import load_or_create_secret_key
from server.services.federation_policy import DomainPolicy
from server.services.instance import InstanceInfo, load_instance_info
from server.ttl_cache import ttl_cache
from server.uploads import MediaFiles, upload_body_limit
from server.uris import is_inbox_path
from server.web import (
    admin,
    admin_federation,
    auth,
    checkin,
    conversations,
    discussion,
    embed,
    events,
    feeds,
    follows,
    groups,
    language,
    minutes,
    month,
    notifications,
    pages,
    posts,
    practice,
    proposals,
    remote_members,
    reports,
    rsvp,
    setup,
    tags,
)
from server.web import calendar_imports as web_calendar_imports
from server.web import group_archive as web_group_archive
from server.web.common import LazyCsrfToken, current_user
from server.web.group_moved import MovedGroupMiddleware
from server.web.inbox_shortcut import InboxShortcut
from server.web.locale import LocaleMiddleware
from server.web.login_throttle import LoginThrottle
from server.web.middleware import (
    BodySizeLimitMiddleware,
    BodyTooLarge,
    NulCharacterMiddleware,
    SecurityHeadersMiddleware,
)
from server.web.rate_limit import RateLimitMiddleware, TokenBuckets
from server.web.read_cache import ReadCache, ReadCacheMiddleware
from server.web.runtime import WebRuntime, web_runtime, web_runtime_of
from server.web.templating import make_templates

log = logging.getLogger(__name__)

_UPLOAD_FORM = re.compile(r"^/groups/(new|[^/]+/edit|[^/]+/events/new)$|^/events/[0-9]+/edit$")
DEFAULT_BODY_LIMIT = 1_000_000


def _routes(settings: Settings) -> list[BaseRoute]:
    settings.uploads_path.mkdir(parents=True, exist_ok=True)
    return [
        *discovery.routes,
        *inbox.routes,
        *activitypub_routes.routes,
        *group_collections.routes,
        *pages.routes,
        *month.routes,
        *auth.routes,
        *setup.routes,
        *web_group_archive.routes,
        *groups.routes,
        *posts.routes,
        *proposals.routes,
        *practice.routes,
        *minutes.routes,
        *discussion.routes,
        *checkin.routes,
        *feeds.routes,
        *embed.routes,
        *language.routes,
        *events.routes,
        *rsvp.routes,
        *conversations.routes,
        *reports.routes,
        *remote_members.routes,
        *follows.routes,
        *tags.routes,
        *notifications.routes,
        *admin.routes,
        *admin_federation.routes,
        *api_groups.routes,
        *api_events.routes,
        *api_decisions.routes,
        *api_attendance.routes,
        *api_posts.routes,
        *api_follows.routes,
        *api_practice.routes,
        *api_notifications.routes,
        *api_calendar_imports.routes,
        *api_group_archive.routes,
        *web_calendar_imports.routes,
        *openapi.routes,
        Mount("/static", StaticFiles(directory=str(resource_dir("static"))), name="static"),
        Mount("/media", MediaFiles(directory=str(settings.uploads_path)), name="media"),
    ]


def _body_limit(settings: Settings) -> Callable[[str], int]:
    upload_limit = upload_body_limit(settings.uploads.max_bytes)

    def limit_for(path: str) -> int:
        if _UPLOAD_FORM.match(path):
            return upload_limit
        if path in ARCHIVE_PATHS:
            return MAX_ARCHIVE_BYTES
        if is_inbox_path(path):
            return settings.federation.max_inbox_bytes
        return DEFAULT_BODY_LIMIT

    return limit_for


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


async def _error_page(request: Request, status: int, message: str) -> Response:
    """An HTML error page; falls back to plain text if even that cannot be built."""
    runtime = web_runtime(request)
    settings = runtime.settings
    context = {
        "message": message,
        "status": status,
        "request": request,
        "user": None,
        "flashes": [],
        "settings": settings,
        "csrf_token": "",
    }
    try:
        async with transaction(runtime.sessions) as session:
            context["instance"] = await load_instance_info(session, settings)
            if "session" in request.scope:
                context["user"] = await current_user(request, session)
                context["csrf_token"] = LazyCsrfToken(request)
    except Exception:
        inst = settings.instance
        context["instance"] = InstanceInfo(
            inst.name, inst.description, inst.contact_email, inst.registration
        )
    try:
        return runtime.templates.TemplateResponse(
            request, "error.html", context, status_code=status
        )
    except Exception:
        log.exception("could not render the error page")
        return PlainTextResponse(message, status_code=status)


def _error_code(error: HearthError) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", type(error).__name__).lower()


async def handle_hearth_error(request: Request, exc: Exception) -> Response:
    """A domain error: JSON for the API, an error page for people."""
    assert isinstance(exc, HearthError)
    if _is_api(request):
        return error_response(
            exc.status, _error_code(exc), {"message": exc.message, "field": exc.field}
        )
    return await _error_page(request, exc.status, exc.message)


async def handle_api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return error_response(exc.status, exc.error, exc.detail, exc.headers)


async def handle_http_exception(request: Request, exc: Exception) -> Response:
    """Redirects stay redirects; other HTTP errors get the error page or JSON."""
    assert isinstance(exc, HTTPException)
    if exc.status_code in (301, 302, 303, 307, 308) and exc.headers and "Location" in exc.headers:
        return RedirectResponse(exc.headers["Location"], status_code=exc.status_code)
    if _is_api(request):
        return error_response(exc.status_code, "http_error", exc.detail, exc.headers)
    return await _error_page(request, exc.status_code, str(exc.detail))


async def handle_too_large(request: Request, exc: Exception) -> Response:
    message = "The request body is too large."
    if _is_api(request):
        return error_response(413, "payload_too_large", message)
    return await _error_page(request, 413, _(message))


async def handle_unexpected(request: Request, exc: Exception) -> Response:
    """Anything unexpected: logged with its traceback, a plain apology for the person."""
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    if _is_api(request):
        return error_response(500, "internal_error", "Something went wrong on our side.")
    return await _error_page(
        request, 500, _("Something went wrong on our side. The admins can find it in the log.")
    )


def default_http_client(settings: Settings) -> httpx.AsyncClient:
    """The client for talking to other servers: private addresses refused, no auto-redirects."""
    transport = SafeTransport(allow_private=settings.federation.allow_private_addresses)
    return httpx.AsyncClient(
        transport=transport,
        timeout=httpx.Timeout(10.0, connect=5.0),
        follow_redirects=False,
        headers={"User-Agent": f"Hearth/{__version__} (+{settings.base_url})"},
    )


def default_poster(settings: Settings) -> AiohttpPoster:
    """What the worker POSTs activities with: aiohttp, private addresses refused."""
    return AiohttpPoster(
        user_agent=f"Hearth/{__version__} (+{settings.base_url})",
        allow_private=settings.federation.allow_private_addresses,
    )


def settle_heap() -> None:
    """Put what start-up built (modules, tables, templates: ~150,000 objects, all kept for
    the process's life) out of the garbage collector's sight. Each full collection scanned
    them all — 0.1 s with every request waiting, every second or so under a burst of
    POSTs, for nothing found; it now scans only what was made since."""
    gc.collect()
    gc.freeze()


def app_from_environment() -> Starlette:
    """The app of one ``hearth serve --workers N`` process: settings from ``$HEARTH_CONFIG``
    and ``HEARTH_<SECTION>_<KEY>`` variables, as the parent process read them."""
    path = os.environ.get("HEARTH_CONFIG")
    return create_app(load_settings(Path(path) if path else None))


def create_app(
    settings: Settings,
    *,
    http: httpx.AsyncClient | None = None,
    engine: AsyncEngine | None = None,
    run_worker: bool | None = None,
) -> Starlette:
    """Build the Hearth application; I/O (database engine, HTTP client) may be injected.

    The delivery worker runs in the app's lifespan when ``run_worker`` (default: the
    ``server.run_worker`` setting); tests leave it off and call
    ``runtime_of(app).worker.run_once()``.
    """
    owns_engine = engine is None
    engine = engine or engine_for(settings)
    owns_http = http is None
    http = http or default_http_client(settings)
    # Deliveries go through an injected client too (tests route it to in-process apps).
    own_poster = default_poster(settings) if owns_http else None
    start_worker = settings.server.run_worker if run_worker is None else run_worker

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        settle_heap()
        worker = web_runtime_of(app).worker
        task = asyncio.create_task(worker.run_forever()) if start_worker else None
        try:
            yield
        finally:
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            if owns_http:
                await http.aclose()
            if own_poster is not None:
                await own_poster.aclose()
            if owns_engine:
                await engine.dispose()

    secret_key = load_or_create_secret_key(settings.data_path)
    read_cache = ReadCache(settings.server.read_cache_seconds)
    rate_buckets = TokenBuckets()
    limit_for = _body_limit(settings)
    middleware = [
        # First: the client address every limit below counts by (from trusted proxies only).
        Middleware(ProxyHeadersMiddleware, trusted_hosts=settings.server.trusted_proxies),
        Middleware(SecurityHeadersMiddleware, hsts=settings.instance.scheme == "https"),
        Middleware(NulCharacterMiddleware),
        # Inbox POSTs skip the rest (people's middleware) and route matching.
        Middleware(InboxShortcut, settings=settings, buckets=rate_buckets, limit_for=limit_for),
        Middleware(LocaleMiddleware, default_language=settings.instance.language),
        Middleware(RateLimitMiddleware, limits=settings.rate_limits, buckets=rate_buckets),
        Middleware(ReadCacheMiddleware, cache=read_cache),
        Middleware(BodySizeLimitMiddleware, limit_for=limit_for),
        Middleware(MovedGroupMiddleware),
        Middleware(
            SessionMiddleware,
            secret_key=secret_key,
            session_cookie="hearth_session",
            max_age=30 * 24 * 3600,
            same_site="lax",
            https_only=settings.instance.scheme == "https",
        ),
    ]
    app = Starlette(
        routes=_routes(settings),
        middleware=middleware,
        lifespan=lifespan,
        exception_handlers={
            HearthError: handle_hearth_error,
            ApiError: handle_api_error,
            HTTPException: handle_http_exception,
            BodyTooLarge: handle_too_large,
            Exception: handle_unexpected,
        },
    )
    sessions = session_factory(engine)
    policy = DomainPolicy(settings, sessions)
    runtime = WebRuntime(
        settings=settings,
        secret_key=secret_key,
        engine=engine,
        sessions=sessions,
        http=http,
        poster=own_poster,
        policy=policy,
        remote=Remote(settings, http, sessions, policy),
        inbox_writer=InboxWriter(sessions),
        read_cache=read_cache,
        rate_buckets=rate_buckets,
        inbox_recipients=ttl_cache(inbox.RECIPIENT_TTL_SECONDS),
        templates=make_templates(),
        login_throttle=LoginThrottle(secret_key),
    )
    # Every commit that queues work for the worker wakes it (web, API, inbox POSTs).
    call_after_commits(sessions, WORK_ROWS, runtime.worker.wake_after_commit)
    app.state.runtime = runtime  # all app.state holds: runtime(request) reads it, typed
    return app
