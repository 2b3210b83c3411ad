"""Groups relay their conversations (issue #6, FEP-1b12): a Mastodon-shaped follower posts
"@club hello"; every other follower gets the group's Announce of the Create (with
``audience``) and its boost (Announce of the note's id); a moderator deletes it and the
deletion (Undo of the boost, Announce of a Delete) reaches them. Direct messages, spam that
mentions many groups and non-members (in a members-only group) are not relayed; a moderated
group holds posts for review; replies thread on the group page; the author's own Update and
Delete are relayed."""

from __future__ import annotations

import re

from server.models import GroupBlock, OutboxActivity, RelayedPost
from tests.federation_net import FederationNet
from tests.flows.peer import Peer
from tests.flows.relay_scenes import (
    CLUB,
    PUBLIC,
    announces,
    club_with_followers,
    group_sent,
    mention_note,
    post_to_inbox,
)
from tests.flows.scenes import rows


async def test_a_followers_mention_is_relayed_in_both_forms_and_a_moderator_deletes_it(
    net: FederationNet, peer: Peer
) -> None:
    _, b, mo = await club_with_followers(net, peer)
    create = mention_note(mo, 1, "hello")
    await post_to_inbox(net, peer, create)
    [relay, boost] = announces(await group_sent(b))
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
    after = announces(await group_sent(b))[2:]
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
    _, b, mo = await club_with_followers(net, peer, policy="members")
    await post_to_inbox(net, peer, mention_note(mo, 1, "not a member"))
    await post_to_inbox(net, peer, mention_note(mo, 2, "psst", to=[CLUB], cc=[]))
    others = [f"https://b.test/groups/g{n}" for n in range(4)]
    spam = mention_note(mo, 3, "buy now", cc=[CLUB, *others])
    spam["object"]["tag"] += [{"type": "Mention", "href": uri} for uri in others]
    await post_to_inbox(net, peer, spam)
    assert await rows(b, RelayedPost) == []
    assert announces(await group_sent(b)) == []


async def test_a_moderated_group_holds_posts_until_a_moderator_shares_them(
    net: FederationNet, peer: Peer
) -> None:
    _, b, mo = await club_with_followers(net, peer, policy="moderated")
    await post_to_inbox(net, peer, mention_note(mo, 1, "may I?"))
    [post] = await rows(b, RelayedPost)
    assert post.state == "held" and announces(await group_sent(b)) == []
    review = (await b.web.get("/groups/club/review")).text
    assert "may I?" in review
    response = await b.web.post_form(
        f"/groups/club/relayed/{post.id}",
        {"action": "approve", "next": "/groups/club/review"},
        csrf_from="/groups/club/review",
    )
    assert response.status_code == 303 and response.headers["location"] == "/groups/club/review"
    await net.drain()
    assert len(announces(await group_sent(b))) == 2


async def test_replies_thread_and_the_authors_update_and_delete_are_relayed(
    net: FederationNet, peer: Peer
) -> None:
    _, b, mo = await club_with_followers(net, peer)
    first = mention_note(mo, 1, "who brings the ladder?")
    await post_to_inbox(net, peer, first)
    reply = mention_note(mo, 2, "I do", inReplyTo=first["object"]["id"])
    reply["object"]["tag"], reply["object"]["cc"] = [], [f"{mo.uri}/followers"]
    await post_to_inbox(net, peer, reply)  # no mention: a reply to the group's conversation
    page = (await b.web.get("/groups/club")).text
    assert re.search(r"who brings the ladder\?.*relayed-reply.*I do", page, re.DOTALL)

    edited = {**first["object"], "content": "<p>@club who brings the big ladder?</p>"}
    await post_to_inbox(net, peer, mo.activity("Update", edited, to=[PUBLIC]))
    assert "big ladder" in (await b.web.get("/groups/club")).text
    await post_to_inbox(net, peer, mo.activity("Delete", first["object"]["id"], to=[PUBLIC]))
    sent = announces(await group_sent(b))
    relayed_kinds = [obj.get("type") for kind, obj, _ in sent if isinstance(obj, dict)]
    assert relayed_kinds.count("Update") == 1 and relayed_kinds.count("Delete") == 1
    assert [p.object_uri for p in await rows(b, RelayedPost)] == [reply["object"]["id"]]


async def test_a_blocked_author_is_taken_back_and_not_relayed_again(
    net: FederationNet, peer: Peer
) -> None:
    _, b, mo = await club_with_followers(net, peer)
    await post_to_inbox(net, peer, mention_note(mo, 1, "first"))
    [post] = await rows(b, RelayedPost)
    response = await b.web.post_form(
        f"/groups/club/relayed/{post.id}", {"action": "block"}, csrf_from="/groups/club"
    )
    assert response.status_code == 303
    await post_to_inbox(net, peer, mention_note(mo, 2, "second"))
    assert [p.state for p in await rows(b, RelayedPost)] == ["hidden"]
    assert [blk.actor_uri for blk in await rows(b, GroupBlock)] == [mo.uri]


async def test_only_moderators_moderate(net: FederationNet, peer: Peer) -> None:
    _, b, mo = await club_with_followers(net, peer)
    await post_to_inbox(net, peer, mention_note(mo, 1, "hello"))
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
