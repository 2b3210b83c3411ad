"""A user on one instance finds a group on another by handle, follows it and sees its posts."""

from __future__ import annotations

from sqlmodel import select

from server.models import Follow, RemotePost
from tests.federation_net import FederationNet, Instance


async def _group_with_admin(instance: Instance, slug: str, mode: str = "open") -> None:
    await instance.web.login_as_new("organizer")
    response = await instance.web.create_group(
        slug, "Book Club", summary="We read", membership_mode=mode
    )
    assert response.status_code == 303, response.text


async def _follow_states(instance: Instance) -> list[tuple[str, str, str]]:
    async def query(session):  # type: ignore[no-untyped-def]
        rows = await session.exec(select(Follow))
        return [(f.follower_uri, f.followee_uri, f.state) for f in rows.all()]

    return await instance.run(query)


async def test_follow_open_group_and_receive_posts(net: FederationNet) -> None:
    a = await net.add("a")
    b = await net.add("b")
    await _group_with_admin(b, "club")
    await a.web.login_as_new("alice")

    response = await a.web.post_form("/follow", {"handle": "@club@b.test"}, csrf_from="/home")
    assert response.status_code == 303
    await net.drain()

    alice, club = "https://a.test/users/alice", "https://b.test/groups/club"
    assert await _follow_states(a) == [(alice, club, "accepted")]
    assert await _follow_states(b) == [(alice, club, "accepted")]

    post = await b.web.post_form(
        "/groups/club/posts",
        {"content": "First **meetup** on Friday!", "visibility": "public"},
        csrf_from="/groups/club",
    )
    assert post.status_code == 303
    await net.drain()

    home = await a.web.get("/home")
    assert "First <strong>meetup</strong> on Friday!" in home.text

    async def posts(session):  # type: ignore[no-untyped-def]
        return list((await session.exec(select(RemotePost))).all())

    stored = await a.run(posts)
    assert [p.actor_uri for p in stored] == [club]


async def test_approval_group_follow_waits_then_is_approved(net: FederationNet) -> None:
    a = await net.add("a")
    b = await net.add("b")
    await _group_with_admin(b, "club", mode="approval")
    await a.web.login_as_new("alice")
    await a.web.post_form("/follow", {"handle": "club@b.test"}, csrf_from="/home")
    await net.drain()
    alice, club = "https://a.test/users/alice", "https://b.test/groups/club"
    assert await _follow_states(b) == [(alice, club, "pending")]
    assert await _follow_states(a) == [(alice, club, "pending")]

    page = await b.web.get("/groups/club/follow-requests")
    assert "@alice@a.test" in page.text
    follow_id = page.text.split("/groups/club/follow-requests/")[1].split('"')[0]
    response = await b.web.post_form(
        f"/groups/club/follow-requests/{follow_id}",
        {"action": "approve"},
        csrf_from="/groups/club/follow-requests",
    )
    assert response.status_code == 303
    await net.drain()
    assert await _follow_states(a) == [(alice, club, "accepted")]
    assert await _follow_states(b) == [(alice, club, "accepted")]


async def test_rejected_follow_is_removed_on_both_sides(net: FederationNet) -> None:
    a = await net.add("a")
    b = await net.add("b")
    await _group_with_admin(b, "club", mode="approval")
    await a.web.login_as_new("alice")
    await a.web.post_form("/follow", {"handle": "@club@b.test"}, csrf_from="/home")
    await net.drain()
    page = await b.web.get("/groups/club/follow-requests")
    follow_id = page.text.split("/groups/club/follow-requests/")[1].split('"')[0]
    await b.web.post_form(
        f"/groups/club/follow-requests/{follow_id}",
        {"action": "reject"},
        csrf_from="/groups/club/follow-requests",
    )
    await net.drain()
    assert await _follow_states(a) == []
    assert await _follow_states(b) == []


async def test_unfollow_sends_undo(net: FederationNet) -> None:
    a = await net.add("a")
    b = await net.add("b")
    await _group_with_admin(b, "club")
    await a.web.login_as_new("alice")
    await a.web.post_form("/follow", {"handle": "@club@b.test"}, csrf_from="/home")
    await net.drain()
    response = await a.web.post_form(
        "/unfollow", {"actor": "https://b.test/groups/club"}, csrf_from="/home"
    )
    assert response.status_code == 303
    await net.drain()
    assert await _follow_states(a) == []
    assert await _follow_states(b) == []
