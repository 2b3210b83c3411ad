"""Delivery as followers' servers see it: group posts, edits and deletions arrive signed by
the group, once per shared inbox; failures are retried on schedule (time is advanced in the
database, never slept), refusals are final, a dead server holds nobody up, and queued work
survives a restart."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlmodel import col, update

from server.activitypub.queue import claim_due
from server.activitypub.runtime import runtime_of
from server.app import create_app
from server.db import create_engine, utcnow
from server.models import Delivery, Follow, GroupPost, OutboxActivity
from tests.federation_net import FederationNet, Instance
from tests.flows.peer import PUBLIC, Peer, fetch_public_key, verify_cavage
from tests.flows.scenes import follow_from_peer, organize_group, post_as_group, rows

CLUB = "https://b.test/groups/club"
SHARED = "https://peer.test/inbox"


async def _club_followed_by(net: FederationNet, peer: Peer, *names: str) -> Instance:
    b = await net.add("b")
    await organize_group(b, "club")
    for name in names or ("bob",):
        actor = peer.actors.get(name) or peer.add_actor(name)
        await follow_from_peer(net, peer, actor, b, "club")
    return b


async def _to(b: Instance, inbox: str) -> list[Delivery]:
    return await rows(b, Delivery, Delivery.inbox == inbox)


async def _advance_clock(b: Instance) -> None:
    """Make every pending retry due now, as if its wait had passed."""

    async def due(session: Any) -> None:
        moment = utcnow() - timedelta(seconds=1)
        await session.exec(
            update(Delivery).where(col(Delivery.state) == "pending").values(next_attempt_at=moment)
        )

    await b.run(due)


async def test_server_error_is_retried_later_then_delivered(net: FederationNet, peer: Peer) -> None:
    b = await _club_followed_by(net, peer)
    peer.answer(500)
    await post_as_group(b, "club", "Meetup moved to Friday")
    await net.drain()

    [failed] = await _to(b, SHARED)
    assert (failed.state, failed.attempts, failed.last_status) == ("pending", 1, 500)
    assert failed.next_attempt_at > utcnow()
    assert failed.leased_until is None
    await net.drain()
    assert len(peer.posts("/inbox")) == 1  # not due yet: nothing sent

    await _advance_clock(b)
    await net.drain()
    [delivered] = await _to(b, SHARED)
    assert (delivered.state, delivered.attempts, delivered.last_status) == ("delivered", 2, 202)
    first, second = peer.posts("/inbox")
    assert first.body == second.body
    _, pem = await fetch_public_key(net.http, CLUB)
    verify_cavage(second, pem)


async def test_gone_inbox_is_given_up_and_never_retried(net: FederationNet, peer: Peer) -> None:
    b = await _club_followed_by(net, peer)
    peer.answer(410)
    await post_as_group(b, "club", "Anyone there?")
    await net.drain()
    [row] = await _to(b, SHARED)
    assert (row.state, row.attempts, row.last_status) == ("given_up", 1, 410)

    await _advance_clock(b)
    await net.drain()
    assert len(peer.posts("/inbox")) == 1
    assert (await _to(b, SHARED))[0].attempts == 1


async def test_rate_limited_delivery_waits_for_retry_after(net: FederationNet, peer: Peer) -> None:
    b = await _club_followed_by(net, peer)
    peer.answer(429, **{"Retry-After": "3600"})
    before = utcnow()
    await post_as_group(b, "club", "Slow down")
    await net.drain()
    [row] = await _to(b, SHARED)
    assert (row.state, row.attempts, row.last_status) == ("pending", 1, 429)
    assert row.next_attempt_at >= before + timedelta(hours=1)


async def test_a_dead_server_does_not_hold_up_a_healthy_one(net: FederationNet, peer: Peer) -> None:
    dead = Peer("dead.test")
    net.router.add(dead.host, dead.app)
    b = await net.add("b")
    await organize_group(b, "club")
    await follow_from_peer(net, dead, dead.add_actor("dora"), b, "club")  # queued first
    await follow_from_peer(net, peer, peer.add_actor("bob"), b, "club")
    net.router.down.add(dead.host)

    await post_as_group(b, "club", "Still on for Friday")
    report = await runtime_of(b.app).worker.run_once()
    assert (report.delivered, report.failed) == (1, 1)  # both tried in one round
    assert [r.json()["type"] for r in peer.posts("/inbox")] == ["Create"]
    [stuck] = await _to(b, "https://dead.test/inbox")
    assert (stuck.state, stuck.attempts, stuck.last_status) == ("pending", 1, None)
    assert "refused" in stuck.last_error

    await b.web.login_as_new("root", is_admin=True)
    page = await b.web.get("/admin/federation")
    assert page.status_code == 200
    failing = page.text.split("Failing servers", 1)[1].split("Other servers", 1)[0]
    assert "dead.test" in failing and "retrying" in failing
    assert "peer.test" not in failing


async def test_queued_work_survives_a_restart(net: FederationNet, peer: Peer) -> None:
    b = await _club_followed_by(net, peer)
    carol = peer.add_actor("carol")
    await post_as_group(b, "club", "Before the restart")
    follow = carol.activity("Follow", CLUB)
    assert (await peer.post(net.http, f"{CLUB}/inbox", follow)).status_code == 202

    async def crash_mid_delivery(session: Any) -> int:
        return len(await claim_due(session, limit=64))  # leased by a worker that then dies

    assert await b.run(crash_mid_delivery) == 1
    engine = create_engine(b.settings.database_url, b.settings.database.schema)
    restarted = create_app(b.settings, http=net.http, engine=engine, run_worker=False)
    net.router.add("b.test", restarted)
    try:
        await runtime_of(
            restarted
        ).worker.run_once()  # processes carol's Follow; the lease still holds
        assert [r.json()["type"] for r in peer.posts()] == ["Accept", "Accept"]

        async def lease_expired(session: Any) -> None:
            await session.exec(
                update(Delivery).values(leased_until=utcnow() - timedelta(seconds=1))
            )

        await b.run(lease_expired)
        for _ in range(10):
            if not (await runtime_of(restarted).worker.run_once()).busy:
                break
    finally:
        await engine.dispose()
    assert [r.json()["type"] for r in peer.posts("/inbox")] == ["Create"]
    assert {row.state for row in await rows(b, Delivery)} == {"delivered"}
    assert {f.follower_uri for f in await rows(b, Follow)} == {peer.actors["bob"].uri, carol.uri}


async def test_followers_on_one_server_get_one_post_at_the_shared_inbox(
    net: FederationNet, peer: Peer
) -> None:
    lone = peer.add_actor("lone", shared_inbox=False)
    b = await _club_followed_by(net, peer, "bob", "carol", "dave", lone.name)
    assert len(peer.posts()) == 4  # one Accept to each personal inbox
    await post_as_group(b, "club", "One copy, please")
    await net.drain()
    assert [r.json()["type"] for r in peer.posts("/inbox")] == ["Create"]
    assert [r.json()["type"] for r in peer.posts(lone.inbox.removeprefix("https://peer.test"))] == [
        "Accept",
        "Create",
    ]
    [create] = await rows(b, OutboxActivity, OutboxActivity.type == "Create")
    assert sorted(
        row.inbox for row in await rows(b, Delivery, Delivery.activity_id == create.id)
    ) == sorted([SHARED, lone.inbox])


async def test_post_edit_and_delete_reach_followers_signed_by_the_group(
    net: FederationNet, peer: Peer
) -> None:
    b = await _club_followed_by(net, peer)
    key_id, pem = await fetch_public_key(net.http, CLUB)
    await post_as_group(b, "club", "Meetup at **6 pm**")
    await net.drain()
    [post] = await rows(b, GroupPost)
    note_id = f"{CLUB}/posts/{post.id}"

    async def posted_a_minute_ago(session: Any) -> None:
        # ``updated`` is only sent when it is a later second than ``published``; an edit
        # in the same second as the post would reach Mastodon without it and be ignored.
        moment = post.published_at - timedelta(minutes=1)
        await session.exec(
            update(GroupPost).where(col(GroupPost.id) == post.id).values(published_at=moment)
        )

    await b.run(posted_a_minute_ago)
    page = f"/groups/club/posts/{post.id}"
    edited = await b.web.post_form(
        f"{page}/edit", {"content": "Meetup at **7 pm**"}, csrf_from=page
    )
    assert edited.status_code == 303
    await net.drain()
    deleted = await b.web.post_form(f"{page}/delete", {}, csrf_from=page)
    assert deleted.status_code == 303
    await net.drain()

    create, edit, delete = peer.posts("/inbox")
    for received in (create, edit, delete):
        assert verify_cavage(received, pem)["keyId"] == key_id
        assert received.json()["actor"] == CLUB
    assert [r.json()["type"] for r in (create, edit, delete)] == ["Create", "Update", "Delete"]
    note = create.json()["object"]
    assert (note["type"], note["id"], note["attributedTo"]) == ("Note", note_id, CLUB)
    assert "<strong>6 pm</strong>" in note["content"] and PUBLIC in note["to"]
    update_note = edit.json()["object"]
    assert (update_note["id"], "<strong>7 pm</strong>" in update_note["content"]) == (note_id, True)
    assert update_note["updated"]
    tombstone = delete.json()["object"]
    assert (tombstone["id"], tombstone["type"]) == (note_id, "Tombstone")
    gone = await net.http.get(note_id, headers={"Accept": "application/activity+json"})
    assert gone.status_code in (404, 410)
