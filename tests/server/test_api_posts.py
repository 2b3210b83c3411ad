"""``/api/v1/groups/NAME/posts``: organizers post, edit and delete announcements through the
API as through the web UI; readers see what the group page would show them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from server.services.groups import get_group
from server.services.membership import join_group
from server.services.users import get_user
from tests.server.conftest import Tokens
from tests.server.test_api import assert_error, create
from tests.web import WebClient

POSTS = "/api/v1/groups/club/posts"


async def test_post_edit_and_delete_through_the_api(web: WebClient, bearer: Tokens) -> None:
    alice = await bearer("alice")
    await create(web, alice)
    created = await web.client.post(POSTS, json={"content": "Meet on **Sunday**"}, headers=alice)
    assert created.status_code == 201, created.text
    post = created.json()
    assert post["content_html"].strip() == "<p>Meet on <strong>Sunday</strong></p>"
    assert (post["visibility"], post["updated_at"]) == ("public", None)
    assert created.headers["location"] == f"{POSTS}/{post['id']}"
    page = await web.get(f"/groups/club/posts/{post['id']}")
    assert "<strong>Sunday</strong>" in page.text

    edited = await web.client.patch(
        f"{POSTS}/{post['id']}", json={"content": "Saturday now"}, headers=alice
    )
    assert edited.status_code == 200, edited.text
    assert edited.json()["content"] == "Saturday now"
    assert edited.json()["updated_at"] is not None
    listed = (await web.get(POSTS)).json()
    assert [item["content"] for item in listed["items"]] == ["Saturday now"]
    assert listed["total"] == 1

    deleted = await web.client.delete(f"{POSTS}/{post['id']}", headers=alice)
    assert deleted.status_code == 204
    assert_error(await web.get(f"{POSTS}/{post['id']}"), 404, "not_found")
    assert (await web.get(POSTS)).json()["items"] == []


async def test_only_organizers_post_and_members_only_posts_stay_with_members(
    web: WebClient, bearer: Tokens, run_in_db: Callable[..., Any]
) -> None:
    alice, bob, eve = await bearer("alice"), await bearer("bob"), await bearer("eve")
    await create(web, alice)

    async def bob_joins(session: Any) -> None:
        await join_group(session, await get_group(session, "club"), await get_user(session, "bob"))

    await run_in_db(bob_joins)
    refused = await web.client.post(POSTS, json={"content": "hi"}, headers=bob)
    assert assert_error(refused, 403, "forbidden")
    secret = await web.client.post(
        POSTS, json={"content": "door code 1234", "visibility": "members"}, headers=alice
    )
    number = secret.json()["id"]
    assert (await web.get(POSTS)).json()["items"] == []
    assert_error(await web.get(f"{POSTS}/{number}"), 404, "not_found")
    assert_error(await web.get(f"{POSTS}/{number}", headers=eve), 404, "not_found")
    assert (await web.get(f"{POSTS}/{number}", headers=bob)).json()["content"] == "door code 1234"
    assert (await web.get(POSTS, headers=bob)).json()["total"] == 1
    for method in ("PATCH", "DELETE"):
        attempt = await web.client.request(
            method, f"{POSTS}/{number}", json={"content": "x"}, headers=eve
        )
        assert_error(attempt, 403, "forbidden")


async def test_bad_post_requests_get_clear_errors(web: WebClient, bearer: Tokens) -> None:
    alice = await bearer("alice")
    await create(web, alice)
    empty = await web.client.post(POSTS, json={"content": ""}, headers=alice)
    assert assert_error(empty, 400, "invalid_input")[0]["field"] == "content"
    blank = await web.client.post(POSTS, json={"content": "   "}, headers=alice)
    assert assert_error(blank, 400, "invalid_input")
    odd = await web.client.post(POSTS, json={"content": "x", "visibility": "all"}, headers=alice)
    assert assert_error(odd, 400, "invalid_input")[0]["field"] == "visibility"
    for path in (f"{POSTS}/abc", f"{POSTS}/99999999999999999999", f"{POSTS}/7"):
        assert_error(await web.get(path), 404, "not_found")
    wrong = await web.get(POSTS, headers={"Authorization": "Bearer nope"})
    assert_error(wrong, 401, "unauthorized")
    assert_error(await web.get("/api/v1/groups/nothing/posts"), 404, "not_found")
