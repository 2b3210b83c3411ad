"""NodeInfo 2.0 / 2.1 documents and the host-meta XRD that points at WebFinger.

Schemas: ``http://nodeinfo.diaspora.software/ns/schema/2.0`` and ``…/2.1``. 2.1 only
adds the optional ``software.repository`` and ``software.homepage``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Literal
from xml.sax.saxutils import quoteattr

from federation.jsonld import JsonObject

NodeInfoVersion = Literal["2.0", "2.1"]
VERSIONS: tuple[NodeInfoVersion, ...] = ("2.1", "2.0")
SCHEMA = "http://nodeinfo.diaspora.software/ns/schema/{version}"
#: The schema's pattern for ``software.name``.
SOFTWARE_NAME = re.compile(r"^[a-z0-9-]+$")


def nodeinfo_links(base_url: str) -> JsonObject:
    """``/.well-known/nodeinfo``: where the 2.1 and 2.0 documents are."""
    return {
        "links": [
            {"rel": SCHEMA.format(version=version), "href": f"{base_url}/nodeinfo/{version}"}
            for version in VERSIONS
        ]
    }


def _software(
    version: NodeInfoVersion,
    name: str,
    software_version: str,
    repository: str | None,
    homepage: str | None,
) -> JsonObject:
    if not SOFTWARE_NAME.match(name):
        raise ValueError(f"NodeInfo software names are lowercase letters, digits and '-': {name!r}")
    software: JsonObject = {"name": name, "version": software_version}
    if version == "2.1":
        software |= {
            key: value
            for key, value in (("repository", repository), ("homepage", homepage))
            if value
        }
    return software


def build_nodeinfo(
    version: NodeInfoVersion,
    *,
    software_name: str,
    software_version: str,
    open_registrations: bool,
    users_total: int,
    users_active_month: int,
    users_active_halfyear: int,
    local_posts: int,
    metadata: Mapping[str, Any] | None = None,
    repository: str | None = None,
    homepage: str | None = None,
) -> JsonObject:
    """A NodeInfo document of the given schema version (serve with that schema as profile)."""
    if version not in VERSIONS:
        raise ValueError(f"unknown NodeInfo version {version!r}")
    return {
        "version": version,
        "software": _software(version, software_name, software_version, repository, homepage),
        "protocols": ["activitypub"],
        "services": {"inbound": [], "outbound": []},
        "openRegistrations": open_registrations,
        "usage": {
            "users": {
                "total": users_total,
                "activeMonth": users_active_month,
                "activeHalfyear": users_active_halfyear,
            },
            "localPosts": local_posts,
        },
        "metadata": dict(metadata or {}),
    }


def host_meta_xml(base_url: str) -> str:
    """The ``/.well-known/host-meta`` XRD with the WebFinger ``lrdd`` template."""
    template = quoteattr(f"{base_url}/.well-known/webfinger?resource={{uri}}")
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<XRD xmlns="http://docs.oasis-open.org/ns/xri/xrd-1.0">\n'
        f'  <Link rel="lrdd" template={template}/>\n'
        "</XRD>\n"
    )
