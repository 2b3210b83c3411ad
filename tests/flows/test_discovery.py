"""Discovery as a peer uses it: WebFinger for groups and users (and Mastodon's second lookup
by actor URL), host-meta, and NodeInfo 2.1 / 2.0 with counts that follow the instance."""

from __future__ import annotations

import pytest

from tests.federation_net import FederationNet, Instance
from tests.flows.scenes import organize_group, post_as_group

JRD = "application/jrd+json"
WEBFINGER = "https://b.test/.well-known/webfinger"


async def _instance_with_club(net: FederationNet) -> Instance:
    b = await net.add("b")
    await organize_group(b, "club")
    return b


async def _webfinger(net: FederationNet, resource: str | None) -> tuple[int, str, dict]:  # type: ignore[type-arg]
    params = {} if resource is None else {"resource": resource}
    response = await net.http.get(WEBFINGER, params=params)
    return response.status_code, response.headers["content-type"], response.json()


@pytest.mark.parametrize(
    ("resource", "subject", "actor"),
    [
        ("acct:club@b.test", "acct:club@b.test", "https://b.test/groups/club"),
        ("acct:CLUB@b.test", "acct:club@b.test", "https://b.test/groups/club"),
        ("club@b.test", "acct:club@b.test", "https://b.test/groups/club"),
        ("acct:organizer@b.test", "acct:organizer@b.test", "https://b.test/users/organizer"),
        ("https://b.test/groups/club", "acct:club@b.test", "https://b.test/groups/club"),
        (
            "https://b.test/users/organizer",
            "acct:organizer@b.test",
            "https://b.test/users/organizer",
        ),
    ],
)
async def test_webfinger_finds_groups_and_users(
    net: FederationNet, resource: str, subject: str, actor: str
) -> None:
    await _instance_with_club(net)
    status, content_type, jrd = await _webfinger(net, resource)
    assert (status, content_type.split(";")[0]) == (200, JRD)
    assert jrd["subject"] == subject
    assert actor in jrd["aliases"]
    [self_link] = [link for link in jrd["links"] if link["rel"] == "self"]
    assert self_link == {"rel": "self", "type": "application/activity+json", "href": actor}
    assert any(link["rel"] == "http://webfinger.net/rel/profile-page" for link in jrd["links"])


async def test_webfinger_subject_survives_mastodons_second_lookup(net: FederationNet) -> None:
    """Mastodon looks up ``preferredUsername@<actor host>`` again and needs the same subject."""
    await _instance_with_club(net)
    _, _, first = await _webfinger(net, "acct:club@b.test")
    actor = (
        await net.http.get(first["aliases"][0], headers={"Accept": "application/activity+json"})
    ).json()
    _, _, second = await _webfinger(net, f"acct:{actor['preferredUsername']}@b.test")
    assert second["subject"] == first["subject"]


@pytest.mark.parametrize(
    "resource",
    [
        "acct:nobody@b.test",
        "acct:club@elsewhere.test",
        "https://elsewhere.test/groups/club",
        "https://b.test/groups/nobody",
        "acct:pending@b.test",
        "not a resource",
    ],
)
async def test_webfinger_unknown_resource_is_a_404(net: FederationNet, resource: str) -> None:
    b = await _instance_with_club(net)
    await b.web.make_user("pending", state="pending")
    status, content_type, body = await _webfinger(net, resource)
    assert (status, content_type.split(";")[0]) == (404, JRD)
    assert "error" in body


@pytest.mark.parametrize("resource", [None, ""])
async def test_webfinger_without_resource_is_a_400(
    net: FederationNet, resource: str | None
) -> None:
    await _instance_with_club(net)
    status, _, body = await _webfinger(net, resource)
    assert status == 400
    assert "resource" in body["error"]


async def test_host_meta_points_at_webfinger(net: FederationNet) -> None:
    await net.add("b")
    response = await net.http.get("https://b.test/.well-known/host-meta")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/xrd+xml")
    assert 'template="https://b.test/.well-known/webfinger?resource={uri}"' in response.text


async def _nodeinfo(net: FederationNet, version: str) -> dict:  # type: ignore[type-arg]
    index = (await net.http.get("https://b.test/.well-known/nodeinfo")).json()
    schema = f"http://nodeinfo.diaspora.software/ns/schema/{version}"
    [href] = [link["href"] for link in index["links"] if link["rel"] == schema]
    response = await net.http.get(href)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert f'profile="{schema}#"' in response.headers["content-type"]
    return response.json()  # type: ignore[no-any-return]


@pytest.mark.parametrize("version", ["2.1", "2.0"])
async def test_nodeinfo_counts_follow_the_instance(net: FederationNet, version: str) -> None:
    b = await _instance_with_club(net)
    before = await _nodeinfo(net, version)
    assert before["version"] == version
    assert before["software"]["name"] == "hearth"
    assert before["protocols"] == ["activitypub"]
    assert before["openRegistrations"] is True
    assert before["usage"]["users"]["total"] == 1
    assert before["usage"]["localPosts"] == 0
    assert before["usage"]["users"]["activeMonth"] == 1  # the organizer signed in
    assert before["software"]["version"]

    await b.web.make_user("reader")
    await b.web.make_user("writer")
    await b.web.make_user("waiting", state="pending")
    await post_as_group(b, "club", "First meetup")
    await post_as_group(b, "club", "Second meetup", visibility="followers")

    after = await _nodeinfo(net, version)
    assert after["usage"]["users"]["total"] == 3
    assert after["usage"]["localPosts"] == 2
    assert after["metadata"]["nodeName"] == "B"


async def test_nodeinfo_unknown_version_is_a_404(net: FederationNet) -> None:
    await net.add("b")
    response = await net.http.get("https://b.test/nodeinfo/3.0")
    assert response.status_code == 404


async def test_nodeinfo_says_when_registrations_are_closed(net: FederationNet) -> None:
    await net.add("b", instance={"registration": "closed"})
    assert (await _nodeinfo(net, "2.1"))["openRegistrations"] is False
