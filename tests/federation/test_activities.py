from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from federation import activities as vocab
from federation.jsonld import AS_CONTEXT, AS_PUBLIC, SECURITY_CONTEXT

GROUP = "https://town.example/groups/club"
FOLLOWERS = f"{GROUP}/followers"
ALICE = "https://social.example/users/alice"
ACTIVITY = "https://town.example/activities/1"
WHEN = datetime(2025, 5, 3, 12, 0, 0, 123456, tzinfo=UTC)


@pytest.mark.parametrize(
    ("visibility", "to", "cc"),
    [
        ("public", [AS_PUBLIC], [FOLLOWERS]),
        ("unlisted", [FOLLOWERS], [AS_PUBLIC]),
        ("followers", [FOLLOWERS], []),
    ],
)
def test_addressing(visibility: str, to: list[str], cc: list[str]) -> None:
    assert vocab.addressing(visibility, FOLLOWERS) == (to, cc)


def test_unknown_visibility_is_refused() -> None:
    with pytest.raises(ValueError, match="visibility"):
        vocab.addressing("direct", FOLLOWERS)


@pytest.mark.parametrize(
    ("moment", "text"),
    [
        (WHEN, "2025-05-03T12:00:00Z"),
        (datetime(2025, 5, 3, 14, 0, tzinfo=timezone(timedelta(hours=2))), "2025-05-03T12:00:00Z"),
        (datetime(2025, 5, 3, 12, 0), "2025-05-03T12:00:00Z"),  # naive is UTC
    ],
)
def test_format_datetime(moment: datetime, text: str) -> None:
    assert vocab.format_datetime(moment) == text


def test_context_is_fresh_and_extensible() -> None:
    context = vocab.ld_context({"sc": "http://schema.org#"})
    assert context[:2] == [AS_CONTEXT, SECURITY_CONTEXT]
    assert context[2]["sc"] == "http://schema.org#"
    context[2]["featured"]["@id"] = "changed"
    assert vocab.ld_context()[2]["featured"]["@id"] == "toot:featured"


def test_follow() -> None:
    follow = vocab.build_follow(ACTIVITY, ALICE, GROUP)
    assert {key: follow[key] for key in ("id", "type", "actor", "object", "to")} == {
        "id": ACTIVITY,
        "type": "Follow",
        "actor": ALICE,
        "object": GROUP,
        "to": [GROUP],
    }
    assert follow["@context"][0] == AS_CONTEXT


@pytest.mark.parametrize(
    "build, kind", [(vocab.build_accept, "Accept"), (vocab.build_reject, "Reject")]
)
def test_answers_embed_the_follow_without_its_context(build: Any, kind: str) -> None:
    follow = vocab.build_follow("https://social.example/follows/9", ALICE, GROUP)
    answer = build(ACTIVITY, GROUP, follow)
    assert (answer["type"], answer["actor"], answer["to"]) == (kind, GROUP, [ALICE])
    assert answer["object"]["id"] == "https://social.example/follows/9"
    assert "@context" not in answer["object"]
    assert "@context" in follow  # the caller's object is not changed


def test_answer_to_a_follow_given_by_id_needs_an_explicit_audience() -> None:
    answer = vocab.build_accept(ACTIVITY, GROUP, "https://social.example/follows/9")
    assert answer["to"] == []
    assert vocab.build_accept(ACTIVITY, GROUP, "https://x.example/f", to=[ALICE])["to"] == [ALICE]


def test_undo() -> None:
    follow = vocab.build_follow("https://town.example/follows/1", GROUP, ALICE)
    undo = vocab.build_undo(ACTIVITY, GROUP, follow, to=[ALICE])
    assert (undo["type"], undo["actor"], undo["to"]) == ("Undo", GROUP, [ALICE])
    assert undo["object"]["type"] == "Follow"
    assert "cc" not in undo


def note(**changes: Any) -> dict[str, Any]:
    to, cc = vocab.addressing("public", FOLLOWERS)
    options: dict[str, Any] = {
        "id": f"{GROUP}/posts/1",
        "attributed_to": GROUP,
        "content": "<p>Repair café on Saturday</p>",
        "to": to,
        "cc": cc,
        "published": WHEN,
    }
    return vocab.build_note(**(options | changes))


def test_note() -> None:
    built = note(url=f"{GROUP}/posts/1", audience=GROUP)
    assert built["type"] == "Note"
    assert built["published"] == "2025-05-03T12:00:00Z"
    assert (built["to"], built["cc"]) == ([AS_PUBLIC], [FOLLOWERS])
    assert built["sensitive"] is False
    assert built["audience"] == GROUP
    for absent in ("updated", "inReplyTo", "summary"):
        assert absent not in built


def test_note_is_updated_only_when_edited_later() -> None:
    assert "updated" not in note(updated=WHEN)
    assert note(updated=WHEN + timedelta(minutes=5))["updated"] == "2025-05-03T12:05:00Z"


@pytest.mark.parametrize(
    "build, kind", [(vocab.build_create, "Create"), (vocab.build_update, "Update")]
)
def test_create_and_update_are_addressed_like_the_object(build: Any, kind: str) -> None:
    activity = build(ACTIVITY, GROUP, note())
    assert (activity["type"], activity["to"], activity["cc"]) == (kind, [AS_PUBLIC], [FOLLOWERS])
    assert "@context" not in activity["object"]
    assert build(ACTIVITY, GROUP, note(), to=[FOLLOWERS], cc=[])["to"] == [FOLLOWERS]
    assert build(ACTIVITY, GROUP, note(), published=WHEN)["published"] == "2025-05-03T12:00:00Z"


def test_delete_with_a_tombstone() -> None:
    delete = vocab.build_delete(
        ACTIVITY,
        GROUP,
        f"{GROUP}/posts/1",
        to=[AS_PUBLIC],
        cc=[FOLLOWERS],
        former_type="Note",
        deleted=WHEN,
    )
    assert delete["object"] == {
        "id": f"{GROUP}/posts/1",
        "type": "Tombstone",
        "formerType": "Note",
        "deleted": "2025-05-03T12:00:00Z",
    }
    assert (delete["to"], delete["cc"]) == ([AS_PUBLIC], [FOLLOWERS])


def test_announce_by_a_group_carries_its_audience() -> None:
    create = vocab.build_create(
        "https://social.example/activities/5",
        ALICE,
        note(id="https://social.example/notes/5", attributed_to=ALICE),
    )
    announce = vocab.build_announce(
        ACTIVITY, GROUP, create, to=[AS_PUBLIC], cc=[FOLLOWERS], audience=GROUP
    )
    assert (announce["type"], announce["audience"]) == ("Announce", GROUP)
    assert announce["object"]["type"] == "Create"
    assert "@context" not in announce["object"]
    boost = vocab.build_announce(ACTIVITY, GROUP, "https://social.example/notes/5", to=[AS_PUBLIC])
    assert (boost["object"], boost["cc"]) == ("https://social.example/notes/5", [])
    assert "audience" not in boost and "published" not in boost


def test_builders_have_no_hidden_state() -> None:
    assert vocab.build_follow(ACTIVITY, ALICE, GROUP) == vocab.build_follow(ACTIVITY, ALICE, GROUP)


def test_parse_helpers_read_compacted_forms() -> None:
    activity = {
        "type": ["Create", "as:Create"],
        "actor": [{"id": ALICE, "type": "Person"}],
        "object": [{"id": "https://social.example/notes/5", "type": "Note"}],
        "to": AS_PUBLIC,
        "cc": [{"id": FOLLOWERS}, FOLLOWERS, 3],
        "audience": GROUP,
    }
    assert vocab.activity_type(activity) == "Create"
    assert vocab.activity_actor_id(activity) == ALICE
    assert vocab.activity_object_id(activity) == "https://social.example/notes/5"
    assert vocab.embedded_object(activity) == {
        "id": "https://social.example/notes/5",
        "type": "Note",
    }
    assert vocab.recipient_ids(activity) == [AS_PUBLIC, FOLLOWERS, GROUP]


def test_parse_helpers_on_missing_values() -> None:
    empty: dict[str, Any] = {"object": "https://social.example/notes/5"}
    assert vocab.activity_type(empty) is None
    assert vocab.activity_actor_id(empty) is None
    assert vocab.embedded_object(empty) is None
    assert vocab.recipient_ids(empty) == []
    assert vocab.first_id([None, {"name": "no id"}, "https://x.example/a"]) == "https://x.example/a"
