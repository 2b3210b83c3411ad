"""What account tests share: a sign-up form, and whether a browser is signed in."""

from __future__ import annotations

import httpx

from tests.web import PASSWORD, WebClient


async def is_signed_in(web: WebClient) -> bool:
    """Whether this browser's session is a signed-in one (a members-only page answers 200)."""
    response = await web.get("/me/groups")
    if response.status_code == 200:
        return True
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login")
    return False


def signup_form(username: str, email: str | None = None, **extra: str) -> dict[str, str]:
    """The sign-up form's fields (password: ``tests.web.PASSWORD``)."""
    return {
        "username": username,
        "email": f"{username}@example.org" if email is None else email,
        "password": PASSWORD,
        **extra,
    }


def page_without_token(response: httpx.Response) -> str:
    """A page's HTML up to its first CSRF token (which differs between sessions)."""
    return response.text.split('name="csrf_token"')[0]
