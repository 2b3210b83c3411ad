"""The accounts a text mentions, resolved before it is written (by
:func:`server.activitypub.mentions.resolve_entities`, which may use the network), and the
text rendered with them: Mastodon's mention and hashtag links and the ``tag`` array
(see :mod:`server.activitypub.mentions` for the shapes and their sources)."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import quote

from federation.jsonld import JsonObject
from server.markup_entities import Linker, MentionLink, render_with_entities
from server.uris import LocalUris


@dataclass(frozen=True)
class Mentioned:
    """A resolved account: its actor id (``href``, ``cc``), profile page and handle."""

    uri: str
    url: str
    username: str
    acct: str  # user@domain


@dataclass
class Entities:
    """The accounts a text mentions, resolved once before it is rendered and stored."""

    uris: LocalUris
    accounts: dict[tuple[str, str], Mentioned] = field(default_factory=dict)

    def find(self, username: str, domain: str | None) -> Mentioned | None:
        host = (domain or self.uris.domain).lower()
        return self.accounts.get((username.lower(), host))

    def render(self, text: str) -> tuple[str, list[JsonObject]]:
        """The HTML (Mastodon's mention and hashtag links) and the ``tag`` array."""

        def link(username: str, domain: str | None) -> MentionLink | None:
            found = self.find(username, domain)
            return MentionLink(found.url, found.username) if found else None

        linker = Linker(mention=link, tag_url=self.tag_url)
        html = render_with_entities(text, linker)
        tags: list[JsonObject] = []
        for username, domain in linker.mentioned:
            account = self.find(username, domain)
            if account is not None:
                tags.append({"type": "Mention", "href": account.uri, "name": f"@{account.acct}"})
        tags += [
            {"type": "Hashtag", "href": self.tag_url(tag.lower()), "name": f"#{tag}"}
            for tag in linker.tags
        ]
        return html, tags

    def tag_url(self, tag: str) -> str:
        return f"{self.uris.base}/tags/{quote(tag)}"
