from __future__ import annotations

from typing import Any
from xml.etree import ElementTree

import pytest

from federation.nodeinfo import build_nodeinfo, host_meta_xml, nodeinfo_links

BASE = "https://town.example"


def document(version: Any = "2.1", **overrides: Any) -> dict[str, Any]:
    options: dict[str, Any] = {
        "software_name": "hearth",
        "software_version": "0.1.0",
        "open_registrations": True,
        "users_total": 12,
        "users_active_month": 5,
        "users_active_halfyear": 9,
        "local_posts": 40,
        "metadata": {"nodeName": "Town"},
        "repository": "https://example.org/hearth",
        "homepage": "https://hearth.example",
    }
    return build_nodeinfo(version, **(options | overrides))


def test_links_point_at_both_versions() -> None:
    assert nodeinfo_links(BASE) == {
        "links": [
            {
                "rel": "http://nodeinfo.diaspora.software/ns/schema/2.1",
                "href": f"{BASE}/nodeinfo/2.1",
            },
            {
                "rel": "http://nodeinfo.diaspora.software/ns/schema/2.0",
                "href": f"{BASE}/nodeinfo/2.0",
            },
        ]
    }


def test_nodeinfo_2_1() -> None:
    assert document() == {
        "version": "2.1",
        "software": {
            "name": "hearth",
            "version": "0.1.0",
            "repository": "https://example.org/hearth",
            "homepage": "https://hearth.example",
        },
        "protocols": ["activitypub"],
        "services": {"inbound": [], "outbound": []},
        "openRegistrations": True,
        "usage": {"users": {"total": 12, "activeMonth": 5, "activeHalfyear": 9}, "localPosts": 40},
        "metadata": {"nodeName": "Town"},
    }


def test_nodeinfo_2_0_has_no_repository_or_homepage() -> None:
    info = document("2.0")
    assert info["version"] == "2.0"
    assert info["software"] == {"name": "hearth", "version": "0.1.0"}


def test_optional_software_fields_are_left_out_when_unknown() -> None:
    assert document(repository=None, homepage=None)["software"] == {
        "name": "hearth",
        "version": "0.1.0",
    }


def test_metadata_defaults_to_an_empty_object_and_is_copied() -> None:
    metadata = {"nodeName": "Town"}
    info = document(metadata=metadata)
    info["metadata"]["extra"] = 1
    assert metadata == {"nodeName": "Town"}
    assert document(metadata=None)["metadata"] == {}


@pytest.mark.parametrize("version", ["1.0", "2.2", ""])
def test_unknown_version_is_refused(version: str) -> None:
    with pytest.raises(ValueError, match="version"):
        document(version)


@pytest.mark.parametrize("name", ["Hearth", "hearth server", "héarth", ""])
def test_software_name_follows_the_schema(name: str) -> None:
    with pytest.raises(ValueError, match="software names"):
        document(software_name=name)


def test_host_meta_has_the_lrdd_template() -> None:
    root = ElementTree.fromstring(host_meta_xml(BASE))  # noqa: S314 (our own output)
    link = root.find("{http://docs.oasis-open.org/ns/xri/xrd-1.0}Link")
    assert link is not None
    assert link.get("rel") == "lrdd"
    assert link.get("template") == f"{BASE}/.well-known/webfinger?resource={{uri}}"


def test_host_meta_escapes_the_base_url() -> None:
    xml = host_meta_xml('https://town.example/a&b"c')
    root = ElementTree.fromstring(xml)  # noqa: S314 (our own output)
    link = root.find("{http://docs.oasis-open.org/ns/xri/xrd-1.0}Link")
    assert link is not None
    assert link.get("template", "").startswith('https://town.example/a&b"c/')
