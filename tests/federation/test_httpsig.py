"""draft-cavage signatures: the spec's vectors, an independent signer/verifier, parsing."""

from __future__ import annotations

import base64
import contextlib
import hashlib
from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from hypothesis import given
from hypothesis import strategies as st

from federation.http_message import SignatureError, lower_headers, parse_target
from federation.httpsig import (
    CavageSignature,
    parse_signature_header,
    sign_request,
    signing_strings,
    verify_signature,
)
from federation.keys import (
    KeyPair,
    PublicKey,
    generate_rsa_keypair,
    load_private_key,
    load_public_key,
)
from tests.federation.vectors import (
    CAVAGE_C1_DEFAULT,
    CAVAGE_C2_BASIC,
    CAVAGE_C3_ALL_HEADERS,
    CAVAGE_HEADERS,
    CAVAGE_PRIVATE_PEM,
    CAVAGE_PUBLIC_PEM,
    CAVAGE_URL,
    ED25519_PRIVATE_PEM,
    ED25519_PUBLIC_PEM,
)

NOW = datetime(2025, 5, 3, 14, 0, tzinfo=UTC)
INBOX = "https://b.test/groups/club/inbox"
KEY_ID = "https://a.test/users/alice#main-key"
ACTIVITY = b'{"type":"Follow","actor":"https://a.test/users/alice"}'


@pytest.fixture(scope="module")
def pair() -> KeyPair:
    return generate_rsa_keypair()


def check(
    header: str, method: str, url: str, headers: dict[str, str], key: PublicKey
) -> str | None:
    """Verify a Signature header against a request the way the inbox does (minus policy)."""
    signature = parse_signature_header(header)
    strings = signing_strings(signature, method, parse_target(url), lower_headers(headers))
    return verify_signature(signature, strings, key)


# --- the published vectors of draft-cavage-http-signatures-12, appendix C ---------------


@pytest.mark.parametrize("header", [CAVAGE_C1_DEFAULT, CAVAGE_C2_BASIC, CAVAGE_C3_ALL_HEADERS])
def test_spec_vectors_verify(header: str) -> None:
    key = load_public_key(CAVAGE_PUBLIC_PEM)
    assert check(header, "POST", CAVAGE_URL, CAVAGE_HEADERS, key) is None


def test_spec_vectors_fail_on_another_request() -> None:
    key = load_public_key(CAVAGE_PUBLIC_PEM)
    moved = CAVAGE_URL.replace("/foo", "/bar")
    assert "does not verify" in str(check(CAVAGE_C2_BASIC, "POST", moved, CAVAGE_HEADERS, key))
    assert "does not verify" in str(check(CAVAGE_C2_BASIC, "PUT", CAVAGE_URL, CAVAGE_HEADERS, key))


def test_default_test_signs_only_the_date() -> None:
    assert parse_signature_header(CAVAGE_C1_DEFAULT).headers == ("date",)


def test_our_signer_reproduces_the_basic_test() -> None:
    """PKCS#1 v1.5 is deterministic, so signing C.2's request must give C.2's header."""
    added = sign_request(
        "POST", CAVAGE_URL, CAVAGE_HEADERS, None, "Test", load_private_key(CAVAGE_PRIVATE_PEM)
    )
    assert added["Signature"] == CAVAGE_C2_BASIC
    assert (added["Host"], added["Date"]) == ("example.com", CAVAGE_HEADERS["Date"])


# --- an independent implementation: the signing string built by hand, as Mastodon does ----


def mastodon_signing_string(date: str, digest: str) -> bytes:
    return (
        f"(request-target): post /groups/club/inbox\nhost: b.test\ndate: {date}\ndigest: {digest}"
    ).encode()


def test_hand_made_mastodon_signature_verifies(pair: KeyPair) -> None:
    private = load_private_key(pair.private_pem)
    assert isinstance(private, rsa.RSAPrivateKey)
    date = "Sat, 03 May 2025 14:00:00 GMT"
    digest = "SHA-256=" + base64.b64encode(hashlib.sha256(ACTIVITY).digest()).decode()
    raw = private.sign(mastodon_signing_string(date, digest), padding.PKCS1v15(), hashes.SHA256())
    header = (
        f'keyId="{KEY_ID}",algorithm="rsa-sha256",headers="(request-target) host date digest",'
        f'signature="{base64.b64encode(raw).decode()}"'
    )
    headers = {"Host": "b.test", "Date": date, "Digest": digest}
    assert check(header, "POST", INBOX, headers, load_public_key(pair.public_pem)) is None


def test_our_signature_verifies_by_hand(pair: KeyPair) -> None:
    added = sign_request("POST", INBOX, {}, ACTIVITY, KEY_ID, pair.private_pem, now=NOW)
    assert added["Date"] == "Sat, 03 May 2025 14:00:00 GMT"
    assert added["Host"] == "b.test"
    signature = parse_signature_header(added["Signature"])
    assert signature.key_id == KEY_ID
    assert signature.algorithm == "rsa-sha256"
    assert signature.headers == ("(request-target)", "host", "date", "digest")
    public = load_public_key(pair.public_pem)
    assert isinstance(public, rsa.RSAPublicKey)
    text = mastodon_signing_string(added["Date"], added["Digest"])
    public.verify(signature.signature, text, padding.PKCS1v15(), hashes.SHA256())


def test_digest_is_over_the_exact_bytes_given(pair: KeyPair) -> None:
    added = sign_request(
        "POST", INBOX, {"Digest": "SHA-256=stale"}, ACTIVITY, KEY_ID, pair.private_pem
    )
    assert (
        added["Digest"] == "SHA-256=" + base64.b64encode(hashlib.sha256(ACTIVITY).digest()).decode()
    )


def test_get_signs_accept_like_mastodon(pair: KeyPair) -> None:
    accept = {"Accept": "application/activity+json"}
    with_accept = sign_request("GET", INBOX, accept, None, KEY_ID, pair.private_pem, now=NOW)
    bare = sign_request("GET", INBOX, None, b"", KEY_ID, pair.private_pem, now=NOW)
    assert parse_signature_header(with_accept["Signature"]).headers[-1] == "accept"
    assert parse_signature_header(bare["Signature"]).headers == ("(request-target)", "host", "date")
    assert "Digest" not in bare
    public = load_public_key(pair.public_pem)
    request_headers = {**accept, **with_accept}
    assert check(with_accept["Signature"], "GET", INBOX, request_headers, public) is None
    request_headers["Accept"] = "text/html"
    assert check(with_accept["Signature"], "GET", INBOX, request_headers, public) is not None


def test_query_is_signed_and_old_mastodon_targets_without_it_still_verify(pair: KeyPair) -> None:
    url = INBOX + "?page=2"
    public = load_public_key(pair.public_pem)
    added = sign_request("GET", url, None, None, KEY_ID, pair.private_pem, now=NOW)
    assert check(added["Signature"], "GET", url, added, public) is None
    assert check(added["Signature"], "GET", INBOX + "?page=3", added, public) is not None
    pathless = sign_request("GET", INBOX, None, None, KEY_ID, pair.private_pem, now=NOW)
    assert check(pathless["Signature"], "GET", url, pathless, public) is None


def test_ed25519_keys_sign_as_hs2019() -> None:
    added = sign_request("POST", INBOX, None, ACTIVITY, KEY_ID, ED25519_PRIVATE_PEM, now=NOW)
    assert parse_signature_header(added["Signature"]).algorithm == "hs2019"
    assert (
        check(added["Signature"], "POST", INBOX, added, load_public_key(ED25519_PUBLIC_PEM)) is None
    )


def test_rsa_sha256_does_not_fit_an_ed25519_key(pair: KeyPair) -> None:
    added = sign_request("POST", INBOX, None, ACTIVITY, KEY_ID, pair.private_pem, now=NOW)
    reason = check(added["Signature"], "POST", INBOX, added, load_public_key(ED25519_PUBLIC_PEM))
    assert reason is not None
    assert "does not fit" in reason


def test_a_signed_header_missing_from_the_request_is_an_error(pair: KeyPair) -> None:
    added = sign_request("POST", INBOX, None, ACTIVITY, KEY_ID, pair.private_pem, now=NOW)
    del added["Digest"]
    with pytest.raises(SignatureError, match="'digest' is missing"):
        check(added["Signature"], "POST", INBOX, added, load_public_key(pair.public_pem))


def test_created_pseudo_header_needs_hs2019() -> None:
    header = 'keyId="k",algorithm="rsa-sha256",created=1,headers="(created)",signature="AAAA"'
    with pytest.raises(SignatureError, match="needs hs2019"):
        signing_strings(parse_signature_header(header), "GET", parse_target(INBOX), {})
    hs2019 = parse_signature_header(header.replace("rsa-sha256", "hs2019"))
    assert signing_strings(hs2019, "GET", parse_target(INBOX), {}) == [b"(created): 1"]


# --- parsing -------------------------------------------------------------------------------


def test_parsing_is_robust_to_real_world_spellings() -> None:
    header = (
        'Signature keyId="https://a.test/u?x=1,2#main-key", algorithm="RSA-SHA256" ,'
        'headers="(request-target) Host date",created=1402170695, expires=1402170699.5,'
        'extension="a \\"quoted\\" value",signature="AAAA"'
    )
    assert parse_signature_header(header) == CavageSignature(
        key_id="https://a.test/u?x=1,2#main-key",
        algorithm="rsa-sha256",
        headers=("(request-target)", "host", "date"),
        signature=b"\0\0\0",
        created="1402170695",
        expires="1402170699.5",
        created_at=datetime(2014, 6, 7, 19, 51, 35, tzinfo=UTC),
        expires_at=datetime(2014, 6, 7, 19, 51, 39, 500000, tzinfo=UTC),
    )


def test_defaults_follow_mastodon() -> None:
    assert parse_signature_header('keyId="k",signature="AAAA"').algorithm == "hs2019"
    assert parse_signature_header('keyId="k",signature="AAAA"').headers == ("(created)",)


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        ("", "no keyId"),
        ('signature="AAAA"', "no keyId"),
        ('keyId="k"', "no signature"),
        ('keyId="",signature="AAAA"', "no keyId"),
        ('keyId="k",signature="AAAA",keyId="j"', "repeats the keyId"),
        ('keyId="k",signature="AAAA",', "ends with a comma"),
        ('keyId="k" signature="AAAA"', "malformed at position"),
        ('keyId="k,signature="AAAA"', "malformed"),
        ('keyId="k",signature="not base64!"', "not base64"),
        ('keyId="k",signature="AAAA",headers=""', "no signed headers"),
        ('keyId="k",signature="AAAA",created="soon"', "malformed created"),
        ('keyId="k",signature="AAAA",created=999999999999999', "out of range"),
        ("keyId", "malformed"),
        ("Signature", "malformed"),
    ],
)
def test_malformed_headers_raise_signature_error_with_a_reason(header: str, reason: str) -> None:
    with pytest.raises(SignatureError, match=reason):
        parse_signature_header(header)


@given(st.text(max_size=300))
def test_garbage_only_ever_raises_signature_error(header: str) -> None:
    with contextlib.suppress(SignatureError):
        parse_signature_header(header)
