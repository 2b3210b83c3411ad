"""axe-core in the browser tests: the engine ships in the ``axe-playwright-python`` package
(a test dependency); it is evaluated into the page and run on the whole document."""

from __future__ import annotations

from functools import cache
from importlib.resources import files

from playwright.sync_api import Page


@cache
def _axe_source() -> str:
    return files("axe_playwright_python").joinpath("axe.min.js").read_text(encoding="utf-8")


def axe_violations(page: Page) -> list[str]:
    """Every axe-core violation on the page (all rules but experimental ones), one line each:
    rule id, impact, help text and the first elements concerned."""
    page.evaluate(_axe_source())
    result = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{violation['id']} ({violation['impact']}): {violation['help']} "
        f"at {[node['target'] for node in violation['nodes'][:3]]}"
        for violation in result["violations"]
    ]
