from __future__ import annotations

import copy
import dataclasses
from datetime import UTC, datetime
from typing import Any

import pytest

from federation.actors import (
    ActorError,
    ActorFields,
    RemoteActor,
    RemoteActorInfo,
    build_actor,
    key_id_of,
    parse_actor,
)
from federation.jsonld import AS_CONTEXT, SECURITY_CONTEXT

GROUP = "https://town.example/groups/club"
PEM = "-----BEGIN PUBLIC KEY-----\nMIIB...\n-----END PUBLIC KEY-----\n"

GROUP_FIELDS = ActorFields(
    id=GROUP,
    type="Group",
    preferred_username="club",
    name="Repair Club",
    summary="<p>We fix things.</p>",
    url="https://town.example/g/club",
    inbox=f"{GROUP}/inbox",
    outbox=f"{GROUP}/outbox",
    followers=f"{GROUP}/followers",
    following=f"{GROUP}/following",
    shared_inbox="https://town.example/inbox",
    featured=f"{GROUP}/featured",
    public_key_pem=PEM,
    manually_approves_followers=True,
    discoverable=True,
    indexable=True,
    published=datetime(2025, 1, 2, 3, 4, 5, 678, tzinfo=UTC),
    icon_url="https://town.example/media/icon.png",
    image_url="https://town.example/media/banner.png",
    attachment={"Place": "Community hall"},
    tags=["repair", "#bikes"],
    attributed_to=f"{GROUP}/moderators",
    events=f"{GROUP}/events",
    posts=f"{GROUP}/posts",
    discussions=f"{GROUP}/discussions",
    resources=f"{GROUP}/resources",
    todos=f"{GROUP}/todos",
    members=f"{GROUP}/members",
    member_count=13,
    openness="moderated",
    location_name="Community hall",
    latitude=45.7,
    longitude=4.8,
)


def group() -> dict[str, Any]:
    return build_actor(GROUP_FIELDS)


def test_group_document_has_every_field_mastodon_and_mobilizon_read() -> None:
    document = group()
    assert document["type"] == "Group"
    assert document["preferredUsername"] == "club"
    assert document["icon"] == {"type": "Image", "url": "https://town.example/media/icon.png"}
    assert document["image"] == {"type": "Image", "url": "https://town.example/media/banner.png"}
    assert document["endpoints"] == {
        "sharedInbox": "https://town.example/inbox",
        "members": f"{GROUP}/members",
    }
    assert document["manuallyApprovesFollowers"] is True
    assert (document["discoverable"], document["indexable"]) == (True, True)
    assert document["published"] == "2025-01-02T03:04:05Z"
    assert document["attachment"] == [
        {"type": "PropertyValue", "name": "Place", "value": "Community hall"}
    ]
    assert document["tag"] == [
        {"type": "Hashtag", "name": "#repair"},
        {"type": "Hashtag", "name": "#bikes"},
    ]
    assert document["featured"] == f"{GROUP}/featured"
    assert document["publicKey"] == {"id": f"{GROUP}#main-key", "owner": GROUP, "publicKeyPem": PEM}
    assert document["members"] == f"{GROUP}/members"
    assert document["memberCount"] == 13
    assert document["openness"] == "moderated"
    assert document["location"] == {
        "type": "Place",
        "name": "Community hall",
        "latitude": 45.7,
        "longitude": 4.8,
    }
    # Lemmy: the moderators collection's URL (crates/apub/objects/src/utils/protocol.rs).
    assert document["attributedTo"] == f"{GROUP}/moderators"
    # Mobilizon reads its collections at the top level (converter/actor.ex).
    for name in ("events", "posts", "discussions", "resources", "todos"):
        assert document[name] == f"{GROUP}/{name}"


def test_context_uses_only_preloaded_urls_and_inline_terms() -> None:
    context = group()["@context"]
    assert context[:2] == [AS_CONTEXT, SECURITY_CONTEXT]
    urls = [item for item in context if isinstance(item, str)]
    assert urls == [AS_CONTEXT, SECURITY_CONTEXT]
    terms = context[2]
    assert terms["manuallyApprovesFollowers"] == "as:manuallyApprovesFollowers"
    assert terms["toot"] == "http://joinmastodon.org/ns#"
    assert terms["featured"] == {"@id": "toot:featured", "@type": "@id"}
    assert (terms["discoverable"], terms["indexable"]) == ("toot:discoverable", "toot:indexable")
    assert (terms["PropertyValue"], terms["value"]) == ("schema:PropertyValue", "schema:value")
    assert terms["mz"] == "https://joinmobilizon.org/ns#"
    assert terms["memberCount"] == "mz:memberCount"


def test_each_document_gets_its_own_context() -> None:
    first, second = group(), group()
    first["@context"][2]["extra"] = "x"
    assert "extra" not in second["@context"][2]


def test_person_has_no_group_fields() -> None:
    person = build_actor(
        dataclasses.replace(GROUP_FIELDS, id="https://town.example/users/alice", type="Person")
    )
    for name in ("members", "memberCount", "openness", "location", "attributedTo", "events"):
        assert name not in person
    assert person["endpoints"] == {"sharedInbox": "https://town.example/inbox"}


def test_application_actor_leaves_out_what_it_does_not_have() -> None:
    fields = ActorFields(
        id="https://town.example/actor",
        type="Application",
        preferred_username="town.example",
        name="Town",
        summary="",
        url="https://town.example/about",
        inbox="https://town.example/actor/inbox",
        outbox="https://town.example/actor/outbox",
        public_key_pem=PEM,
    )
    document = build_actor(fields)
    for name in (
        "following",
        "followers",
        "icon",
        "image",
        "published",
        "attachment",
        "tag",
        "endpoints",
        "featured",
    ):
        assert name not in document
    assert document["publicKey"]["id"] == "https://town.example/actor#main-key"


def test_build_then_parse_round_trip() -> None:
    remote = parse_actor(group(), GROUP)
    assert remote == RemoteActor(
        id=GROUP,
        type="Group",
        preferred_username="club",
        name="Repair Club",
        summary_html="<p>We fix things.</p>",
        inbox=f"{GROUP}/inbox",
        shared_inbox="https://town.example/inbox",
        outbox=f"{GROUP}/outbox",
        followers=f"{GROUP}/followers",
        url="https://town.example/g/club",
        icon_url="https://town.example/media/icon.png",
        key_id=key_id_of(GROUP),
        public_key_pem=PEM,
        manually_approves_followers=True,
    )
    assert RemoteActorInfo is RemoteActor


def test_summary_is_returned_unsanitized() -> None:
    document = group() | {"summary": "<script>alert(1)</script>"}
    assert parse_actor(document, GROUP).summary_html == "<script>alert(1)</script>"


def forged(**changes: Any) -> dict[str, Any]:
    document = copy.deepcopy(group())
    for path, value in changes.items():
        target = document
        *parents, last = path.split("__")
        for parent in parents:
            target = target[parent]
        target[last] = value
    return document


@pytest.mark.parametrize(
    ("document", "fetched_from", "message"),
    [
        (
            forged(publicKey__owner="https://town.example/users/mallory"),
            GROUP,
            "owned by another actor",
        ),
        (forged(publicKey__id="https://evil.example/key"), GROUP, "not on the origin"),
        (forged(), "https://evil.example/groups/club", "another origin"),
        (forged(), "http://town.example/groups/club", "another origin"),
        (forged(id="https://evil.example/groups/club"), GROUP, "another origin"),
        (forged(id=None), GROUP, "not an http"),
        (forged(inbox="javascript:alert(1)"), GROUP, "inbox"),
        (forged(inbox=None), GROUP, "inbox"),
        (forged(inbox="http://2130706433/inbox"), GROUP, "inbox"),
        (forged(endpoints__sharedInbox="ftp://town.example/inbox"), GROUP, "sharedInbox"),
        (forged(type="Note"), GROUP, "not an actor type"),
        ([group()], GROUP, "JSON object"),
    ],
)
def test_untrustworthy_actors_are_refused(document: Any, fetched_from: str, message: str) -> None:
    with pytest.raises(ActorError, match=message):
        parse_actor(document, fetched_from)


def test_compacted_json_ld_forms_are_read() -> None:
    document = forged(
        type=["Group", "mz:Group"],
        icon=[{"type": "Image", "url": [{"type": "Link", "href": "https://town.example/i.png"}]}],
        url={"type": "Link", "href": "https://town.example/g/club", "mediaType": "text/html"},
        endpoints=[{"sharedInbox": "https://town.example/inbox"}],
        inbox={"id": f"{GROUP}/inbox"},
        followers=[f"{GROUP}/followers"],
        manuallyApprovesFollowers="true",
    )
    document["publicKey"] = [
        {
            "id": "https://town.example/users/other#key",
            "owner": "https://town.example/users/other",
            "publicKeyPem": "x",
        },
        {"id": f"{GROUP}#main-key", "owner": {"id": GROUP}, "publicKeyPem": PEM},
    ]
    remote = parse_actor(document, GROUP)
    assert remote.type == "Group"
    assert remote.icon_url == "https://town.example/i.png"
    assert remote.url == "https://town.example/g/club"
    assert remote.shared_inbox == "https://town.example/inbox"
    assert remote.inbox == f"{GROUP}/inbox"
    assert remote.followers == f"{GROUP}/followers"
    assert (remote.key_id, remote.public_key_pem) == (f"{GROUP}#main-key", PEM)
    assert remote.manually_approves_followers is False  # only a real true locks


def test_icon_as_a_plain_string_and_missing_optionals() -> None:
    document = {
        "id": GROUP,
        "type": "Person",
        "inbox": f"{GROUP}/inbox",
        "icon": "https://town.example/i.png",
        "outbox": "not a url",
        "name": {"en": "not a string"},
    }
    remote = parse_actor(document, GROUP)
    assert remote.icon_url == "https://town.example/i.png"
    assert (
        remote.outbox,
        remote.name,
        remote.shared_inbox,
        remote.key_id,
        remote.public_key_pem,
    ) == (None,) * 5


def test_a_key_given_by_reference_keeps_its_id() -> None:
    remote = parse_actor(forged(publicKey=f"{GROUP}#main-key"), GROUP)
    assert (remote.key_id, remote.public_key_pem) == (f"{GROUP}#main-key", None)
