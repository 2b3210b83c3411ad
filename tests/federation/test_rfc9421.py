"""RFC 9421 signatures: the RFC's ed25519 vector, interop with http-message-signatures,
and the ways a Signature-Input can be malformed."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
from http_message_signatures import (
    HTTPMessageSigner,
    HTTPMessageVerifier,
    HTTPSignatureAlgorithm,
    MappingKeyResolver,
    algorithms,
)
from hypothesis import given
from hypothesis import strategies as st

from federation.http_message import SignatureError, lower_headers, parse_target
from federation.keys import (
    KeyPair,
    PrivateKey,
    PublicKey,
    generate_rsa_keypair,
    load_private_key,
    load_public_key,
)
from federation.rfc9421 import (
    MessageSignature,
    parse_signatures,
    sign_request_rfc9421,
    signature_base,
    verify_signature,
)
from tests.federation.vectors import (
    ED25519_PRIVATE_PEM,
    ED25519_PUBLIC_PEM,
    RFC9421_B26_BASE,
    RFC9421_B26_COMPONENTS,
    RFC9421_B26_CREATED,
    RFC9421_B26_INPUT,
    RFC9421_B26_SIGNATURE,
    RFC9421_HEADERS,
    RFC9421_URL,
)

INBOX = "https://b.test/groups/club/inbox"
KEY_ID = "https://a.test/users/alice#main-key"
ACTIVITY = b'{"type":"Follow","actor":"https://a.test/users/alice"}'


@pytest.fixture(scope="module")
def pair() -> KeyPair:
    return generate_rsa_keypair()


def only_signature(headers: dict[str, str] | httpx.Headers) -> MessageSignature:
    fields = lower_headers(headers)
    [signature] = parse_signatures(fields["signature-input"], fields["signature"])
    return signature


def check(
    method: str, url: str, headers: dict[str, str] | httpx.Headers, key: PublicKey
) -> str | None:
    """Verify the request's one signature (without policy)."""
    signature = only_signature(headers)
    base = signature_base(signature.input, method, parse_target(url), lower_headers(headers))
    return verify_signature(signature, base, key)


# --- RFC 9421 appendix B.2.6 -----------------------------------------------------------------


def test_b26_base_and_signature_are_reproduced() -> None:
    """Ed25519 is deterministic: our signer must print the RFC's headers byte for byte."""
    added = sign_request_rfc9421(
        "POST",
        RFC9421_URL,
        RFC9421_HEADERS,
        None,
        "test-key-ed25519",
        load_private_key(ED25519_PRIVATE_PEM),
        now=datetime.fromtimestamp(RFC9421_B26_CREATED, UTC),
        components=RFC9421_B26_COMPONENTS,
        label="sig-b26",
        include_alg=False,
    )
    assert added == {"Signature-Input": RFC9421_B26_INPUT, "Signature": RFC9421_B26_SIGNATURE}
    signature = only_signature(added)
    base = signature_base(
        signature.input, "POST", parse_target(RFC9421_URL), lower_headers(RFC9421_HEADERS)
    )
    assert base.decode() == RFC9421_B26_BASE


def test_b26_verifies_and_infers_ed25519_from_the_key() -> None:
    headers = {**RFC9421_HEADERS, "Signature-Input": RFC9421_B26_INPUT}
    headers["Signature"] = RFC9421_B26_SIGNATURE
    signature = only_signature(headers)
    assert (signature.label, signature.key_id, signature.algorithm) == (
        "sig-b26",
        "test-key-ed25519",
        None,
    )
    assert check("POST", RFC9421_URL, headers, load_public_key(ED25519_PUBLIC_PEM)) is None
    assert check("PUT", RFC9421_URL, headers, load_public_key(ED25519_PUBLIC_PEM)) is not None


# --- interop with http-message-signatures (an independent implementation) -----------------

ALGORITHMS: list[tuple[type[HTTPSignatureAlgorithm], str]] = [
    (algorithms.RSA_V1_5_SHA256, "rsa"),
    (algorithms.RSA_PSS_SHA512, "rsa"),
    (algorithms.ED25519, "ed25519"),
]


def private_key_for(kind: str, pair: KeyPair) -> PrivateKey:
    return load_private_key(ED25519_PRIVATE_PEM if kind == "ed25519" else pair.private_pem)


@pytest.mark.parametrize(("algorithm", "kind"), ALGORITHMS)
def test_their_signatures_verify_with_us(
    algorithm: type[HTTPSignatureAlgorithm], kind: str, pair: KeyPair
) -> None:
    private = private_key_for(kind, pair)
    request = httpx.Request("POST", INBOX, content=ACTIVITY)
    resolver = MappingKeyResolver(public_keys={}, private_keys={KEY_ID: private})
    signer = HTTPMessageSigner(signature_algorithm=algorithm, key_resolver=resolver)
    signer.sign(request, key_id=KEY_ID, label="sig1", body=ACTIVITY)
    assert "content-digest" in only_signature(request.headers).components
    assert check("POST", INBOX, request.headers, private.public_key()) is None
    assert check("POST", INBOX + "x", request.headers, private.public_key()) is not None


@pytest.mark.parametrize(("algorithm", "kind"), [ALGORITHMS[0], ALGORITHMS[2]])
def test_our_signatures_verify_with_them(
    algorithm: type[HTTPSignatureAlgorithm], kind: str, pair: KeyPair
) -> None:
    private = private_key_for(kind, pair)
    added = sign_request_rfc9421("POST", INBOX, None, ACTIVITY, KEY_ID, private)
    request = httpx.Request("POST", INBOX, content=ACTIVITY, headers=added)
    resolver = MappingKeyResolver(public_keys={KEY_ID: private.public_key()}, private_keys={})
    verifier = HTTPMessageVerifier(signature_algorithm=algorithm, key_resolver=resolver)
    required = ("@method", "@target-uri", "@authority", "content-digest")
    [result] = verifier.verify(request, body=ACTIVITY, require_components=required)
    assert result.parameters["keyid"] == KEY_ID
    assert result.parameters["alg"] == algorithm.algorithm_id


def test_get_signatures_have_no_digest(pair: KeyPair) -> None:
    added = sign_request_rfc9421("GET", INBOX, None, b"", KEY_ID, pair.private_pem)
    assert "Content-Digest" not in added
    assert only_signature(added).components == ("@method", "@target-uri", "@authority")


# --- algorithms ------------------------------------------------------------------------------


def test_absent_alg_is_inferred_from_an_rsa_key(pair: KeyPair) -> None:
    added = sign_request_rfc9421(
        "GET", INBOX, None, None, KEY_ID, pair.private_pem, include_alg=False
    )
    assert only_signature(added).algorithm is None
    assert check("GET", INBOX, added, load_public_key(pair.public_pem)) is None


def test_alg_that_does_not_fit_the_key_is_refused(pair: KeyPair) -> None:
    added = sign_request_rfc9421("GET", INBOX, None, None, KEY_ID, ED25519_PRIVATE_PEM)
    reason = check("GET", INBOX, added, load_public_key(pair.public_pem))
    assert reason == f"algorithm ed25519 does not fit the key {KEY_ID}"


# --- components ------------------------------------------------------------------------------


def test_derived_components_of_a_target_with_a_query() -> None:
    [signature] = parse_signatures(
        'sig1=("@method" "@scheme" "@authority" "@path" "@query" "@request-target" "@target-uri")'
        ';keyid="k"',
        "sig1=:AAAA:",
    )
    base = signature_base(signature.input, "get", parse_target("https://B.test:443/a/b?x=1&y"), {})
    assert base.decode().splitlines()[:-1] == [
        '"@method": GET',
        '"@scheme": https',
        '"@authority": b.test',
        '"@path": /a/b',
        '"@query": ?x=1&y',
        '"@request-target": /a/b?x=1&y',
        '"@target-uri": https://b.test/a/b?x=1&y',
    ]


@pytest.mark.parametrize(
    ("components", "headers", "reason"),
    [
        ('("@status")', {}, "derived component @status is not supported"),
        ('("@query-param";name="x")', {}, "unsupported component"),
        ('("content-digest";sf)', {}, "unsupported component"),
        ("(date)", {}, "unsupported component"),
        ('("Date")', {"Date": "x"}, "not lower-case"),
        ('("date")', {}, "'date' is missing"),
        ('("date" "date")', {"date": "x"}, "twice"),
    ],
)
def test_unusable_components_raise_signature_error(
    components: str, headers: dict[str, str], reason: str
) -> None:
    with pytest.raises(SignatureError, match=reason):
        [signature] = parse_signatures(f'sig1={components};keyid="k"', "sig1=:AAAA:")
        signature_base(signature.input, "GET", parse_target(INBOX), lower_headers(headers))


# --- parsing ---------------------------------------------------------------------------------


def test_several_labels_are_all_returned() -> None:
    found = parse_signatures(
        'a=("@method");keyid="k1";created=1, b=("@path");keyid="k2";alg="ed25519"',
        "b=:AAAA:, a=:AQID:",
    )
    assert [(s.label, s.key_id, s.signature) for s in found] == [
        ("a", "k1", b"\x01\x02\x03"),
        ("b", "k2", b"\0\0\0"),
    ]
    assert found[0].created_at == datetime(1970, 1, 1, 0, 0, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("signature_input", "signature", "reason"),
    [
        ('sig1=("@method")', "sig1=:AAAA:", "has no keyid"),
        ('sig1=("@method");keyid=""', "sig1=:AAAA:", "has no keyid"),
        ('sig1=("@method");keyid=k', "sig1=:AAAA:", "has no keyid"),
        ('sig1=("@method");keyid="k";created="now"', "sig1=:AAAA:", "non-integer created"),
        ('sig1=("@method");keyid="k";created=1.5', "sig1=:AAAA:", "non-integer created"),
        ('sig1=("@method");keyid="k";expires=?1', "sig1=:AAAA:", "non-integer expires"),
        ('sig1=("@method");keyid="k";alg=1', "sig1=:AAAA:", "malformed alg"),
        ('sig1=("@method");keyid="k"', "sig2=:AAAA:", "no byte sequence for sig1"),
        ('sig1=("@method");keyid="k"', 'sig1="AAAA"', "no byte sequence for sig1"),
        ('sig1=("@method");keyid="k"', "sig1=::", "no byte sequence for sig1"),
        ('sig1="@method";keyid="k"', "sig1=:AAAA:", "not an inner list"),
        ("", "sig1=:AAAA:", "has no signatures"),
        ('sig1=("@method";keyid="k"', "sig1=:AAAA:", "malformed"),
        ('sig1=("@method");keyid="k"', "sig1=:AAAA", "malformed"),
    ],
)
def test_malformed_inputs_raise_signature_error_with_a_reason(
    signature_input: str, signature: str, reason: str
) -> None:
    with pytest.raises(SignatureError, match=reason):
        parse_signatures(signature_input, signature)


@given(st.text(max_size=200), st.text(max_size=100))
def test_garbage_only_ever_raises_signature_error(signature_input: str, signature: str) -> None:
    try:
        for parsed in parse_signatures(signature_input, signature):
            signature_base(parsed.input, "POST", parse_target(INBOX), {"date": "x"})
    except SignatureError:
        pass
