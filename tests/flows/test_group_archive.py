"""A group is exported from one Hearth server and imported on another (API and CLI shapes):
everything arrives, the new actor lists the old one in ``alsoKnownAs``, bad archives are
refused with the reason and leave nothing behind."""

from __future__ import annotations

import copy
import json

from server.models import (
    CheckIn,
    Event,
    Follow,
    Group,
    GroupPost,
    Participation,
    ProposalVote,
    RemoteMember,
)
from tests.federation_net import FederationNet, Instance
from tests.flows.move_scenes import lively_group, token_of
from tests.flows.peer import Peer

AS_JSON = {"Accept": "application/activity+json"}


async def _export(instance: Instance, slug: str, token: dict[str, str]) -> dict:
    response = await instance.web.client.get(f"/api/v1/groups/{slug}/archive", headers=token)
    assert response.status_code == 200, response.text
    assert 'filename="club.hearth-group.json"' in response.headers["content-disposition"]
    return response.json()


async def _import(instance: Instance, archive: object, token: dict[str, str]):  # type: ignore[no-untyped-def]
    body = archive if isinstance(archive, bytes) else json.dumps(archive).encode()
    headers = {**token, "Content-Type": "application/json"}
    return await instance.web.client.post("/api/v1/groups/import", content=body, headers=headers)


async def test_export_then_import_carries_the_whole_group(net: FederationNet, peer: Peer) -> None:
    a, b = await net.add("a"), await net.add("b")
    lively = await lively_group(net, a, peer)
    archive = await _export(a, "club", lively.organizer)
    assert archive["format"] == "hearth-group-archive" and archive["version"] == 1
    assert archive["source"]["actor"] == "https://a.test/groups/club"

    await b.web.make_user("olga")
    created = await _import(b, archive, await token_of(b, "olga"))
    assert created.status_code == 201, created.text

    actor = (await b.web.client.get("/groups/club", headers=AS_JSON)).json()
    assert actor["alsoKnownAs"] == ["https://a.test/groups/club"]
    assert "movedTo" not in actor
    [group] = await _rows(b, Group)
    assert group.name == "Club Club" and group.summary_md == "We meet"
    members = {(m.actor_uri, m.role, m.state) for m in await _rows(b, RemoteMember)}
    assert members == {
        ("https://a.test/users/organizer", "admin", "active"),
        ("https://a.test/users/bea", "member", "active"),
    }
    [follow] = await _rows(b, Follow)
    assert (follow.follower_uri, follow.state) == (lively.follower.uri, "moving")
    [event] = await _rows(b, Event)
    assert event.title == "Repair café" and "<strong>toaster</strong>" in event.description_html
    assert event.timezone == "Europe/Paris" and event.venue_name == "Community hall"
    answers = {(p.actor_uri, p.status) for p in await _rows(b, Participation)}
    assert answers == {
        ("https://a.test/users/organizer", "going"),
        ("https://a.test/users/bea", "maybe"),
    }
    assert [c.actor_uri for c in await _rows(b, CheckIn)] == ["https://a.test/users/bea"]
    assert [v.actor_uri for v in await _rows(b, ProposalVote)] == ["https://a.test/users/bea"]
    [post] = await _rows(b, GroupPost)
    assert "<strong>café</strong>" in post.content_html
    page = await b.web.client.get(f"/events/{event.id}")
    assert page.status_code == 200 and "Repair café" in page.text
    await b.web.login("olga")
    for path in ("/groups/club", "/groups/club/members", "/groups/club/events"):
        shown = await b.web.get(path)
        assert shown.status_code == 200, (path, shown.status_code)
    members_page = await b.web.get("/groups/club/members")
    assert "a.test/users/bea" in members_page.text or "bea@a.test" in members_page.text


async def test_bad_archives_are_refused_with_the_reason(net: FederationNet, peer: Peer) -> None:
    a, b = await net.add("a"), await net.add("b")
    lively = await lively_group(net, a, peer)
    archive = await _export(a, "club", lively.organizer)
    await b.web.make_user("olga")
    olga = await token_of(b, "olga")

    newer = {**archive, "version": 2}
    broken_date = copy.deepcopy(archive)
    broken_date["meetups"][0]["starts_at"] = "next Tuesday"
    bad_answer = copy.deepcopy(archive)
    bad_answer["meetups"][0]["answers"][0]["status"] = "perhaps"
    # Rows are written as the archive says, so what the app's own forms refuse (and what
    # the database or the pages could not hold) is refused here too.
    out_of_range = {
        "capacity": 10**12,
        "remind_minutes": 7,
        "timezone": "Mars/Olympus",
        "ends_at": "9999-12-31T23:59:00+00:00",
    }
    wrong_values = []
    for field, value in out_of_range.items():
        changed = copy.deepcopy(archive)
        changed["meetups"][0][field] = value
        wrong_values.append((changed, f"meetups[0].{field}"))
    cases = [
        *wrong_values,
        (b"{not json", "not JSON"),
        (json.dumps({"format": "something-else"}).encode(), "not a Hearth group archive"),
        (newer, "version 2 is not supported"),
        (broken_date, "meetups[0].starts_at"),
        (bad_answer, "meetups[0].answers[0].status"),
    ]
    for body, reason in cases:
        response = await _import(b, body, olga)
        assert response.status_code == 400, response.text
        assert reason in response.text
    assert await _rows(b, Group) == []

    first = await _import(b, archive, olga)
    assert first.status_code == 201
    again = await _import(b, archive, olga)
    assert again.status_code == 409, again.text
    assert len(await _rows(b, Event)) == 1  # the refused second import wrote nothing
    other = await b.web.client.post(
        "/api/v1/groups/import?slug=club2",
        content=json.dumps(archive).encode(),
        headers={**olga, "Content-Type": "application/json"},
    )
    assert other.status_code == 201 and other.json()["slug"] == "club2"


async def test_only_the_groups_admins_may_export(net: FederationNet, peer: Peer) -> None:
    a = await net.add("a")
    await lively_group(net, a, peer)
    bea = await token_of(a, "bea")
    response = await a.web.client.get("/api/v1/groups/club/archive", headers=bea)
    assert response.status_code == 403


async def _rows(instance: Instance, model: type) -> list:  # type: ignore[type-arg]
    from tests.flows.scenes import rows

    return await rows(instance, model)
