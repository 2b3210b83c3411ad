"""``hearth group export`` / ``hearth group import`` and the web pages that do the same: the
archive round-trips, and a bad file is refused with a one-line reason naming it."""

from __future__ import annotations

import json
from pathlib import Path

from tests.server.conftest import AsyncCliRunner
from tests.web import WebClient

AS_JSON = {"Accept": "application/activity+json"}


async def test_cli_export_and_import(
    web: WebClient, acli: AsyncCliRunner, cli_config: Path, tmp_path: Path
) -> None:
    await web.login_as_new("alice")
    assert (await web.create_group("club", "Book Club", summary="We *read*")).status_code == 303
    file = tmp_path / "club.json"
    exported = await acli("--config", str(cli_config), "group", "export", "club", str(file))
    assert exported.status == 0, exported.err
    assert exported.out.startswith(f"wrote {file}: 1 member(s), 0 meetup(s)")
    assert json.loads(file.read_text())["group"]["name"] == "Book Club"
    again = await acli("--config", str(cli_config), "group", "export", "club", str(file))
    assert again.status == 1 and "exists" in again.err

    imported = await acli(
        "--config", str(cli_config), "group", "import", str(file), "--owner", "alice",
        "--slug", "club2",
    )  # fmt: skip
    assert imported.status == 0, imported.err
    assert "groups/club2 (was http://localhost:8000/groups/club)" in imported.out
    actor = (await web.get("/groups/club2", headers=AS_JSON)).json()
    assert actor["alsoKnownAs"] == ["http://localhost:8000/groups/club"]
    assert "<em>read</em>" in actor["summary"]

    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"format": "hearth-group-archive", "version": 1}))
    refused = await acli(
        "--config", str(cli_config), "group", "import", str(bad), "--owner", "alice"
    )
    assert refused.status == 1
    assert refused.err.startswith(f"hearth: {bad}: The archive is invalid: source: Field required")


async def test_web_download_and_import(web: WebClient) -> None:
    await web.login_as_new("alice")
    assert (await web.create_group("club", "Book Club")).status_code == 303
    move = await web.get("/groups/club/move")
    assert move.status_code == 200 and 'href="/groups/club/archive"' in move.text
    download = await web.get("/groups/club/archive")
    assert download.headers["content-disposition"].startswith("attachment")
    archive = download.content

    form = await web.get("/groups/import")
    assert form.status_code == 200 and 'type="file"' in form.text
    files = {"file": ("club.hearth-group.json", archive, "application/json")}
    done = await web.post_form(
        "/groups/import", {"slug": "club2"}, files=files, csrf_from="/groups/import"
    )
    assert done.status_code == 303 and done.headers["location"] == "/groups/club2"
    page = await web.get("/groups/club2")
    assert page.status_code == 200 and "Book Club" in page.text

    wrong = {"file": ("notes.json", b'{"format": "hearth-group-archive", "version": 7}', "x/y")}
    refused = await web.post_form("/groups/import", {}, files=wrong, csrf_from="/groups/import")
    assert refused.status_code == 400
    assert "Archive version 7 is not supported" in refused.text


async def test_only_admins_see_the_move_page(web: WebClient) -> None:
    await web.login_as_new("alice")
    assert (await web.create_group("club", "Book Club")).status_code == 303
    await web.login_as_new("bob")
    assert (await web.get("/groups/club/move")).status_code == 403
    assert (await web.get("/groups/club/archive")).status_code == 403


async def test_the_move_form_explains_a_bad_address(web: WebClient) -> None:
    await web.login_as_new("alice")
    assert (await web.create_group("club", "Book Club")).status_code == 303
    page = await web.get("/groups/club/move")
    assert 'name="target"' in page.text
    for target, reason in (
        ("ftp://elsewhere/club", "Give the new group"),
        ("http://localhost:8000/groups/club", "That is this group"),
    ):
        refused = await web.post_form(
            "/groups/club/move", {"target": target}, csrf_from="/groups/club/move"
        )
        assert refused.status_code == 400 and reason in refused.text
    assert (await web.get("/groups/club")).status_code == 200
