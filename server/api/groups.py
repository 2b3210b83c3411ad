"""``/api/v1/groups``: list, create, read, update and delete groups; ``/api/v1/me``."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from server import limits
from server.api.common import ApiError, api_user, read_json
from server.api.spec import ApiRoute, Doc, listing, query
from server.config import Settings
from server.db import db
from server.models import Group, MembershipMode
from server.request_scope import settings_of
from server.services import group_actions
from server.services import membership as members
from server.services.groups import (
    DirectoryQuery,
    GroupFields,
    create_group,
    get_group,
    groups_of_user,
    search_directory,
)

PostingPolicy = Literal["members", "followers", "moderated"]
LANGUAGE_HELP = (
    "The language the group writes in (a tag such as en, fr, de, es): what it federates is "
    "written in it and tagged with it (contentMap). Empty: the instance's language."
)
POLICY_HELP = (
    "Whose public posts mentioning the group it shares with its followers: members, "
    "followers (also anyone following it) or moderated (moderators review each post first)."
)


class GroupIn(BaseModel):
    """Fields for creating a group."""

    model_config = ConfigDict(extra="forbid")

    slug: str = Field(min_length=1, max_length=64)
    name: str = limits.GROUP_NAME.field()
    summary: str = limits.GROUP_SUMMARY.field("", description="Markdown")
    location: str = limits.GROUP_LOCATION.field("")
    latitude: float | None = limits.LATITUDE.field(None)
    longitude: float | None = limits.LONGITUDE.field(None)
    tags: list[str] = limits.GROUP_TAGS.count(default_factory=list)
    visibility: Literal["public", "unlisted"] = "public"
    membership_mode: MembershipMode = MembershipMode.OPEN
    posting_policy: PostingPolicy | None = Field(
        default=None,
        description=f"{POLICY_HELP} Left out: followers for open groups, else members.",
    )
    language: str = Field(default="", max_length=16, description=LANGUAGE_HELP)


class GroupPatch(BaseModel):
    """Fields to change on a group; the ones left out stay as they are."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = limits.GROUP_NAME.field(None)
    summary: str | None = limits.GROUP_SUMMARY.field(None)
    location: str | None = limits.GROUP_LOCATION.field(None)
    latitude: float | None = limits.LATITUDE.field(None)
    longitude: float | None = limits.LONGITUDE.field(None)
    tags: list[str] | None = limits.GROUP_TAGS.count(None)
    visibility: Literal["public", "unlisted"] | None = None
    membership_mode: MembershipMode | None = None
    posting_policy: PostingPolicy | None = Field(default=None, description=POLICY_HELP)
    language: str | None = Field(default=None, max_length=16, description=LANGUAGE_HELP)


NULLABLE = frozenset({"latitude", "longitude"})


class GroupOut(BaseModel):
    """A group as the API shows it."""

    openapi_name: ClassVar[str] = "Group"
    slug: str
    name: str
    handle: str
    url: str
    summary: str
    summary_html: str
    location: str
    latitude: float | None
    longitude: float | None
    tags: list[str]
    visibility: str
    membership_mode: str
    posting_policy: PostingPolicy
    language: str
    member_count: int
    avatar_url: str | None
    banner_url: str | None
    created_at: datetime
    updated_at: datetime


def _media_url(settings: Settings, name: str) -> str | None:
    return f"{settings.base_url}/media/{name}" if name else None


async def group_json(session: AsyncSession, settings: Settings, group: Group) -> dict[str, Any]:
    """The API representation of a group."""
    out = GroupOut(
        slug=group.slug,
        handle=f"@{group.slug}@{settings.instance.domain}",
        url=f"{settings.base_url}/groups/{group.slug}",
        summary_html=group.summary_html,
        **asdict(await group_actions.current_fields(session, group)),
        member_count=await members.member_count(session, group),
        avatar_url=_media_url(settings, group.avatar),
        banner_url=_media_url(settings, group.banner),
        created_at=group.created_at,
        updated_at=group.updated_at,
    )
    return out.model_dump(mode="json")


async def list_groups(request: Request) -> Response:
    """Public groups, filtered like the directory."""
    query = DirectoryQuery.from_params(request.query_params)
    async with db(request) as session:
        groups, total = await search_directory(session, query)
        items = [await group_json(session, settings_of(request), group) for group in groups]
    return JSONResponse(
        {"items": items, "total": total, "page": query.page, "per_page": query.per_page}
    )


async def create(request: Request) -> Response:
    """Create a group owned by the token's user."""
    async with db(request) as session:
        user = await api_user(request, session)
        data = await read_json(request, GroupIn)
        fields = GroupFields(**data.model_dump(exclude={"slug"}, exclude_none=True))
        group = await create_group(session, data.slug, fields, user)
        body = await group_json(session, settings_of(request), group)
    return JSONResponse(body, status_code=201, headers={"Location": f"/api/v1/groups/{group.slug}"})


async def read(request: Request) -> Response:
    """One group."""
    async with db(request) as session:
        group = await get_group(session, request.path_params["slug"])
        return JSONResponse(await group_json(session, settings_of(request), group))


async def patch(request: Request) -> Response:
    """Change a group (its admins, or instance admins)."""

    async def fields(current: GroupFields) -> GroupFields:
        for key, value in _changes(await read_json(request, GroupPatch)).items():
            setattr(current, key, value)
        return current

    async with db(request) as session:
        user = await api_user(request, session)
        group = await group_actions.edit(session, request.path_params["slug"], user, fields)
        return JSONResponse(await group_json(session, settings_of(request), group))


def _changes(data: GroupPatch) -> dict[str, Any]:
    """The fields a PATCH names (only the coordinates may be cleared with null)."""
    changes = data.model_dump(exclude_unset=True)
    nulls = [key for key, value in changes.items() if value is None and key not in NULLABLE]
    if nulls:
        detail = [{"field": key, "message": "may not be null"} for key in nulls]
        raise ApiError(400, "invalid_input", detail)
    return changes


async def remove(request: Request) -> Response:
    """Delete a group (its admins, or instance admins)."""
    async with db(request) as session:
        user = await api_user(request, session)
        await group_actions.delete(session, request.path_params["slug"], user)
    return Response(status_code=204)


async def me(request: Request) -> Response:
    """The token's user and their groups."""
    async with db(request) as session:
        user = await api_user(request, session)
        rows = await groups_of_user(session, user)
        groups = [
            {"slug": group.slug, "name": group.name, "role": m.role, "state": m.state}
            for group, m in rows
        ]
    return JSONResponse(
        {
            "username": user.username,
            "display_name": user.display_name,
            "is_admin": user.is_admin,
            "groups": groups,
        }
    )


GROUP_LIST = listing(GroupOut, "total", "page", "per_page")
#: The directory's filters.
DIRECTORY_QUERY = (
    query("q", description="Words in the name or summary"),
    query("tag"),
    query("place"),
    query("page", "integer", minimum=1),
)
routes = [
    ApiRoute(
        "/api/v1/groups",
        list_groups,
        "GET",
        Doc(
            "List public groups",
            "listGroups",
            {200: ("Groups", GROUP_LIST)},
            (400,),
            auth="none",
            query=DIRECTORY_QUERY,
        ),
    ),
    ApiRoute(
        "/api/v1/groups",
        create,
        "POST",
        Doc(
            "Create a group",
            "createGroup",
            {201: ("Created", GroupOut)},
            (400, 401, 409, 415),
            body=GroupIn,
        ),
    ),
    ApiRoute(
        "/api/v1/groups/{slug}",
        read,
        "GET",
        Doc("Read a group", "getGroup", {200: ("The group", GroupOut)}, (404,), auth="none"),
    ),
    ApiRoute(
        "/api/v1/groups/{slug}",
        patch,
        "PATCH",
        Doc(
            "Change a group",
            "updateGroup",
            {200: ("Changed", GroupOut)},
            (400, 401, 403, 404, 415),
            body=GroupPatch,
        ),
    ),
    ApiRoute(
        "/api/v1/groups/{slug}",
        remove,
        "DELETE",
        Doc("Delete a group", "deleteGroup", {204: ("Deleted", None)}, (401, 403, 404)),
    ),
    ApiRoute(
        "/api/v1/me",
        me,
        "GET",
        Doc(
            "The token's user and their groups",
            "me",
            {200: ("The user", {"type": "object"})},
            (401,),
        ),
    ),
]
