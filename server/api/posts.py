"""``/api/v1/groups/{slug}/posts``: a group's announcements, as the web UI has them — list,
read, post as the group, edit and delete (each federates: Create, Update, Delete of a Note)."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from server import limits
from server.activitypub.mentions import entities_of
from server.api.common import api_user, read_json
from server.api.spec import ApiRoute, Doc, listing, query
from server.db import db
from server.errors import NotFound
from server.inputs import page_number, row_id
from server.models import Group, GroupPost, User
from server.request_scope import settings_of
from server.services import membership as members
from server.services import post_actions
from server.services.groups import get_group
from server.services.posts import (
    get_post,
    list_posts,
)
from server.uris import LocalUris

PER_PAGE = 20


class PostIn(BaseModel):
    """A new announcement, posted as the group."""

    model_config = ConfigDict(extra="forbid")

    content: str = limits.POST.field(description="Markdown")
    visibility: Literal["public", "unlisted", "followers", "members"] = "public"


class PostPatch(BaseModel):
    """A post's new text (its visibility does not change once sent)."""

    model_config = ConfigDict(extra="forbid")

    content: str = limits.POST.field(description="Markdown")


class PostOut(BaseModel):
    """An announcement as the API shows it."""

    openapi_name: ClassVar[str] = "Post"
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
        slug, content = request.path_params["slug"], data.content
        group, post = await post_actions.publish(
            session, settings, slug, user, content, data.visibility, entities
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
        slug, post_id = request.path_params["slug"], _post_id(request)
        group, post = await post_actions.edit(
            session, settings, slug, user, post_id, data.content, entities
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


POST_LIST = listing(PostOut, "total", "page", "per_page")
WRITE_ERRORS = (400, 401, 403, 404, 415)
routes = [
    ApiRoute(
        "/api/v1/groups/{slug}/posts",
        list_group_posts,
        "GET",
        Doc(
            "A group's posts, newest first",
            "listGroupPosts",
            {200: ("Posts", POST_LIST)},
            (401, 404),
            auth="optional",
            query=(query("page", "integer", minimum=1),),
        ),
    ),
    ApiRoute(
        "/api/v1/groups/{slug}/posts",
        create,
        "POST",
        Doc(
            "Post as the group (admins and moderators); sent to its followers",
            "createGroupPost",
            {201: ("Posted", PostOut)},
            WRITE_ERRORS,
            body=PostIn,
        ),
    ),
    ApiRoute(
        "/api/v1/groups/{slug}/posts/{post_id}",
        read,
        "GET",
        Doc(
            "Read a post", "getGroupPost", {200: ("The post", PostOut)}, (401, 404), auth="optional"
        ),
    ),
    ApiRoute(
        "/api/v1/groups/{slug}/posts/{post_id}",
        patch,
        "PATCH",
        Doc(
            "Change a post's text (followers get an Update)",
            "updateGroupPost",
            {200: ("The post", PostOut)},
            WRITE_ERRORS,
            body=PostPatch,
        ),
    ),
    ApiRoute(
        "/api/v1/groups/{slug}/posts/{post_id}",
        remove,
        "DELETE",
        Doc(
            "Delete a post (followers get a Delete)",
            "deleteGroupPost",
            {204: ("Done", None)},
            (401, 403, 404),
        ),
    ),
]
