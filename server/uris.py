"""The URIs of local actors, collections, objects and activities (stable: peers store them)."""

from __future__ import annotations

import uuid
from urllib.parse import urlsplit

from server.config import Settings


class LocalUris:
    """Builds this instance's URIs from its public origin."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.base = settings.base_url
        self.domain = settings.instance.domain

    def group(self, slug: str) -> str:
        return f"{self.base}/groups/{slug}"

    def user(self, username: str) -> str:
        return f"{self.base}/users/{username}"

    @property
    def instance_actor(self) -> str:
        return f"{self.base}/actor"

    @property
    def instance_username(self) -> str:
        """The instance actor's ``preferredUsername``: the host (as Mastodon names its own
        instance actor), so it is found as ``acct:HOST@DOMAIN``."""
        return urlsplit(self.base).hostname or self.domain

    @property
    def shared_inbox(self) -> str:
        return f"{self.base}/inbox"

    def key_id(self, actor_uri: str) -> str:
        return f"{actor_uri}#main-key"

    def post(self, slug: str, post_id: int) -> str:
        return f"{self.group(slug)}/posts/{post_id}"

    def event(self, event_id: int) -> str:
        return f"{self.base}/events/{event_id}"

    def new_activity(self) -> str:
        return f"{self.base}/activities/{uuid.uuid4()}"

    def is_local(self, uri: str) -> bool:
        """Whether a URI belongs to this instance (same scheme, host and port)."""
        parts = urlsplit(uri)
        return f"{parts.scheme}://{parts.netloc}" == self.base

    def local_actor_path(self, uri: str) -> tuple[str, str] | None:
        """("groups", slug) or ("users", name) for a local actor URI, else None."""
        if not self.is_local(uri):
            return None
        pieces = urlsplit(uri).path.strip("/").split("/")
        if len(pieces) == 2 and pieces[0] in ("groups", "users") and pieces[1]:
            return pieces[0], pieces[1]
        if pieces == ["actor"]:
            return "actor", ""
        return None


def host_of(uri: str) -> str:
    """The lowercase host (with port) of a URI."""
    return urlsplit(uri).netloc.lower()


def is_inbox_path(path: str) -> bool:
    """Whether ``path`` is one of our inboxes (the shared one, the instance actor's, a
    group's or a user's): the routes other servers POST activities to."""
    return path == "/inbox" or path.endswith("/inbox")
