"""``/api/v1/groups/{slug}/posts``: a group's announcements, as the web UI has them — list,
read, post as the group, edit and delete (each federates: Create, Update, Delete of a Note)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from server.activitypub.mentions import entities_of
from server.api.common import api_user, read_json
from server.db import db
from server.errors import NotFound
from server.inputs import page_number, row_id
from server.models import Group, GroupPost, User
from server.request_scope import settings_of
from server.services import membership as members
from server.services import post_actions
from server.services.groups import get_group
from server.services.posts import (
    MAX_POST,
    get_post,
    list_posts,
)
from server.uris import LocalUris

PER_PAGE = 20


class PostIn(BaseModel):
    """A new announcement, posted as the group."""

    model_config = ConfigDict(extra="forbid")

    content: str = Field(min_length=1, max_length=MAX_POST, description="Markdown")
    visibility: Literal["public", "unlisted", "followers", "members"] = "public"


class PostPatch(BaseModel):
    """A post's new text (its visibility does not change once sent)."""

    model_config = ConfigDict(extra="forbid")

    content: str = Field(min_length=1, max_length=MAX_POST, description="Markdown")


class PostOut(BaseModel):
    """An announcement as the API shows it."""

    id: int
    group: str
    url: str
    content: str
    content_html: str
    visibility: str
    published_at: str
    updated_at: str | None


def post_json(uris: LocalUris, group: Group, post: GroupPost) -> dict[str, Any]:
    """The API representation of a post."""
    return PostOut(
        id=post.id or 0,
        group=group.slug,
        url=uris.post(group.slug, post.id or 0),
        content=post.content_md,
        content_html=post.content_html,
        visibility=post.visibility,
        published_at=post.published_at.isoformat(),
        updated_at=post.updated_at.isoformat() if post.updated_at else None,
    ).model_dump()


async def _reader(request: Request, session: AsyncSession) -> User | None:
    """The token's user when a token is sent (a wrong token is 401), else nobody."""
    return await api_user(request, session) if "authorization" in request.headers else None


async def _sees_all(session: AsyncSession, group: Group, user: User | None) -> bool:
    """Members see members-only and followers-only posts too, as on the group page."""
    membership = await members.get_membership(session, group, user)
    return members.may(user, membership, "see_members")


async def _posting(request: Request, session: AsyncSession) -> tuple[Group, User]:
    user = await api_user(request, session)
    return await post_actions.posting_group(session, request.path_params["slug"], user), user


def _post_id(request: Request) -> int:
    found = row_id(request.path_params["post_id"])
    if found is None:
        raise NotFound("No such post.")
    return found


async def list_group_posts(request: Request) -> Response:
    """The group's posts, newest first (``page``): public ones, or all of them for members."""
    page = page_number(request.query_params.get("page"))
    uris = LocalUris(settings_of(request))
    async with db(request) as session:
        user = await _reader(request, session)
        group = await get_group(session, request.path_params["slug"])
        everything = await _sees_all(session, group, user)
        posts, total = await list_posts(
            session, group, public_only=not everything, offset=(page - 1) * PER_PAGE
        )
    items = [post_json(uris, group, post) for post in posts]
    return JSONResponse({"items": items, "total": total, "page": page, "per_page": PER_PAGE})


async def read(request: Request) -> Response:
    """One post (members-only and followers-only ones for members)."""
    async with db(request) as session:
        user = await _reader(request, session)
        group = await get_group(session, request.path_params["slug"])
        post = await get_post(session, group, _post_id(request))
        if post.visibility not in ("public", "unlisted") and not await _sees_all(
            session, group, user
        ):
            raise NotFound("No such post.")
    return JSONResponse(post_json(LocalUris(settings_of(request)), group, post))


async def create(request: Request) -> Response:
    """Post as the group (its admins and moderators); followers get ``Create(Note)``."""
    settings = settings_of(request)
    async with db(request) as session:
        await _posting(request, session)
        data = await read_json(request, PostIn)
    entities = await entities_of(request, data.content)
    async with db(request) as session:
        user = await api_user(request, session)
        group, post = await post_actions.publish(
            session,
            settings,
            request.path_params["slug"],
            user,
            data.content,
            data.visibility,
            entities,
        )
        body = post_json(LocalUris(settings), group, post)
    location = f"/api/v1/groups/{group.slug}/posts/{post.id}"
    return JSONResponse(body, status_code=201, headers={"Location": location})


async def patch(request: Request) -> Response:
    """Change a post's text; followers get ``Update(Note)``."""
    settings = settings_of(request)
    async with db(request) as session:
        user = await api_user(request, session)
        await post_actions.group_post(session, request.path_params["slug"], user, _post_id(request))
        data = await read_json(request, PostPatch)
    entities = await entities_of(request, data.content)
    async with db(request) as session:
        user = await api_user(request, session)
        group, post = await post_actions.edit(
            session,
            settings,
            request.path_params["slug"],
            user,
            _post_id(request),
            data.content,
            entities,
        )
        body = post_json(LocalUris(settings), group, post)
    return JSONResponse(body)


async def remove(request: Request) -> Response:
    """Delete a post; followers get ``Delete`` with a Tombstone."""
    async with db(request) as session:
        user = await api_user(request, session)
        await post_actions.delete(
            session, settings_of(request), request.path_params["slug"], user, _post_id(request)
        )
    return Response(status_code=204)


routes = [
    Route("/api/v1/groups/{slug}/posts", list_group_posts, methods=["GET"]),
    Route("/api/v1/groups/{slug}/posts", create, methods=["POST"]),
    Route("/api/v1/groups/{slug}/posts/{post_id}", read, methods=["GET"]),
    Route("/api/v1/groups/{slug}/posts/{post_id}", patch, methods=["PATCH"]),
    Route("/api/v1/groups/{slug}/posts/{post_id}", remove, methods=["DELETE"]),
]
