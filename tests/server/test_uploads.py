"""Group avatars and banners: checked by content, stored under generated names, served
safely; refused uploads and failed edits leave neither rows nor files behind."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from server.activitypub.runtime import runtime_of
from server.config import Settings
from server.uploads import upload_body_limit
from tests.conftest import SettingsMaker
from tests.server.conftest import BrowserFactory
from tests.server.db_access import Snapshot, take_snapshot
from tests.server.images import GIF, JPEG, SVG, WEBP, png, png_of_size
from tests.web import WebClient

MEDIA_RE = re.compile(r'src="/media/([0-9a-f]{32}\.(?:png|jpg|gif|webp))"')
MAX_BYTES = 2048


def files_in(directory: Path) -> set[str]:
    return {path.name for path in directory.iterdir()} if directory.exists() else set()


def media_names(page: httpx.Response) -> list[str]:
    return MEDIA_RE.findall(page.text)


async def create(web: WebClient, slug: str, files: dict[str, Any], **fields: str) -> httpx.Response:
    data = {"slug": slug, "name": slug.title(), **fields}
    return await web.post_form("/groups/new", data, files=files, csrf_from="/groups/new")


async def edit(web: WebClient, files: dict[str, Any], **fields: str) -> httpx.Response:
    data = {"name": "Club", **fields}
    return await web.post_form(
        "/groups/club/edit", data, files=files, csrf_from="/groups/club/edit"
    )


@pytest.fixture
async def small_uploads(settings_for: SettingsMaker, browser_for: BrowserFactory) -> WebClient:
    """A signed-in browser on an instance whose images may be at most 2048 bytes."""
    web = await browser_for(settings_for(uploads={"max_bytes": MAX_BYTES}))
    await web.login_as_new("alice")
    return web


@pytest.mark.parametrize(
    ("content", "extension", "media_type"),
    [
        (png(), "png", "image/png"),
        (JPEG, "jpg", "image/jpeg"),
        (GIF, "gif", "image/gif"),
        (WEBP, "webp", "image/webp"),
    ],
)
async def test_an_avatar_is_stored_under_a_generated_name_and_served_safely(
    web: WebClient, settings: Settings, content: bytes, extension: str, media_type: str
) -> None:
    await web.login_as_new("alice")
    response = await create(web, "club", {"avatar": ("../../evil name.html", content, "text/html")})
    assert response.status_code == 303
    page = await web.get("/groups/club")
    [name] = media_names(page)
    assert name.endswith(f".{extension}")
    assert files_in(settings.uploads_path) == {name}

    media = await web.get(f"/media/{name}")
    assert media.status_code == 200
    assert media.content == content
    assert media.headers["content-type"] == media_type
    assert media.headers["x-content-type-options"] == "nosniff"
    api = (await web.get("/api/v1/groups/club")).json()
    assert api["avatar_url"] == f"http://localhost:8000/media/{name}"
    assert api["banner_url"] is None


async def test_a_banner_and_an_avatar_together(web: WebClient, settings: Settings) -> None:
    await web.login_as_new("alice")
    files = {"avatar": ("a.png", png(), "image/png"), "banner": ("b.jpg", JPEG, "image/jpeg")}
    assert (await create(web, "club", files)).status_code == 303
    names = media_names(await web.get("/groups/club"))
    assert len(names) == 2
    assert files_in(settings.uploads_path) == set(names)


async def test_an_image_just_over_the_limit_is_413(
    small_uploads: WebClient, snapshot_of: Callable[[WebClient], Awaitable[Snapshot]]
) -> None:
    web = small_uploads
    uploads = runtime_of(web.app).settings.uploads_path
    fits = await create(web, "fits", {"avatar": ("a.png", png_of_size(MAX_BYTES), "")})
    assert fits.status_code == 303
    stored = files_in(uploads)
    before = await snapshot_of(web)

    response = await create(
        web, "club", {"avatar": ("a.png", png_of_size(MAX_BYTES + 1), "image/png")}
    )
    assert response.status_code == 413
    assert "larger than 2 kB" in response.text
    assert files_in(uploads) == stored
    assert await snapshot_of(web) == before


async def test_a_body_over_the_whole_limit_is_413(
    small_uploads: WebClient, snapshot_of: Callable[[WebClient], Awaitable[Snapshot]]
) -> None:
    web = small_uploads
    before = await snapshot_of(web)
    huge = png_of_size(upload_body_limit(MAX_BYTES) + 1)
    response = await create(web, "club", {"avatar": ("a.png", huge, "image/png")})
    assert response.status_code == 413
    assert files_in(runtime_of(web.app).settings.uploads_path) == set()
    assert await snapshot_of(web) == before


@pytest.mark.parametrize(
    ("filename", "content"),
    [
        ("notes.png", b"just some text, not an image at all"),
        ("logo.svg", SVG),
        ("logo.png", SVG),
        ("page.png", b"<html><script>alert(1)</script></html>"),
        ("empty.png", b""),
        ("truncated.png", b"\x89PNG"),
    ],
)
async def test_files_that_are_not_images_are_400(
    web: WebClient,
    settings: Settings,
    snapshot: Callable[[], Awaitable[Snapshot]],
    filename: str,
    content: bytes,
) -> None:
    await web.login_as_new("alice")
    before = await snapshot()
    response = await create(
        web, "club", {"avatar": (filename, content, "image/png")}, summary="kept"
    )
    assert response.status_code == 400
    assert "is empty" in response.text or "Upload a PNG, JPEG, GIF or WebP image." in response.text
    assert ">kept</textarea>" in response.text
    assert files_in(settings.uploads_path) == set()
    assert await snapshot() == before


async def test_a_failed_edit_changes_nothing_and_leaves_no_file(
    web: WebClient, settings: Settings, snapshot: Callable[[], Awaitable[Snapshot]]
) -> None:
    await web.login_as_new("alice")
    await create(web, "club", {"avatar": ("a.png", png(), "image/png")})
    stored = files_in(settings.uploads_path)
    before = await snapshot()

    bad_banner = await edit(
        web,
        {"avatar": ("new.png", png(2, 2), "image/png"), "banner": ("b.png", SVG, "image/png")},
        name="Renamed",
    )
    assert bad_banner.status_code == 400
    bad_name = await edit(web, {"avatar": ("new.png", png(2, 2), "image/png")}, name="")
    assert bad_name.status_code == 400
    assert files_in(settings.uploads_path) == stored
    assert await snapshot() == before
    assert media_names(await web.get("/groups/club")) == list(stored)


async def test_a_replaced_avatar_is_removed(web: WebClient, settings: Settings) -> None:
    await web.login_as_new("alice")
    await create(web, "club", {"avatar": ("a.png", png(), "image/png")})
    [first] = media_names(await web.get("/groups/club"))
    assert (await edit(web, {"avatar": ("b.png", png(2, 2), "image/png")})).status_code == 303
    [second] = media_names(await web.get("/groups/club"))
    assert second != first
    assert files_in(settings.uploads_path) == {second}
    assert (await web.get(f"/media/{first}")).status_code == 404

    kept = await edit(web, {}, summary="no new picture")
    assert kept.status_code == 303
    assert media_names(await web.get("/groups/club")) == [second]

    removed = await edit(web, {}, remove_avatar="on")
    assert removed.status_code == 303
    assert media_names(await web.get("/groups/club")) == []
    assert files_in(settings.uploads_path) == set()


async def test_deleting_a_group_removes_its_images(web: WebClient, settings: Settings) -> None:
    await web.login_as_new("alice")
    files = {"avatar": ("a.png", png(), "image/png"), "banner": ("b.gif", GIF, "image/gif")}
    await create(web, "club", files)
    assert len(files_in(settings.uploads_path)) == 2
    deleted = await web.post_form(
        "/groups/club/delete", {"confirm": "club"}, csrf_from="/groups/club/edit"
    )
    assert deleted.status_code == 303
    assert files_in(settings.uploads_path) == set()


async def test_media_outside_the_uploads_dir_is_not_served(
    web: WebClient, settings: Settings
) -> None:
    secret = (settings.data_path / "secret_key").read_text().strip()
    for path in ("/media/%2e%2e/secret_key", "/media/..%2fsecret_key", "/media/.%2e/secret_key"):
        response = await web.get(path)
        assert response.status_code == 404, path
        assert secret not in response.text


@pytest.fixture
def snapshot_of() -> Callable[[WebClient], Awaitable[Snapshot]]:
    return lambda web: take_snapshot(runtime_of(web.app).engine)


@pytest.mark.parametrize("path", ["/signup", "/login", "/groups/club/join"])
async def test_a_file_where_no_upload_is_expected_is_400(
    web: WebClient, snapshot: Callable[[], Awaitable[Snapshot]], path: str
) -> None:
    await web.make_user("alice")
    before = await snapshot()
    fields = {"username": "bob", "email": "bob@example.org", "password": "long enough pw"}
    response = await web.post_form(path, fields, files={"x": ("a.png", png(), "image/png")})
    assert response.status_code == 400
    assert "Too many files" in response.text
    assert await snapshot() == before
