"""Image uploads (group avatars and banners): checked by content, stored under generated names."""

from __future__ import annotations

import asyncio
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from server.errors import InvalidInput, PayloadTooLarge
from server.i18n import _

#: Magic numbers of the image formats accepted, and the extension each is stored with.
_SIGNATURES: tuple[tuple[bytes, int, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", 0, ".png"),
    (b"\xff\xd8\xff", 0, ".jpg"),
    (b"GIF87a", 0, ".gif"),
    (b"GIF89a", 0, ".gif"),
    (b"WEBP", 8, ".webp"),
)
MEDIA_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
}


def upload_body_limit(max_image_bytes: int) -> int:
    """The largest body of a form carrying two images (avatar and banner) and its fields."""
    return 2 * max_image_bytes + 65_536


@dataclass(frozen=True)
class StoredImage:
    """A saved upload: its generated file name under the uploads directory."""

    name: str


def sniff_image_extension(head: bytes) -> str | None:
    """The extension for an accepted image format recognised by its first bytes, else None."""
    for magic, offset, extension in _SIGNATURES:
        if head[offset : offset + len(magic)] == magic:
            if extension == ".webp" and not head.startswith(b"RIFF"):
                continue
            return extension
    return None


async def read_limited(upload: UploadFile, max_bytes: int) -> bytes:
    """Read an upload, refusing (413) anything over ``max_bytes``."""
    data = await upload.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise PayloadTooLarge(
            _("The file is larger than %(kilobytes)s kB.") % {"kilobytes": max_bytes // 1000},
            field="file",
        )
    return data


async def save_image(
    upload: UploadFile, directory: Path, max_bytes: int, *, field: str
) -> StoredImage:
    """Check an uploaded image's size and format and store it under a random name."""
    data = await read_limited(upload, max_bytes)
    if not data:
        raise InvalidInput(_("The file is empty."), field=field)
    extension = sniff_image_extension(data[:16])
    if extension is None:
        raise InvalidInput(_("Upload a PNG, JPEG, GIF or WebP image."), field=field)
    name = secrets.token_hex(16) + extension
    await asyncio.to_thread(_write_atomically, directory, name, data)
    return StoredImage(name=name)


def _write_atomically(directory: Path, name: str, data: bytes) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    temporary = directory / (name + ".part")
    temporary.write_bytes(data)
    temporary.replace(directory / name)


def remove_image(directory: Path, name: str) -> None:
    """Delete a stored image, ignoring names that are not ours."""
    if name and "/" not in name and not name.startswith("."):
        (directory / name).unlink(missing_ok=True)


class MediaFiles(StaticFiles):
    """Serves the uploads directory (mounted at ``/media``, a path no ActivityPub object
    uses): only the image types we store, each with its exact type, an inline
    ``Content-Disposition`` and a sandboxing CSP, so no file can be read as a page or script.
    """

    def file_response(
        self,
        full_path: str | os.PathLike[str],
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        """The file, if it is one of our image types; 404 for anything else (e.g. ``.part``)."""
        path = Path(full_path)
        media_type = MEDIA_TYPES.get(path.suffix.lower())
        if media_type is None:
            raise HTTPException(status_code=404)
        response = super().file_response(full_path, stat_result, scope, status_code)
        response.headers["Content-Type"] = media_type
        response.headers["Content-Disposition"] = f'inline; filename="{path.name}"'
        response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
        return response
