"""Reading a post as peers really send it: Mastodon's ``Note``, Lemmy's ``Page`` (a title in
``name``), WordPress's and Mobilizon's ``Article``; content from ``content`` or
``contentMap``; content warnings (``summary``, ``sensitive``); the link to the original
(``url``: a string, a ``Link`` or a list of them, http(s) only); attachments with their alt
text. What cannot be shown is refused with a :class:`NotAPost` that says why.

Shapes follow the peers' serializers: Mastodon ``app/serializers/activitypub/note_serializer.rb``
and ``app/lib/activitypub/parser/status_parser.rb``; Lemmy
``crates/apub/src/objects/post.rs``; the funfedi.dev corpus (``fediverse-pasture-inputs``).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any, TypeGuard
from urllib.parse import urlsplit

from federation.addresses import is_http_url
from federation.jsonld import JsonObject, as_list, get_id
from server.markup import html_to_text, sanitize_html

POST_TYPES = ("Note", "Article", "Page")
MEDIA_TYPES = ("Image", "Video", "Audio", "Document")
#: At most this many attachments of a post are kept (Mastodon keeps 4; Lemmy sends 1).
MAX_ATTACHMENTS = 8
MAX_TITLE = 300
MAX_SUMMARY = 1000
MAX_ALT = 1500
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".webp")


class NotAPost(Exception):
    """The object cannot be shown as a post; the message says why (for the log)."""


@dataclass
class Attachment:
    """A file attached to a post: ``kind`` is image, video, audio, document or link."""

    kind: str
    url: str
    alt: str = ""
    media_type: str = ""
    sensitive: bool = False
    #: The file name in the local media cache (images only), once fetched.
    cached: str = ""


@dataclass
class PostShape:
    """What a post shows: its title, sanitized HTML, warning, link and attachments."""

    title: str
    content_html: str
    summary: str
    sensitive: bool
    url: str
    attachments: list[Attachment] = field(default_factory=list)

    def attachments_json(self) -> str:
        return json.dumps([asdict(item) for item in self.attachments], ensure_ascii=False)


def types_of(obj: JsonObject) -> list[str]:
    """The object's types (``type`` may be a string or a list)."""
    return [kind for kind in as_list(obj.get("type")) if isinstance(kind, str)]


def is_post_type(obj: Any) -> TypeGuard[JsonObject]:
    """Whether ``obj`` is a Note, Article or Page (alone or among its types)."""
    return isinstance(obj, dict) and any(kind in POST_TYPES for kind in types_of(obj))


def is_poll_vote(note: JsonObject) -> bool:
    """Mastodon's vote: a ``Note`` with a ``name`` (the option), ``inReplyTo`` and no content
    (``app/services/vote_service.rb``). A titled post with content is a post."""
    return (
        "Note" in types_of(note)
        and bool(note.get("name"))
        and bool(get_id(note.get("inReplyTo")))
        and not note.get("content")
        and not note.get("contentMap")
    )


def author_of(obj: JsonObject) -> str | None:
    """The first actor of ``attributedTo`` (a string, an object or a list of them)."""
    for item in as_list(obj.get("attributedTo")):
        found = get_id(item)
        if found:
            return found
    return None


def _href(value: Any) -> tuple[str, str]:
    """(href, mediaType) of a URL string or a ``Link``; empty when it is neither."""
    if isinstance(value, str):
        return value, ""
    if isinstance(value, dict):
        href = value.get("href") if isinstance(value.get("href"), str) else get_id(value)
        media_type = value.get("mediaType")
        return href or "", media_type if isinstance(media_type, str) else ""
    return "", ""


def http_url(value: Any, *, prefer: str = "text/html") -> str:
    """The first http(s) URL of ``url`` (string, Link or list), a Link of type ``prefer``
    first (Mastodon's ``url_to_href``); empty when there is none."""
    links = [_href(item) for item in as_list(value)]
    usable = [(href, kind) for href, kind in links if is_http_url(href)]
    preferred = [href for href, kind in usable if kind == prefer]
    return (preferred or [href for href, _ in usable] or [""])[0]


def content_of(note: JsonObject, languages: list[str]) -> str:
    """The post's HTML in the reader's language: the ``contentMap`` entry in the first of
    ``languages`` it has, else ``content``, else the map's first entry; :class:`NotAPost`
    when ``content`` is not text."""
    content = note.get("content")
    if content is not None and not isinstance(content, str):
        raise NotAPost(f"its content is a {type(content).__name__}, not text")
    mapping = note.get("contentMap")
    texts = (
        {str(lang).lower(): text for lang, text in mapping.items() if isinstance(text, str)}
        if isinstance(mapping, dict)
        else {}
    )
    for lang in languages:
        wanted = lang.lower()
        for key, text in texts.items():
            if text and (key == wanted or key.split("-")[0] == wanted):
                return text
    return content or next(iter(texts.values()), "")


def _attachment(item: Any, sensitive: bool) -> Attachment | None:
    if not isinstance(item, dict):
        return None
    kinds = types_of(item) or ["Document"]  # untyped: a file, as Mastodon takes it
    url = http_url(item.get("url"), prefer="") or http_url(item.get("href"), prefer="")
    if not url:
        return None
    name = item.get("name")
    alt = html_to_text(name)[:MAX_ALT] if isinstance(name, str) else ""
    declared_type = item.get("mediaType")
    media_type = declared_type if isinstance(declared_type, str) else ""
    if "Link" in kinds:
        return Attachment("link", url, alt, media_type)
    if not any(kind in MEDIA_TYPES for kind in kinds):
        return None
    major = str(media_type).split("/")[0]
    if "Image" in kinds or major == "image":
        kind = "image"
    elif major in ("video", "audio"):
        kind = major
    elif "Video" in kinds or "Audio" in kinds:
        kind = "video" if "Video" in kinds else "audio"
    else:
        # A Document without a media type may still be an image (Mastodon decides by the
        # file): one named like an image is tried, and the cache checks its bytes.
        named_like_image = urlsplit(url).path.lower().endswith(IMAGE_SUFFIXES)
        kind = "image" if not media_type and named_like_image else "document"
    marked = sensitive or item.get("sensitive") is True
    return Attachment(kind, url, alt, str(media_type)[:100], marked)


def title_of(note: JsonObject) -> str:
    """The post's title (``name``) as plain text, or ""."""
    name = note.get("name")
    return html_to_text(name)[:MAX_TITLE] if isinstance(name, str) else ""


def read_post(note: JsonObject, languages: list[str]) -> PostShape:
    """The post ``note`` shows; :class:`NotAPost` when there is nothing to show."""
    if not is_post_type(note):
        raise NotAPost(f"{types_of(note) or 'an untyped object'} is not a Note, Article or Page")
    title = title_of(note)
    content = content_of(note, languages)
    content_html = sanitize_html(content)
    summary_value = note.get("summary")
    warned = isinstance(summary_value, str) and bool(summary_value.strip())
    summary = html_to_text(summary_value)[:MAX_SUMMARY] if isinstance(summary_value, str) else ""
    # A warning with nothing left to show (its HTML was all unsafe) still collapses the post.
    sensitive = note.get("sensitive") is True or warned
    attachments = [
        found
        for found in (_attachment(item, sensitive) for item in as_list(note.get("attachment")))
        if found is not None
    ][:MAX_ATTACHMENTS]
    if not (content.strip() or title or attachments):
        raise NotAPost("it has no content, title or attachment")
    url = http_url(note.get("url")) or str(get_id(note) or "")
    return PostShape(title, content_html, summary, sensitive, url, attachments)


def attachments_from_json(text: str) -> list[Attachment]:
    """The attachments stored with a post (see :meth:`PostShape.attachments_json`)."""
    try:
        items = json.loads(text or "[]")
    except ValueError:
        return []
    fields = Attachment.__dataclass_fields__
    return [
        Attachment(**{k: v for k, v in item.items() if k in fields})
        for item in items
        if isinstance(item, dict) and isinstance(item.get("url"), str)
    ]
