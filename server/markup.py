"""Markdown to safe HTML, and sanitizing of HTML from anywhere (local users or remote peers)."""

from __future__ import annotations

from html import unescape

import nh3
from markdown_it import MarkdownIt

ALLOWED_TAGS = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "code",
    "del",
    "em",
    "h1",
    "h2",
    "h3",
    "h4",
    "hr",
    "i",
    "li",
    "ol",
    "p",
    "pre",
    "s",
    "span",
    "strong",
    "sub",
    "sup",
    "u",
    "ul",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title", "class"}, "abbr": {"title"}, "span": {"class"}}
URL_SCHEMES = {"http", "https", "mailto"}
#: The classes kept on remote HTML: those Mastodon keeps for mentions, hashtags and
#: shortened links (``app/lib/sanitize_config.rb``, CLASS_WHITELIST_TRANSFORMER). Any
#: other class is dropped, so a post cannot dress itself up as a part of our pages.
ALLOWED_CLASSES = frozenset({"mention", "hashtag", "h-card", "u-url", "invisible", "ellipsis"})

# Raw HTML in Markdown is shown as text, not interpreted; links become clickable.
_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False, "breaks": True})
_markdown.enable("strikethrough")


def _keep_known_classes(element: str, attribute: str, value: str) -> str | None:
    """nh3's attribute filter: of a ``class``, only :data:`ALLOWED_CLASSES` stay."""
    if attribute != "class":
        return value
    kept = [name for name in value.split() if name in ALLOWED_CLASSES]
    return " ".join(dict.fromkeys(kept)) or None


def sanitize_html(html: str) -> str:
    """Keep only harmless formatting tags, http(s)/mailto links, Mastodon's classes and no
    scripts or handlers."""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        attribute_filter=_keep_known_classes,
        url_schemes=URL_SCHEMES,
        link_rel="nofollow noopener noreferrer ugc",
        strip_comments=True,
    )


def render_markdown(text: str) -> str:
    """Render user Markdown to sanitized HTML."""
    return sanitize_html(_markdown.render(text))


def html_to_text(html: str) -> str:
    """Plain text of some HTML (for previews and meta descriptions).

    Entities are decoded: the result is text, which templates escape once (nh3's own
    output is escaped HTML, and escaping that again would show ``&amp;`` for ``&``).
    """
    return " ".join(unescape(nh3.clean(html, tags=set())).split())
