"""The funfedi.dev corpus of real-world object shapes (``fediverse-pasture-inputs``: the data
behind the fediverse support tables) through the inbox (issue #14, "Done when").

Each example is applied to the pasture's Note skeleton and sent the way the pasture's
``ActivitySender.send`` sends it (fediverse_pasture/runner/__init__.py: the example's keys
over ``{type: Note, id, attributedTo, to: [Public], published}``, the recipient added to
``to`` with a ``Mention`` tag, the Note's ``@context`` on the Create), as a public ``Create``
from a follower of the group that it mentions. The pasture's own actor and files are mapped
to the peer (``http://pasture-one-actor/actor`` → the follower, its files → the peer's).

Every example must be answered without a 5xx and processed without an error; every Note,
Article and Page with an id must be relayed by the group and shown safely on its page:
its title, its content warning collapsed, its attachments' alt text, the instance's language
of a ``contentMap``, and nothing that runs script or loads from another server.
"""

from __future__ import annotations

import html
import json
import re
from typing import Any

import pytest
from fediverse_pasture_inputs import available

from server.models import InboxActivity, RelayedPost
from server.services.post_shape import attachments_from_json, is_post_type
from tests.federation_net import FederationNet, Instance
from tests.flows.peer import Peer, PeerActor
from tests.flows.relay_scenes import CLUB, PUBLIC, club_with_followers
from tests.flows.scenes import rows

PASTURE_ACTOR = "http://pasture-one-actor/actor"
PASTURE_FILES = "http://pasture-one-actor/"
IMAGES = {".png": b"\x89PNG\r\n\x1a\n", ".jpg": b"\xff\xd8\xff\xe0", ".gif": b"GIF89a"}
#: What must never be in the conversations shown: script, handlers, remote images, styles.
UNSAFE = re.compile(
    r"<script|javascript:|\son\w+\s*=|<img[^>]+src=\"(?!/media/)|\sstyle\s*=|<iframe|<form"
    r"|<input|<button|<meta|<link|<base",
    re.IGNORECASE,
)


def _pasture_note(actor: PeerActor, set_name: str, number: int, example: dict[str, Any]) -> Any:
    skeleton = {
        "type": "Note",
        "attributedTo": actor.uri,
        "to": [PUBLIC],
        "cc": [f"{actor.uri}/followers"],
        "id": f"{actor.uri}/objects/{set_name}-{number}",
        "published": "2026-12-01T10:00:00Z",
    }
    text = json.dumps({**skeleton, **example})
    text = text.replace(PASTURE_ACTOR, actor.uri).replace(PASTURE_FILES, "https://peer.test/files/")
    note = json.loads(text)
    note["to"] = [*note["to"], CLUB] if isinstance(note.get("to"), list) else [note.get("to"), CLUB]
    tags = note.get("tag")
    note["tag"] = [*(tags if isinstance(tags, list) else [tags] if tags else [])]
    note["tag"].append({"type": "Mention", "href": CLUB})
    return note


def _serve_images(peer: Peer, note: Any) -> None:
    """The peer serves every image file the note names (the pasture's sample images)."""
    for url in re.findall(r"https://peer\.test/files/[^\"]+", json.dumps(note)):
        name = url.removeprefix("https://peer.test/files/")
        for extension, head in IMAGES.items():
            if name.endswith(extension):
                peer.files[name] = (
                    head + bytes(64),
                    f"image/{extension[1:]}".replace("jpg", "jpeg"),
                )


def _create(actor: PeerActor, note: Any) -> dict[str, Any]:
    create = actor.activity("Create", note, to=note.get("to"), cc=note.get("cc"))
    if isinstance(note, dict) and "@context" in note:
        create["@context"] = note.pop("@context")
    return create


async def _check_shown(b: Instance, post: RelayedPost, note: dict[str, Any]) -> None:
    page = (await b.web.get("/groups/club")).text
    start = page.index('id="conversations"')
    shown = page[start : page.index("</section>", start)]
    assert not UNSAFE.search(shown), UNSAFE.search(shown)
    if post.title:
        assert f">{html.escape(post.title, quote=False)}</a></h3>" in shown
    if post.summary:
        assert f"<summary>{html.escape(post.summary, quote=False)}</summary>" in shown
    elif note.get("summary") or note.get("sensitive") is True:
        assert "<summary>Sensitive content</summary>" in shown
    for attachment in attachments_from_json(post.attachments_json):
        if attachment.alt:
            assert html.escape(attachment.alt) in shown
        assert f'href="{html.escape(attachment.url)}"' in shown
    mapping = note.get("contentMap")
    if not note.get("content") and isinstance(mapping, dict) and "en" in mapping:
        assert mapping["en"] in post.content_html


@pytest.mark.parametrize("set_name", sorted(available))
async def test_every_pasture_example_goes_through_the_inbox(
    net: FederationNet, peer: Peer, set_name: str
) -> None:
    _, b, mo = await club_with_followers(net, peer)
    await b.web.logout()  # the page as a visitor sees it (no moderation forms)
    for number, example in enumerate(available[set_name].examples):
        note = _pasture_note(mo, set_name, number, example)
        _serve_images(peer, note)
        create = _create(mo, note)
        response = await peer.post(net.http, "https://b.test/inbox", create)
        assert response.status_code < 500, (example, response.text)
        await net.drain()
        [row] = await rows(b, InboxActivity, InboxActivity.activity_uri == create["id"])
        assert not row.result.startswith(("error", "failed")), (example, row.result)
        if not is_post_type(note) or not isinstance(note.get("id"), str):
            continue
        found = await rows(b, RelayedPost, RelayedPost.object_uri == note["id"])
        assert [post.state for post in found] == ["relayed"], (example, row.result)
        await _check_shown(b, found[0], note)
