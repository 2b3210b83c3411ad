"""Groups relay their conversations (issue #6, FEP-1b12): a Mastodon-shaped follower posts
"@club hello"; every other follower gets the group's Announce of the Create (with
``audience``) and its boost (Announce of the note's id); a moderator deletes it and the
deletion (Undo of the boost, Announce of a Delete) reaches them. Direct messages, spam that
mentions many groups and non-members (in a members-only group) are not relayed; a moderated
group holds posts for review; replies thread on the group page; the author's own Update and
Delete are relayed."""

from __future__ import annotations

import json
import re
from typing import Any

from sqlmodel import select

from server.models import Group
from server.models_federation import Delivery, OutboxActivity
from server.models_moderation import GroupBlock, RelayedPost
from tests.federation_net import FederationNet, Instance
from tests.flows.peer import Peer, PeerActor
from tests.flows.scenes import follow_from_peer, organize_group, rows

CLUB = "https://b.test/groups/club"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


async def _club(
    net: FederationNet, peer: Peer, policy: str = "followers"
) -> tuple[Instance, Instance, PeerActor]:
    """B's club (posting policy ``policy``) followed by alice on A and by mo on the peer."""
    a, b = await net.add("a"), await net.add("b")
    await organize_group(b, "club")

    async def set_policy(session: Any) -> None:
        group = (await session.exec(select(Group).where(Group.slug == "club"))).one()
        group.posting_policy = policy
        session.add(group)

    await b.run(set_policy)
    await a.web.login_as_new("alice")
    response = await a.web.post_form("/follow", {"handle": "@club@b.test"}, csrf_from="/home")
    assert response.status_code == 303
    mo = peer.add_actor("mo")
    await follow_from_peer(net, peer, mo, b, "club")
    await net.drain()
    peer.received.clear()
    return a, b, mo


def _note(actor: PeerActor, number: int, text: str, **fields: Any) -> dict[str, Any]:
    note = {
        "id": f"{actor.uri}/statuses/{number}",
        "type": "Note",
        "attributedTo": actor.uri,
        "content": f'<p><span class="h-card"><a href="{CLUB}">@club</a></span> {text}</p>',
        "to": [PUBLIC],
        "cc": [f"{actor.uri}/followers", CLUB],
        "tag": [{"type": "Mention", "href": CLUB, "name": "@club@b.test"}],
        "published": "2026-12-01T10:00:00Z",
        **fields,
    }
    return actor.activity("Create", note, to=note["to"], cc=note["cc"])


async def _post(net: FederationNet, peer: Peer, activity: dict[str, Any]) -> None:
    response = await peer.post(net.http, "https://b.test/inbox", activity)
    assert response.status_code == 202, response.text
    await net.drain()


async def _group_sent(b: Instance) -> list[tuple[str, Any, list[str]]]:
    """(type, object, delivered inboxes) of what the group published, oldest first."""
    sent = []
    for row in await rows(b, OutboxActivity, OutboxActivity.actor_uri == CLUB):
        activity = json.loads(row.body)
        inboxes = sorted(d.inbox for d in await rows(b, Delivery, Delivery.activity_id == row.id))
        sent.append((activity["type"], activity["object"], inboxes))
    return sent


def _announces(sent: list[tuple[str, Any, list[str]]]) -> list[tuple[str, Any, list[str]]]:
    return [item for item in sent if item[0] in ("Announce", "Undo")]


async def test_a_followers_mention_is_relayed_in_both_forms_and_a_moderator_deletes_it(
    net: FederationNet, peer: Peer
) -> None:
    _, b, mo = await _club(net, peer)
    create = _note(mo, 1, "hello")
    await _post(net, peer, create)
    [relay, boost] = _announces(await _group_sent(b))
    assert relay[1] == {k: v for k, v in create.items() if k != "@context"}
    assert boost[1] == create["object"]["id"]
    for _, _, inboxes in (relay, boost):
        assert inboxes == ["https://a.test/inbox", "https://peer.test/inbox"]
    [outbox_row] = [r for r in await rows(b, OutboxActivity) if '"audience"' in r.body]
    assert f'"audience":"{CLUB}"' in outbox_row.body
    page = (await b.web.get("/groups/club")).text
    assert "hello" in page and "@mo@peer.test" in page

    [post] = await rows(b, RelayedPost)
    response = await b.web.post_form(
        f"/groups/club/relayed/{post.id}", {"action": "delete"}, csrf_from="/groups/club"
    )
    assert response.status_code == 303, response.text
    await net.drain()
    after = _announces(await _group_sent(b))[2:]
    kinds = sorted((kind, obj["type"] if isinstance(obj, dict) else obj) for kind, obj, _ in after)
    assert ("Announce", "Delete") in kinds and ("Undo", "Announce") in kinds
    undone = [obj for kind, obj, _ in after if kind == "Undo"]
    assert {u["object"] for u in undone} >= {create["object"]["id"]}
    for _, _, inboxes in after:
        assert inboxes == ["https://a.test/inbox", "https://peer.test/inbox"]
    assert await rows(b, RelayedPost) == []
    assert "hello" not in (await b.web.get("/groups/club")).text


async def test_direct_messages_spam_and_strangers_are_not_relayed(
    net: FederationNet, peer: Peer
) -> None:
    _, b, mo = await _club(net, peer, policy="members")
    await _post(net, peer, _note(mo, 1, "not a member"))
    await _post(net, peer, _note(mo, 2, "psst", to=[CLUB], cc=[]))
    others = [f"https://b.test/groups/g{n}" for n in range(4)]
    spam = _note(mo, 3, "buy now", cc=[CLUB, *others])
    spam["object"]["tag"] += [{"type": "Mention", "href": uri} for uri in others]
    await _post(net, peer, spam)
    assert await rows(b, RelayedPost) == []
    assert _announces(await _group_sent(b)) == []


async def test_a_moderated_group_holds_posts_until_a_moderator_shares_them(
    net: FederationNet, peer: Peer
) -> None:
    _, b, mo = await _club(net, peer, policy="moderated")
    await _post(net, peer, _note(mo, 1, "may I?"))
    [post] = await rows(b, RelayedPost)
    assert post.state == "held" and _announces(await _group_sent(b)) == []
    review = (await b.web.get("/groups/club/review")).text
    assert "may I?" in review
    response = await b.web.post_form(
        f"/groups/club/relayed/{post.id}",
        {"action": "approve", "next": "/groups/club/review"},
        csrf_from="/groups/club/review",
    )
    assert response.status_code == 303 and response.headers["location"] == "/groups/club/review"
    await net.drain()
    assert len(_announces(await _group_sent(b))) == 2


async def test_replies_thread_and_the_authors_update_and_delete_are_relayed(
    net: FederationNet, peer: Peer
) -> None:
    _, b, mo = await _club(net, peer)
    first = _note(mo, 1, "who brings the ladder?")
    await _post(net, peer, first)
    reply = _note(mo, 2, "I do", inReplyTo=first["object"]["id"])
    reply["object"]["tag"], reply["object"]["cc"] = [], [f"{mo.uri}/followers"]
    await _post(net, peer, reply)  # no mention: a reply to the group's conversation
    page = (await b.web.get("/groups/club")).text
    assert re.search(r"who brings the ladder\?.*relayed-reply.*I do", page, re.DOTALL)

    edited = {**first["object"], "content": "<p>@club who brings the big ladder?</p>"}
    await _post(net, peer, mo.activity("Update", edited, to=[PUBLIC]))
    assert "big ladder" in (await b.web.get("/groups/club")).text
    await _post(net, peer, mo.activity("Delete", first["object"]["id"], to=[PUBLIC]))
    sent = _announces(await _group_sent(b))
    relayed_kinds = [obj.get("type") for kind, obj, _ in sent if isinstance(obj, dict)]
    assert relayed_kinds.count("Update") == 1 and relayed_kinds.count("Delete") == 1
    assert [p.object_uri for p in await rows(b, RelayedPost)] == [reply["object"]["id"]]


async def test_a_blocked_author_is_taken_back_and_not_relayed_again(
    net: FederationNet, peer: Peer
) -> None:
    _, b, mo = await _club(net, peer)
    await _post(net, peer, _note(mo, 1, "first"))
    [post] = await rows(b, RelayedPost)
    response = await b.web.post_form(
        f"/groups/club/relayed/{post.id}", {"action": "block"}, csrf_from="/groups/club"
    )
    assert response.status_code == 303
    await _post(net, peer, _note(mo, 2, "second"))
    assert [p.state for p in await rows(b, RelayedPost)] == ["hidden"]
    assert [blk.actor_uri for blk in await rows(b, GroupBlock)] == [mo.uri]


async def test_only_moderators_moderate(net: FederationNet, peer: Peer) -> None:
    _, b, mo = await _club(net, peer)
    await _post(net, peer, _note(mo, 1, "hello"))
    [post] = await rows(b, RelayedPost)
    await b.web.logout()
    await b.web.login_as_new("someone")
    joined = await b.web.post_form("/groups/club/join", csrf_from="/groups/club")
    assert joined.status_code == 303
    response = await b.web.post_form(
        f"/groups/club/relayed/{post.id}", {"action": "delete"}, csrf_from="/groups/club"
    )
    assert response.status_code == 403
    assert (await b.web.get("/groups/club/review")).status_code == 403
    assert len(await rows(b, RelayedPost)) == 1
