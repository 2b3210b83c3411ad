"""A test client that behaves like a browser: keeps cookies, reads CSRF tokens from forms."""

from __future__ import annotations

import re
from typing import Any

import httpx

from server.activitypub.runtime import runtime_of
from server.db import session_factory, transaction
from server.models import User
from server.services.users import NewUser, create_user

CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
PASSWORD = "a long enough password"


class WebClient:
    """Wraps an httpx client bound to one app."""

    def __init__(self, client: httpx.AsyncClient, app: Any) -> None:
        self.client = client
        self.app = app

    async def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.client.get(path, **kwargs)

    async def csrf(self, path: str = "/login") -> str:
        """The CSRF token a page's forms carry."""
        page = await self.client.get(path)
        match = CSRF_RE.search(page.text)
        assert match, f"no CSRF token on {path} ({page.status_code})"
        return match.group(1)

    async def post_form(
        self,
        path: str,
        data: dict[str, Any] | None = None,
        *,
        files: dict[str, Any] | None = None,
        csrf_from: str = "/login",
        with_csrf: bool = True,
    ) -> httpx.Response:
        """Submit a form as a browser would, with this session's CSRF token."""
        fields = dict(data or {})
        if with_csrf:
            fields["csrf_token"] = await self.csrf(csrf_from)
        return await self.client.post(path, data=fields, files=files)

    async def make_user(
        self, username: str, *, is_admin: bool = False, state: str = "active"
    ) -> User:
        """Create an account directly in the database."""
        async with transaction(session_factory(runtime_of(self.app).engine)) as session:
            new = NewUser(username, f"{username}@example.org", PASSWORD, is_admin=is_admin)
            return await create_user(session, new, state=state, by_operator=True)

    async def login(self, username: str, password: str = PASSWORD) -> httpx.Response:
        response = await self.post_form("/login", {"login": username, "password": password})
        assert response.status_code == 303, response.text
        return response

    async def login_as_new(self, username: str, *, is_admin: bool = False) -> User:
        """Create an account and sign in as it."""
        user = await self.make_user(username, is_admin=is_admin)
        await self.login(username)
        return user

    async def logout(self) -> None:
        await self.post_form("/logout", csrf_from="/")

    async def create_group(
        self, slug: str, name: str | None = None, **fields: Any
    ) -> httpx.Response:
        """Create a group through the web form as the signed-in user."""
        data = {"slug": slug, "name": name or slug.title(), **fields}
        return await self.post_form("/groups/new", data, csrf_from="/groups/new")
