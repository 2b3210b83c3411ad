"""Body digests: published vectors, round trips, and every way a digest can be wrong."""

from __future__ import annotations

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from federation.digest import check_body_digest, content_digest_header, sha256_digest_header
from tests.federation.vectors import (
    CAVAGE_BODY,
    CAVAGE_HEADERS,
    RFC9421_BODY,
    RFC9421_HEADERS,
    RFC9530_BODY,
    RFC9530_SHA256,
    RFC9530_SHA512,
)

EMPTY_SHA256 = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="


def test_digest_headers_match_published_vectors() -> None:
    assert sha256_digest_header(CAVAGE_BODY) == CAVAGE_HEADERS["Digest"]
    assert content_digest_header(RFC9530_BODY) == RFC9530_SHA256
    assert content_digest_header(b"") == f"sha-256=:{EMPTY_SHA256}:"
    assert sha256_digest_header(b"") == f"SHA-256={EMPTY_SHA256}"


@pytest.mark.parametrize(
    ("headers", "body"),
    [
        ({"Digest": CAVAGE_HEADERS["Digest"]}, CAVAGE_BODY),
        ({"Content-Digest": RFC9530_SHA256}, RFC9530_BODY),
        ({"Content-Digest": RFC9530_SHA512}, RFC9530_BODY),
        ({"Content-Digest": f"{RFC9530_SHA256}, {RFC9530_SHA512}"}, RFC9530_BODY),
        ({"Content-Digest": RFC9421_HEADERS["Content-Digest"]}, RFC9421_BODY),
        ({"digest": "sha-256=" + CAVAGE_HEADERS["Digest"][8:]}, CAVAGE_BODY),
        ({"Digest": "MD5=Sd/dVLAcvNLSq16eXua5uQ==, " + CAVAGE_HEADERS["Digest"]}, CAVAGE_BODY),
        (
            {
                "Digest": CAVAGE_HEADERS["Digest"],
                "Content-Digest": "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:",
            },
            CAVAGE_BODY,
        ),
    ],
    ids=[
        "cavage",
        "rfc9530",
        "sha512",
        "two-members",
        "rfc9421",
        "lowercase",
        "md5+sha256",
        "both",
    ],
)
def test_matching_digests_pass(headers: dict[str, str], body: bytes) -> None:
    assert check_body_digest(headers, body) is None


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({}, "neither a Digest nor a Content-Digest"),
        ({"Digest": "SHA-256=" + EMPTY_SHA256}, "digest does not match the body (Digest sha-256)"),
        ({"Content-Digest": f"sha-256=:{EMPTY_SHA256}:"}, "does not match the body"),
        ({"Digest": "MD5=Sd/dVLAcvNLSq16eXua5uQ=="}, "no supported algorithm (offered: md5)"),
        ({"Content-Digest": "md5=:Sd/dVLAcvNLSq16eXua5uQ==:"}, "no supported algorithm"),
        ({"Digest": "SHA-256=not base64!"}, "malformed sha-256"),
        ({"Digest": ""}, "no supported algorithm (offered: none)"),
        ({"Content-Digest": "sha-256=X48E9qOokqqrvdts"}, "malformed"),
        ({"Content-Digest": "sha-256=:X48E9q"}, "Content-Digest header is malformed"),
        ({"Content-Digest": 'sha-256="text"'}, "malformed sha-256"),
        (
            {"Digest": CAVAGE_HEADERS["Digest"], "Content-Digest": f"sha-256=:{EMPTY_SHA256}:"},
            "Content-Digest sha-256",
        ),
        (
            {"Digest": CAVAGE_HEADERS["Digest"] + ",SHA-512=" + EMPTY_SHA256},
            "Digest sha-512",
        ),
    ],
)
def test_wrong_digests_give_a_reason(headers: dict[str, str], reason: str) -> None:
    result = check_body_digest(headers, CAVAGE_BODY)
    assert result is not None
    assert reason in result


def test_header_names_are_case_insensitive_for_any_mapping() -> None:
    body = b'{"type":"Follow"}'
    value = sha256_digest_header(body)
    for headers in ({"DIGEST": value}, httpx.Headers({"digest": value})):
        assert check_body_digest(headers, body) is None
        assert check_body_digest(headers, body + b" ") is not None


@given(st.binary(max_size=2048))
def test_round_trip_over_any_body(body: bytes) -> None:
    headers = {"Digest": sha256_digest_header(body), "Content-Digest": content_digest_header(body)}
    assert check_body_digest(headers, body) is None
    assert check_body_digest(headers, body + b"\0") is not None


@given(st.text(max_size=200), st.text(max_size=200))
def test_garbage_digest_headers_never_raise(digest: str, content_digest: str) -> None:
    result = check_body_digest({"Digest": digest, "Content-Digest": content_digest}, b"body")
    assert result is None or isinstance(result, str)
