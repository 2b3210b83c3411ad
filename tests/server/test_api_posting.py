"""The JSON API and the posting policy: who may post through a group (read, set, and left
alone by a PATCH that does not name it), with defaults Lemmy and Guppe users expect."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from server.services.groups import get_group
from tests.server.conftest import Tokens
from tests.server.test_api import assert_error, create
from tests.web import WebClient


async def _policy(run_in_db: Callable[..., Any], slug: str) -> str:
    async def read(session: Any) -> str:
        return (await get_group(session, slug)).posting_policy

    return await run_in_db(read)


async def test_patch_leaves_the_posting_policy_alone(
    web: WebClient, bearer: Tokens, run_in_db: Callable[..., Any]
) -> None:
    alice = await bearer("alice")
    await create(web, alice)

    async def moderate(session: Any) -> None:
        (await get_group(session, "club")).posting_policy = "moderated"

    await run_in_db(moderate)
    patched = await web.client.patch("/api/v1/groups/club", json={"name": "Club!"}, headers=alice)
    assert patched.status_code == 200, patched.text
    assert await _policy(run_in_db, "club") == "moderated"


async def test_new_groups_get_the_policy_lemmy_and_guppe_users_expect(
    web: WebClient, bearer: Tokens
) -> None:
    alice = await bearer("alice")
    cases = [("open", None, "followers"), ("approval", None, "members")]
    cases += [("invite", None, "members"), ("open", "moderated", "moderated")]
    for number, (mode, asked, expected) in enumerate(cases):
        fields: dict[str, Any] = {"membership_mode": mode}
        if asked:
            fields["posting_policy"] = asked
        created = await create(web, alice, body={"slug": f"g{number}", "name": "G", **fields})
        assert created.status_code == 201, created.text
        assert created.json()["posting_policy"] == expected
        read = await web.get(f"/api/v1/groups/g{number}")
        assert read.json()["posting_policy"] == expected


async def test_patch_sets_the_posting_policy_and_refuses_bad_values(
    web: WebClient, bearer: Tokens
) -> None:
    alice = await bearer("alice")
    await create(web, alice)
    patched = await web.client.patch(
        "/api/v1/groups/club", json={"posting_policy": "members"}, headers=alice
    )
    assert patched.json()["posting_policy"] == "members"
    renamed = await web.client.patch("/api/v1/groups/club", json={"name": "Z"}, headers=alice)
    assert renamed.json()["posting_policy"] == "members"
    wrong = await web.client.patch(
        "/api/v1/groups/club", json={"posting_policy": "everyone"}, headers=alice
    )
    assert assert_error(wrong, 400, "invalid_input")[0]["field"] == "posting_policy"
    for field in ("posting_policy", "name", "tags"):
        null = await web.client.patch("/api/v1/groups/club", json={field: None}, headers=alice)
        assert assert_error(null, 400, "invalid_input") == [
            {"field": field, "message": "may not be null"}
        ]
    assert (await web.get("/api/v1/groups/club")).json()["name"] == "Z"


async def test_the_web_form_asks_and_the_group_page_says(web: WebClient) -> None:
    await web.login_as_new("alice")
    form = await web.get("/groups/new")
    assert 'name="posting_policy" value="" checked' in form.text
    assert "Lemmy communities and Guppe groups" in form.text
    for slug, mode, policy, shown in [
        ("open", "open", "", "Shares posts by members and followers"),
        ("vetted", "approval", "", "Shares posts by members"),
        ("careful", "open", "moderated", "Shares posts after moderator review"),
    ]:
        response = await web.create_group(slug, membership_mode=mode, posting_policy=policy)
        assert response.status_code == 303, response.text
        page = await web.get(f"/groups/{slug}")
        assert f"{shown}</li>" in page.text
    edit = await web.get("/groups/vetted/edit")
    assert 'name="posting_policy" value="members" checked' in edit.text
    assert 'name="posting_policy" value=""' not in edit.text
