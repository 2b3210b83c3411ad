"""The home page renders and the basic flow works end to end in-process."""

from __future__ import annotations

from tests.web import WebClient


async def test_home_page_renders(web: WebClient) -> None:
    response = await web.get("/")
    assert response.status_code == 200
    assert "Find a group" in response.text
    assert response.headers["content-security-policy"].startswith("default-src 'self'")


async def test_create_group_and_find_it(web: WebClient) -> None:
    await web.login_as_new("alice")
    response = await web.create_group(
        "repair-cafe", "Repair Café", summary="We fix **things**", tags="repair, diy"
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/groups/repair-cafe"
    page = await web.get("/groups/repair-cafe")
    assert page.status_code == 200
    assert "<strong>things</strong>" in page.text
    assert "@repair-cafe@localhost:8000" in page.text
    home = await web.get("/?tag=repair")
    assert "Repair Café" in home.text
