"""Secrets: no private key (a group's, a person's, the instance actor's) and not the session
secret ever appears in a page, an API response, an ActivityPub document, a response header or
the log (at INFO, as ``hearth`` runs, and at DEBUG for our own loggers; a database driver's
DEBUG log shows query parameters, keys included — SECURITY.md says so) — on an instance where
every page has something to show, after federating."""

from __future__ import annotations

import logging

import pytest

from tests.federation_net import FederationNet
from tests.flows.peer import Peer
from tests.security.site import build_site, crawl
from tests.server.db_access import take_snapshot


def _private_keys(snapshot: dict[str, list[tuple[object, ...]]]) -> list[str]:
    return [
        value
        for rows in snapshot.values()
        for row in rows
        for value in row
        if isinstance(value, str) and "PRIVATE KEY" in value
    ]


def _fingerprints(secret: str) -> list[str]:
    """Pieces any leak of ``secret`` would contain, whatever the encoding around it."""
    lines = [line for line in secret.splitlines() if line and "-----" not in line]
    return [line[:40] for line in lines[1:4]] if lines else [secret[:24]]


async def test_no_secret_reaches_a_page_a_document_a_header_or_the_log(
    net: FederationNet, peer: Peer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)  # what ``hearth`` logs in production
    for ours in ("server", "federation", "httpx"):  # and everything our own code says
        caplog.set_level(logging.DEBUG, logger=ours)
    site = await build_site(net, peer)
    b = site.b
    keys = _private_keys(await take_snapshot(b.engine))
    assert len(keys) >= 3  # the group, the organizer, the instance actor
    session_secret = (b.settings.data_path / "secret_key").read_text().strip()
    secrets = {"session secret": [session_secret[:24]]} | {
        f"private key {n}": _fingerprints(key) for n, key in enumerate(keys)
    }

    pages = await crawl(site, net)
    assert len(pages) > 40, sorted(pages)
    assert not [path for path, r in pages.items() if r.status_code >= 500]
    for path, response in pages.items():
        exposed = response.text + str(dict(response.headers))
        for name, pieces in secrets.items():
            for piece in pieces:
                assert piece not in exposed, (name, path)
        assert "PRIVATE KEY" not in exposed, path
    for name, pieces in secrets.items():
        for piece in pieces:
            assert piece not in caplog.text, name
    assert "PRIVATE KEY" not in caplog.text
    assert "BEGIN PUBLIC KEY" in pages["/groups/club"].text or any(
        "BEGIN PUBLIC KEY" in r.text for r in pages.values()
    )  # the crawl did reach the actor documents
