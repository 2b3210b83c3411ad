"""Hosts, IP addresses and URLs that Hearth is willing to talk to.

Two questions guard every outgoing request against server-side request forgery:

* Is this host string well formed? ``parse_host`` refuses the spellings that make URL
  parsers and resolvers disagree: userinfo, percent signs and backslashes, and the
  legacy numeric IPv4 forms (``2130706433``, ``0x7f.1``, ``017700000001``, ``127.1``)
  that ``inet_aton`` and browsers read as ``127.0.0.1``.
* Is this address on the public internet? ``is_public_address`` refuses loopback,
  private, link-local, shared (CGNAT), multicast, reserved, documentation and benchmark
  ranges, and IPv6 forms that embed or tunnel to IPv4 (mapped, compatible, 6to4,
  Teredo, NAT64), following Mastodon's ``PrivateAddressCheck`` and Fedify's
  ``isValidPublicIPv6Address``. ``ipaddress.is_global`` alone has gaps (multicast is
  "global" on Python 3.11, embedded IPv4 is not looked at), so the ranges are listed.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from urllib.parse import SplitResult, urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

DEFAULT_PORTS = {"http": 80, "https": 443}

_V4 = ipaddress.IPv4Network
_V6 = ipaddress.IPv6Network

#: IPv4 ranges that are never a fediverse server (RFC 6890 special-purpose registry).
BLOCKED_IPV4 = (
    _V4("0.0.0.0/8"),  # "this network", includes the unspecified address
    _V4("10.0.0.0/8"),  # RFC 1918 private
    _V4("100.64.0.0/10"),  # RFC 6598 shared address space (CGNAT)
    _V4("127.0.0.0/8"),  # loopback
    _V4("169.254.0.0/16"),  # link-local, includes cloud metadata 169.254.169.254
    _V4("172.16.0.0/12"),  # RFC 1918 private
    _V4("192.0.0.0/24"),  # IETF protocol assignments
    _V4("192.0.2.0/24"),  # TEST-NET-1 documentation
    _V4("192.88.99.0/24"),  # 6to4 relay anycast (RFC 7526)
    _V4("192.168.0.0/16"),  # RFC 1918 private
    _V4("198.18.0.0/15"),  # benchmarking (RFC 2544)
    _V4("198.51.100.0/24"),  # TEST-NET-2 documentation
    _V4("203.0.113.0/24"),  # TEST-NET-3 documentation
    _V4("224.0.0.0/4"),  # multicast
    _V4("240.0.0.0/4"),  # reserved, includes broadcast 255.255.255.255
)

#: IPv6 ranges that are never a fediverse server.
BLOCKED_IPV6 = (
    _V6("::/128"),  # unspecified
    _V6("::1/128"),  # loopback
    _V6("64:ff9b:1::/48"),  # local-use IPv4/IPv6 translation (RFC 8215)
    _V6("100::/64"),  # discard prefix (RFC 6666)
    _V6("2001::/32"),  # Teredo: tunnels to an IPv4 address we cannot check
    _V6("2001:10::/28"),  # deprecated ORCHID
    _V6("2001:20::/28"),  # ORCHIDv2
    _V6("2001:db8::/32"),  # documentation
    _V6("2002::/16"),  # 6to4: tunnels to an embedded IPv4 address (RFC 7526 deprecates it)
    _V6("3fff::/20"),  # documentation (RFC 9637)
    _V6("fc00::/7"),  # unique local addresses
    _V6("fe80::/10"),  # link-local
    _V6("fec0::/10"),  # deprecated site-local
    _V6("ff00::/8"),  # multicast
)

#: Well-known NAT64 prefix: on an IPv6-only network with DNS64 these are ordinary
#: IPv4 servers, so the embedded address decides (as Fedify does).
NAT64_PREFIX = _V6("64:ff9b::/96")
#: IPv4-compatible addresses (deprecated ``::a.b.c.d``); ``::`` and ``::1`` are blocked above.
IPV4_COMPATIBLE = _V6("::/96")

_LABEL = re.compile(r"^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$")
_HEX_NUMBER = re.compile(r"^0x[0-9a-f]*$")


class InvalidHostError(ValueError):
    """A host, authority or URL that Hearth refuses to parse or contact."""


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address carried by a mapped, compatible or NAT64 IPv6 address."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address in NAT64_PREFIX or (address in IPV4_COMPATIBLE and int(address) > 1):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def _is_public_ipv4(address: ipaddress.IPv4Address) -> bool:
    if any(address in network for network in BLOCKED_IPV4):
        return False
    return address.is_global and not (address.is_multicast or address.is_reserved)


def _is_public_ipv6(address: ipaddress.IPv6Address) -> bool:
    address = ipaddress.IPv6Address(int(address))  # drop any %scope
    if any(address in network for network in BLOCKED_IPV6):
        return False
    embedded = _embedded_ipv4(address)
    if embedded is not None:
        return _is_public_ipv4(embedded)
    flags = (address.is_private, address.is_multicast, address.is_reserved, address.is_site_local)
    return address.is_global and not any(flags)


@functools.lru_cache(maxsize=4096)  # every outgoing request asks again
def is_public_address(address: str | IPAddress) -> bool:
    """Whether ``address`` is a unicast address on the public internet (else refuse it)."""
    if isinstance(address, str):
        try:
            address = ipaddress.ip_address(address)
        except ValueError:
            return False
    if isinstance(address, ipaddress.IPv4Address):
        return _is_public_ipv4(address)
    return _is_public_ipv6(address)


@functools.lru_cache(maxsize=4096)  # every outgoing request asks again
def ip_literal(host: str) -> IPAddress | None:
    """The address if ``host`` (as returned by ``parse_host``) is an IP literal."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def _looks_numeric(label: str) -> bool:
    """WHATWG's "ends in a number": such hosts are IPv4 to browsers and ``inet_aton``."""
    return label.isdigit() or bool(_HEX_NUMBER.match(label))


def _parse_ipv6(host: str) -> str:
    inner = host[1:-1]
    if "%" in inner:
        raise InvalidHostError(f"zone ids are not allowed in hosts: {host!r}")
    try:
        return ipaddress.IPv6Address(inner).compressed
    except ValueError:
        raise InvalidHostError(f"not an IPv6 address: {host!r}") from None


def _parse_name(host: str) -> str:
    try:
        name = host.encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise InvalidHostError(f"not a valid host name: {host!r}") from None
    labels = name.split(".")
    if _looks_numeric(labels[-1]):
        try:
            return str(ipaddress.IPv4Address(name))
        except ValueError:
            raise InvalidHostError(f"not a canonical IPv4 address: {host!r}") from None
    if len(name) > 253 or not all(_LABEL.match(label) for label in labels):
        raise InvalidHostError(f"not a valid host name: {host!r}")
    return name


@functools.lru_cache(maxsize=4096)  # every outgoing request asks again
def parse_host(host: str) -> str:
    """Normalise a host: lowercase ASCII (IDNA), no trailing dot, IPv6 without brackets.

    Raises ``InvalidHostError`` for anything that is not a plain DNS name, a dotted-quad
    IPv4 address or a bracketed IPv6 address.
    """
    if host.startswith("[") and host.endswith("]"):
        return _parse_ipv6(host)
    if host.endswith("."):
        host = host[:-1]
    if not host or any(char in host for char in "@%\\/:[]?#") or not host.isprintable():
        raise InvalidHostError(f"not a valid host: {host!r}")
    if any(char.isspace() for char in host):
        raise InvalidHostError(f"not a valid host: {host!r}")
    return _parse_name(host)


def split_authority(authority: str) -> tuple[str, int | None]:
    """Split ``host[:port]`` (no userinfo) into a normalised host and an optional port."""
    if "@" in authority:
        raise InvalidHostError(f"credentials are not allowed in {authority!r}")
    host, port = authority, None
    bracket = authority.rfind("]")
    colon = authority.rfind(":")
    if colon > bracket:
        host, port_text = authority[:colon], authority[colon + 1 :]
        if not port_text.isascii() or not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise InvalidHostError(f"not a valid port in {authority!r}")
        port = int(port_text)
    return parse_host(host), port


def format_authority(host: str, port: int | None) -> str:
    """``host[:port]`` with brackets around an IPv6 literal."""
    shown = f"[{host}]" if ":" in host else host
    return shown if port is None else f"{shown}:{port}"


_WHITESPACE = re.compile(r"\s")  # what str.isspace() counts, found in C


def parse_http_url(url: str) -> SplitResult:
    """Split an absolute http(s) URL, refusing credentials, odd hosts and control characters."""
    if not url.isprintable() or _WHITESPACE.search(url):
        raise InvalidHostError(f"not a valid URL: {url!r}")
    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. an unclosed IPv6 bracket: "http://[::1"
        raise InvalidHostError(f"not a valid URL: {url!r}") from None
    if parts.scheme.lower() not in DEFAULT_PORTS:
        raise InvalidHostError(f"only http and https URLs are allowed, not {url!r}")
    if not parts.netloc:
        raise InvalidHostError(f"the URL has no host: {url!r}")
    split_authority(parts.netloc)
    return parts


def is_http_url(value: object) -> bool:
    """Whether ``value`` is a string ``parse_http_url`` accepts."""
    if not isinstance(value, str):
        return False
    try:
        parse_http_url(value)
    except InvalidHostError:
        return False
    return True


@functools.lru_cache(maxsize=4096)  # several checks per inbox POST; an invalid URL raises
def origin_of(url: str) -> str:
    """The normalised origin ``scheme://host[:port]`` of an http(s) URL (default port dropped)."""
    parts = parse_http_url(url)
    scheme = parts.scheme.lower()
    host, port = split_authority(parts.netloc)
    return f"{scheme}://{format_authority(host, None if port == DEFAULT_PORTS[scheme] else port)}"


def same_origin(first: str, second: str) -> bool:
    """Whether two http(s) URLs share scheme, host and port (False if either is invalid)."""
    try:
        return origin_of(first) == origin_of(second)
    except InvalidHostError:
        return False
