"""The group posts and follows part of the OpenAPI document (see ``server.api.openapi``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from server.api.follows import FollowIn, FollowOut
from server.api.posts import PostIn, PostOut, PostPatch

JsonObject = dict[str, Any]
MODELS = (PostIn, PostPatch, PostOut, FollowIn, FollowOut)

SLUG_PARAM = {"name": "slug", "in": "path", "required": True, "schema": {"type": "string"}}
POST_PARAM = {"name": "post_id", "in": "path", "required": True, "schema": {"type": "integer"}}
FOLLOW_PARAM = {"name": "follow_id", "in": "path", "required": True, "schema": {"type": "integer"}}
PAGE_PARAM = {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1}}
SECURED: list[dict[str, list[str]]] = [{"bearer": []}]
#: Reading works without a token; with one, members also see members-only posts.
OPTIONAL_TOKEN: list[JsonObject] = [{}, {"bearer": []}]


def post_paths(
    ref: Callable[[str], JsonObject],
    json_body: Callable[[JsonObject, str], JsonObject],
    errors: Callable[..., JsonObject],
) -> JsonObject:
    """Paths of the group posts and follows API."""

    def body(name: str) -> JsonObject:
        return {"required": True, "content": {"application/json": {"schema": ref(name)}}}

    def items(name: str, *paged: str) -> JsonObject:
        extra = {key: {"type": "integer"} for key in paged}
        array = {"type": "array", "items": ref(name)}
        return {"type": "object", "properties": {"items": array, **extra}}

    def operation(summary: str, operation_id: str, ok: JsonObject, *fails: int) -> JsonObject:
        return {
            "summary": summary,
            "operationId": operation_id,
            "security": SECURED,
            "responses": {**ok, **errors(*fails)},
        }

    def changes(summary: str, operation_id: str, model: str, ok: JsonObject) -> JsonObject:
        found = operation(summary, operation_id, ok, 400, 401, 403, 404, 415)
        return found | {"requestBody": body(model)}

    deleted = {"204": {"description": "Done"}}
    post = {"200": json_body(ref("Post"), "The post")}
    posts = {"200": json_body(items("Post", "total", "page", "per_page"), "Posts")}
    follow = {"201": json_body(ref("Follow"), "Follow sent (pending until accepted)")}
    return {
        "/api/v1/groups/{slug}/posts": {
            "parameters": [SLUG_PARAM],
            "get": operation("A group's posts, newest first", "listGroupPosts", posts, 401, 404)
            | {"security": OPTIONAL_TOKEN, "parameters": [PAGE_PARAM]},
            "post": changes(
                "Post as the group (admins and moderators); sent to its followers",
                "createGroupPost",
                "PostIn",
                {"201": json_body(ref("Post"), "Posted")},
            ),
        },
        "/api/v1/groups/{slug}/posts/{post_id}": {
            "parameters": [SLUG_PARAM, POST_PARAM],
            "get": operation("Read a post", "getGroupPost", post, 401, 404)
            | {"security": OPTIONAL_TOKEN},
            "patch": changes(
                "Change a post's text (followers get an Update)",
                "updateGroupPost",
                "PostPatch",
                post,
            ),
            "delete": operation(
                "Delete a post (followers get a Delete)", "deleteGroupPost", deleted, 401, 403, 404
            ),
        },
        "/api/v1/follows": {
            "get": operation(
                "The fediverse accounts the token's user follows",
                "listFollows",
                {"200": json_body(items("Follow"), "Follows")},
                401,
            ),
            "post": operation(
                "Follow a fediverse account by its handle (found through WebFinger)",
                "createFollow",
                follow,
                400,
                401,
                404,
                409,
                415,
            )
            | {"requestBody": body("FollowIn")},
        },
        "/api/v1/follows/{follow_id}": {
            "parameters": [FOLLOW_PARAM],
            "delete": operation(
                "Unfollow (sends Undo of the Follow)", "deleteFollow", deleted, 401, 404
            ),
        },
    }
