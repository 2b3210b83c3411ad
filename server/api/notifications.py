"""``/api/v1/notifications``: the token user's notifications (newest first, paged by
``max_id``) and marking them read."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, model_validator
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from server.api.common import ApiError, api_user, read_json
from server.api.spec import ApiRoute, Doc, Named, listing, query
from server.db import MAX_ROW_ID, db
from server.inputs import row_id
from server.models import Notification
from server.request_scope import settings_of
from server.services import notifications as notes


class MarkReadIn(BaseModel):
    """Which notifications to mark read: some ``ids``, or ``all``."""

    model_config = ConfigDict(extra="forbid")

    ids: list[Annotated[int, Field(ge=1, le=MAX_ROW_ID)]] = Field(
        default_factory=list, max_length=500
    )
    all: bool = False

    @model_validator(mode="after")
    def _one_of(self) -> MarkReadIn:
        if not self.ids and not self.all:
            raise ValueError("give the ids to mark read, or all: true")
        return self


def notification_json(item: Notification, base_url: str) -> dict[str, Any]:
    """A notification as the API shows it (the link made absolute)."""
    link = f"{base_url}{item.link}" if item.link.startswith("/") else item.link
    category = notes.category_of(item.kind)
    return {
        "id": item.id,
        "kind": item.kind,
        "category": category.key if category else None,
        "text": item.text,
        "url": link or None,
        "created_at": item.created_at.isoformat(),
        "read": item.read_at is not None,
    }


def _int_param(request: Request, name: str, default: int | None) -> int | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    number = row_id(raw)
    if number is None:
        raise ApiError(400, "invalid_input", [{"field": name, "message": "a positive integer"}])
    return number


async def list_notifications(request: Request) -> Response:
    """The caller's notifications; ``unread=true`` for the unread ones only."""
    limit = _int_param(request, "limit", notes.PAGE_SIZE) or notes.PAGE_SIZE
    max_id = _int_param(request, "max_id", None)
    unread = request.query_params.get("unread", "false").lower()
    if unread not in ("true", "false", "1", "0"):
        raise ApiError(400, "invalid_input", [{"field": "unread", "message": "true or false"}])
    base_url = settings_of(request).base_url
    async with db(request) as session:
        user = await api_user(request, session)
        items = await notes.list_notifications(
            session,
            user,
            before_id=max_id,
            limit=min(limit, notes.MAX_PAGE_SIZE),
            unread_only=unread in ("true", "1"),
        )
        unread_count = await notes.count_unread(session, user)
    return JSONResponse(
        {
            "items": [notification_json(item, base_url) for item in items],
            "unread_count": unread_count,
        }
    )


async def mark_read(request: Request) -> Response:
    """Mark some (``ids``) or all (``all: true``) of the caller's notifications read."""
    data = await read_json(request, MarkReadIn)
    async with db(request) as session:
        user = await api_user(request, session)
        marked = await notes.mark_read(session, user, None if data.all else data.ids)
        unread_count = await notes.count_unread(session, user)
    return JSONResponse({"marked": marked, "unread_count": unread_count})


NOTIFICATION = Named(
    "Notification",
    {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "kind": {"type": "string"},
            "category": {"enum": [*(c.key for c in notes.CATEGORIES), None]},
            "text": {"type": "string"},
            "url": {"type": ["string", "null"]},
            "created_at": {"type": "string", "format": "date-time"},
            "read": {"type": "boolean"},
        },
    },
)
UNREAD_COUNT = {"unread_count": {"type": "integer"}}
MARKED = {"type": "object", "properties": {"marked": {"type": "integer"}, **UNREAD_COUNT}}
routes = [
    ApiRoute(
        "/api/v1/notifications",
        list_notifications,
        "GET",
        Doc(
            "My notifications, newest first (max_id pages back)",
            "listNotifications",
            {200: ("Notifications", listing(NOTIFICATION, **UNREAD_COUNT))},
            (400, 401),
            query=(
                query("unread", "boolean"),
                query("max_id", "integer"),
                query("limit", "integer", maximum=100),
            ),
        ),
    ),
    ApiRoute(
        "/api/v1/notifications/read",
        mark_read,
        "POST",
        Doc(
            "Mark notifications read",
            "markNotificationsRead",
            {200: ("Marked", MARKED)},
            (400, 401, 415),
            body=MarkReadIn,
        ),
    ),
]
