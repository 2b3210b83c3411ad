"""Mentions and hashtags in what local people write, found and linked as Mastodon does.

The patterns follow Mastodon's ``Account::MENTION_RE`` (``@user`` or ``@user@domain``, not
after ``=``, ``/`` or a word character) and ``Tag::HASHTAG_RE`` (``#`` then word characters
with at least one that is not a digit, not after ``=``, ``/``, ``)`` or a word character).
The HTML is what ``app/lib/text_formatter.rb`` writes:
``<span class="h-card"><a href="URL" class="u-url mention">@<span>user</span></a></span>``
and ``<a href="URL" class="mention hashtag" rel="tag">#<span>tag</span></a>``. Text inside
links and code is left alone."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from html import escape

import nh3
from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token

from server.markup import ALLOWED_ATTRIBUTES, ALLOWED_CLASSES, ALLOWED_TAGS, URL_SCHEMES

MENTION_RE = re.compile(
    r"(?<![=/\w])@([a-z0-9_]+(?:[.-]+[a-z0-9_]+)*)(?:@([\w.-]+\w))?", re.IGNORECASE
)
HASHTAG_RE = re.compile(r"(?<![=/)\w])#(\w{0,63}[^\W\d]\w{0,63})")
ENTITY_RE = re.compile(f"{MENTION_RE.pattern}|{HASHTAG_RE.pattern}", re.IGNORECASE)
LINK_REL = "nofollow noopener noreferrer ugc"
_RELS = frozenset({*LINK_REL.split(), "tag"})
MAX_TAG = 64


def find_mentions(text: str) -> list[tuple[str, str | None]]:
    """``(username, domain or None)`` of each ``@mention``, first occurrence first."""
    found: list[tuple[str, str | None]] = []
    for match in MENTION_RE.finditer(text):
        item = (match.group(1), match.group(2))
        if item not in found:
            found.append(item)
    return found


@dataclass(frozen=True)
class MentionLink:
    """A resolved mention: the page people open and the name shown after ``@``."""

    url: str
    username: str


@dataclass
class Linker:
    """What the renderer links: ``mention(username, domain)`` gives the resolved account or
    None (left as text, as Mastodon leaves an unknown account), ``tag_url(tag)`` the tag page.
    ``mentioned`` and ``tags`` collect what was linked, in order."""

    mention: Callable[[str, str | None], MentionLink | None]
    tag_url: Callable[[str], str]
    mentioned: list[tuple[str, str | None]] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)


def _entity_html(match: re.Match[str], linker: Linker) -> str | None:
    username, domain, tag = match.group(1), match.group(2), match.group(3)
    if tag is not None:
        if len(tag) > MAX_TAG:
            return None
        if tag.lower() not in (known.lower() for known in linker.tags):
            linker.tags.append(tag)
        url = escape(linker.tag_url(tag.lower()))
        return f'<a href="{url}" class="mention hashtag" rel="tag">#<span>{escape(tag)}</span></a>'
    link = linker.mention(username, domain)
    if link is None:
        return None
    if (username, domain) not in linker.mentioned:
        linker.mentioned.append((username, domain))
    return (
        f'<span class="h-card"><a href="{escape(link.url)}" class="u-url mention">'
        f"@<span>{escape(link.username)}</span></a></span>"
    )


def _split(token: Token, linker: Linker) -> list[Token]:
    """A text token cut into text and the links of its mentions and hashtags."""
    pieces: list[Token] = []
    last = 0
    for match in ENTITY_RE.finditer(token.content):
        html = _entity_html(match, linker)
        if html is None:
            continue
        if match.start() > last:
            pieces.append(Token("text", "", 0, content=token.content[last : match.start()]))
        pieces.append(Token("html_inline", "", 0, content=html))
        last = match.end()
    if not pieces:
        return [token]
    if last < len(token.content):
        pieces.append(Token("text", "", 0, content=token.content[last:]))
    return pieces


def _link_entities(state: StateCore) -> None:
    """Core rule: link entities in text outside links; ordinary links get ``rel``."""
    linker = state.env.get("linker")
    for block in state.tokens:
        if block.type != "inline" or not block.children:
            continue
        children: list[Token] = []
        depth = 0
        for token in block.children:
            if token.type == "link_open":
                depth += 1
                token.attrSet("rel", LINK_REL)
            elif token.type == "link_close":
                depth -= 1
            if token.type == "text" and depth == 0 and isinstance(linker, Linker):
                children.extend(_split(token, linker))
            else:
                children.append(token)
        block.children = children


_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False, "breaks": True})
_markdown.enable("strikethrough")
_markdown.core.ruler.push("hearth_entities", _link_entities)


def _keep(element: str, attribute: str, value: str) -> str | None:
    if attribute == "class":
        kept = [name for name in value.split() if name in ALLOWED_CLASSES]
        return " ".join(dict.fromkeys(kept)) or None
    if attribute == "rel":
        return " ".join(name for name in value.split() if name in _RELS) or None
    return value


def render_with_entities(text: str, linker: Linker) -> str:
    """Markdown to sanitized HTML with mentions and hashtags linked as Mastodon links them
    (what was linked is left in ``linker.mentioned`` and ``linker.tags``)."""
    html = _markdown.render(text, {"linker": linker})
    attributes = {**ALLOWED_ATTRIBUTES, "a": {*ALLOWED_ATTRIBUTES["a"], "rel"}}
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=attributes,
        attribute_filter=_keep,
        url_schemes=URL_SCHEMES,
        link_rel=None,
        strip_comments=True,
    )
