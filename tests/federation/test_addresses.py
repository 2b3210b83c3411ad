from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from federation.addresses import (
    InvalidHostError,
    format_authority,
    is_http_url,
    is_public_address,
    origin_of,
    parse_host,
    parse_http_url,
    same_origin,
    split_authority,
)

NOT_PUBLIC = [
    "127.0.0.1",
    "127.255.255.254",
    "10.0.0.1",
    "10.255.255.255",
    "172.16.0.1",
    "172.31.255.255",
    "192.168.0.1",
    "192.168.255.255",
    "169.254.0.1",
    "169.254.169.254",  # cloud metadata
    "100.64.0.1",  # CGNAT
    "100.127.255.255",
    "0.0.0.0",  # noqa: S104 (an address to refuse, not one to bind)
    "0.1.2.3",
    "192.0.0.8",
    "192.0.2.1",  # documentation
    "198.51.100.7",
    "203.0.113.9",
    "198.18.0.1",  # benchmarking
    "192.88.99.1",  # 6to4 relay
    "224.0.0.1",  # multicast
    "239.255.255.250",
    "240.0.0.1",  # reserved
    "255.255.255.255",
    "::1",
    "::",
    "fe80::1",
    "fe80::1%eth0",
    "febf::1",
    "fec0::1",  # deprecated site-local
    "fc00::1",
    "fd12:3456::1",
    "ff02::1",
    "::ffff:127.0.0.1",
    "::ffff:10.0.0.1",
    "::ffff:169.254.169.254",
    "::127.0.0.1",  # IPv4-compatible
    "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
    "64:ff9b::a00:1",  # NAT64 of 10.0.0.1
    "64:ff9b:1::808:808",  # local-use NAT64
    "2002:7f00:1::",  # 6to4 of 127.0.0.1
    "2002:808:808::1",  # 6to4 is refused altogether, as Mastodon and Fedify do
    "2001::1",  # Teredo
    "2001:db8::1",
    "3fff::1",
    "100::1",
    "2130706433",  # decimal 127.0.0.1 is not an address literal
    "0x7f000001",
    "017700000001",
    "localhost",
    "",
]

PUBLIC = [
    "8.8.8.8",
    "1.1.1.1",
    "93.184.215.14",
    "2606:4700:4700::1111",
    "2a00:1450:4001:80b::200e",
    "::ffff:8.8.8.8",
    "64:ff9b::808:808",  # NAT64 of a public address (DNS64 networks)
]


@pytest.mark.parametrize("address", NOT_PUBLIC)
def test_non_public_addresses_are_refused(address: str) -> None:
    assert not is_public_address(address)


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_are_allowed(address: str) -> None:
    assert is_public_address(address)


def test_accepts_address_objects() -> None:
    assert is_public_address(ipaddress.ip_address("8.8.8.8"))
    assert not is_public_address(ipaddress.ip_address("::1"))


@given(st.ip_addresses(v=4))
def test_mapped_ipv6_is_judged_like_its_ipv4(address: ipaddress.IPv4Address) -> None:
    mapped = ipaddress.IPv6Address(f"::ffff:{address}")
    assert is_public_address(mapped) == is_public_address(address)


@given(st.ip_addresses(network="10.0.0.0/8") | st.ip_addresses(network="127.0.0.0/8"))
def test_nat64_of_private_ipv4_is_refused(address: ipaddress.IPv4Address) -> None:
    assert not is_public_address(ipaddress.IPv6Address(f"64:ff9b::{address}"))


@pytest.mark.parametrize(
    "host",
    [
        "2130706433",
        "0x7f000001",
        "017700000001",
        "0x7f.1",
        "127.1",
        "0177.0.0.1",
        "1.2.3.4.5",
        "example.123",
        "user@town.example",
        "user:pass@town.example",
        "town.example:443",
        "town..example",
        "-town.example",
        "town.example/",
        "town\\.example",
        "town%2eexample",
        "town example",
        "town.example\n",
        "[::1",
        "[127.0.0.1]",
        "[fe80::1%25eth0]",
        "",
        ".",
        "a" * 64 + ".example",
    ],
)
def test_odd_hosts_are_rejected(host: str) -> None:
    with pytest.raises(InvalidHostError):
        parse_host(host)


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("Town.Example", "town.example"),
        ("town.example.", "town.example"),
        ("bücher.example", "xn--bcher-kva.example"),
        ("127.0.0.1", "127.0.0.1"),
        ("[2001:DB8:0:0::1]", "2001:db8::1"),
        ("a_b.example", "a_b.example"),
        ("localhost", "localhost"),
    ],
)
def test_hosts_are_normalised(host: str, expected: str) -> None:
    assert parse_host(host) == expected


@pytest.mark.parametrize(
    ("authority", "expected"),
    [
        ("town.example", ("town.example", None)),
        ("Town.Example:8443", ("town.example", 8443)),
        ("[::1]:80", ("::1", 80)),
        ("[::1]", ("::1", None)),
    ],
)
def test_split_authority(authority: str, expected: tuple[str, int | None]) -> None:
    assert split_authority(authority) == expected


@pytest.mark.parametrize(
    "authority", ["a@town.example", "town.example:", "town.example:0", "town.example:99999", "::1"]
)
def test_split_authority_rejects(authority: str) -> None:
    with pytest.raises(InvalidHostError):
        split_authority(authority)


def test_format_authority_brackets_ipv6() -> None:
    assert format_authority("::1", 8080) == "[::1]:8080"
    assert format_authority("town.example", None) == "town.example"


@pytest.mark.parametrize(
    "url",
    [
        "ftp://town.example/x",
        "javascript:alert(1)",
        "https://user@town.example/",
        "https://town.example@evil.example/",
        "https:///path",
        "https://2130706433/",
        "https://town.example/a b",
        "https://town.example\\@evil.example/",
        "/relative",
    ],
)
def test_bad_urls_are_rejected(url: str) -> None:
    assert not is_http_url(url)
    with pytest.raises(InvalidHostError):
        parse_http_url(url)


def test_is_http_url_refuses_non_strings() -> None:
    assert not is_http_url(None)
    assert not is_http_url({"href": "https://town.example/"})
    assert is_http_url("https://town.example/groups/club")


@pytest.mark.parametrize(
    ("url", "origin"),
    [
        ("https://Town.Example/groups/club", "https://town.example"),
        ("https://town.example:443/x", "https://town.example"),
        ("http://town.example:80/x", "http://town.example"),
        ("https://town.example:8443/x", "https://town.example:8443"),
        ("http://[::1]:8080/x", "http://[::1]:8080"),
    ],
)
def test_origin_of(url: str, origin: str) -> None:
    assert origin_of(url) == origin


def test_same_origin() -> None:
    assert same_origin("https://town.example/a", "https://TOWN.example:443/b#c")
    assert not same_origin("https://town.example/a", "http://town.example/a")
    assert not same_origin("https://town.example/a", "https://town.example:8443/a")
    assert not same_origin("https://town.example/a", "https://evil.example/a")
    assert not same_origin("https://town.example/a", "not a url")


def test_malformed_ipv6_bracket_is_not_an_http_url() -> None:
    from federation.actors import ActorError, parse_actor

    assert not is_http_url("http://[::1")
    with pytest.raises(ActorError):
        parse_actor(
            {"id": "http://[::1", "type": "Person", "inbox": "http://[::1/inbox"}, "http://[::1"
        )
