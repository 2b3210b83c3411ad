"""HTTP Message Signatures (RFC 9421) for requests.

Fedify signs ``("@method" "@target-uri" "@authority" "host" "date" "content-digest")``
with ``alg``, ``keyid`` and ``created``; Mastodon (4.5+, through Linzer) requires
``created``, ``@method`` and ``@target-uri``, and ``content-digest`` on POST. We sign
``@method``, ``@target-uri`` and ``@authority``, plus ``content-digest`` when there is a
body, with ``created;keyid;alg``.

Verification rebuilds the signature base from the request and the parsed
``Signature-Input``; ``@signature-params`` is the canonical serialization of that member,
which is what the RFC's own examples and http-message-signatures produce. Supported
components are the request-side derived ones (``@method @target-uri @authority @scheme
@request-target @path @query``) and header fields without parameters; anything else is
refused with a reason. The policy (what must be covered, the time window) lives in
:mod:`federation.verify`.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from federation.digest import content_digest_header
from federation.http_message import (
    HeaderMap,
    RequestTarget,
    SignatureError,
    has_body,
    lower_headers,
    parse_target,
    utc_now,
)
from federation.keys import (
    PrivateKey,
    PublicKey,
    SignatureAlgorithm,
    algorithm_fits_key,
    coerce_private_key,
    default_algorithm,
    parse_algorithm,
    sign_bytes,
    verify_bytes,
)
from federation.structured_fields import (
    InnerList,
    Item,
    Params,
    StructuredFieldError,
    parse_dictionary,
    serialize_inner_list,
)

__all__ = [
    "DEFAULT_COMPONENTS",
    "MessageSignature",
    "parse_signatures",
    "resolve_algorithm",
    "sign_request_rfc9421",
    "signature_base",
    "verify_signature",
]

DEFAULT_COMPONENTS = ("@method", "@target-uri", "@authority")
DEFAULT_LABEL = "sig1"

_DERIVED: dict[str, Callable[[str, RequestTarget], str]] = {
    "@method": lambda method, _: method.upper(),
    "@target-uri": lambda _, target: target.uri,
    "@authority": lambda _, target: target.authority,
    "@scheme": lambda _, target: target.scheme,
    "@request-target": lambda _, target: target.path_and_query,
    "@path": lambda _, target: target.path,
    "@query": lambda _, target: f"?{target.query}",
}


@dataclass(frozen=True)
class MessageSignature:
    """One labelled signature: its covered components, parameters and bytes."""

    label: str
    input: InnerList
    signature: bytes

    @property
    def components(self) -> tuple[str, ...]:
        """The covered component names, in order."""
        return tuple(str(item.value) for item in self.input.items)

    @property
    def params(self) -> Params:
        """The signature parameters (``created``, ``keyid``, ``alg``, ...)."""
        return self.input.params

    @property
    def key_id(self) -> str:
        """The ``keyid`` parameter (checked to be a non-empty string when parsed)."""
        return str(self.params["keyid"])

    @property
    def algorithm(self) -> str | None:
        """The ``alg`` parameter, when present."""
        alg = self.params.get("alg")
        return alg if isinstance(alg, str) else None

    @property
    def created_at(self) -> datetime | None:
        """The ``created`` parameter as a UTC datetime, when present."""
        return _timestamp(self.params, "created")

    @property
    def expires_at(self) -> datetime | None:
        """The ``expires`` parameter as a UTC datetime, when present."""
        return _timestamp(self.params, "expires")


def parse_signatures(signature_input: str, signature: str) -> list[MessageSignature]:
    """Parse ``Signature-Input`` and ``Signature`` into labelled signatures.

    Raise ``SignatureError`` when either header is malformed or no label is usable.
    """
    try:
        inputs = parse_dictionary(signature_input)
        values = parse_dictionary(signature)
    except StructuredFieldError as exc:
        raise SignatureError(f"Signature-Input or Signature header is malformed: {exc}") from None
    found = [
        _message_signature(label, member, values.get(label)) for label, member in inputs.items()
    ]
    if not found:
        raise SignatureError("Signature-Input header has no signatures")
    return found


def _message_signature(label: str, member: object, value: object) -> MessageSignature:
    if not isinstance(member, InnerList):
        raise SignatureError(f"Signature-Input member {label} is not an inner list")
    if not (isinstance(value, Item) and isinstance(value.value, bytes) and value.value):
        raise SignatureError(f"Signature header has no byte sequence for {label}")
    _check_input(label, member)
    return MessageSignature(label=label, input=member, signature=value.value)


def _check_input(label: str, member: InnerList) -> None:
    params = member.params
    keyid = params.get("keyid")
    if type(keyid) is not str or not keyid:  # a String, not a Token
        raise SignatureError(f"signature {label} has no keyid")
    for name in ("created", "expires"):
        if name in params and (isinstance(params[name], bool) or not isinstance(params[name], int)):
            raise SignatureError(f"signature {label} has a non-integer {name}")
    if "alg" in params and type(params["alg"]) is not str:
        raise SignatureError(f"signature {label} has a malformed alg")
    names = [item.value for item in member.items]
    for item in member.items:
        if type(item.value) is not str or item.params:
            raise SignatureError(
                f"signature {label} covers an unsupported component {item.value!r}"
            )
    if len(set(names)) != len(names):
        raise SignatureError(f"signature {label} covers a component twice")
    _timestamp(params, "created")
    _timestamp(params, "expires")


def _timestamp(params: Params, name: str) -> datetime | None:
    value = params.get(name)
    if not isinstance(value, int) or isinstance(value, bool):
        return None
    try:
        return datetime.fromtimestamp(value, tz=UTC)
    except (OverflowError, OSError, ValueError):
        raise SignatureError(f"signature {name} parameter is out of range") from None


def signature_base(
    signature_input: InnerList, method: str, target: RequestTarget, headers: dict[str, str]
) -> bytes:
    """Build the signature base (RFC 9421 section 2.5); raise ``SignatureError``.

    ``headers`` must be keyed by lower-case name (see ``lower_headers``).
    """
    lines = []
    for item in signature_input.items:
        name = str(item.value)
        value = _component_value(name, method, target, headers)
        if "\n" in value or "\r" in value or not value.isascii():
            raise SignatureError(f"component {name} has a value that cannot be signed")
        lines.append(f'"{name}": {value}')
    lines.append(f'"@signature-params": {serialize_inner_list(signature_input)}')
    return "\n".join(lines).encode("ascii")


def _component_value(name: str, method: str, target: RequestTarget, headers: dict[str, str]) -> str:
    if name.startswith("@"):
        derive = _DERIVED.get(name)
        if derive is None:
            raise SignatureError(f"derived component {name} is not supported")
        return derive(method, target)
    if name != name.lower():
        raise SignatureError(f"component {name!r} is not lower-case")
    value = headers.get(name)
    if value is None:
        raise SignatureError(f"signed header {name!r} is missing from the request")
    return value


def resolve_algorithm(
    declared: str | None, key: PublicKey | PrivateKey
) -> SignatureAlgorithm | None:
    """The algorithm to verify with: ``alg`` when it fits the key, else ``None``.

    Without ``alg`` it is inferred from the key: RSASSA-PKCS1-v1_5 with SHA-256 for RSA
    (the only RSA algorithm Mastodon and Fedify sign with), Ed25519 for Ed25519.
    """
    if declared is None:
        return default_algorithm(key)
    algorithm = parse_algorithm(declared)
    if algorithm is None or not algorithm_fits_key(algorithm, key):
        return None
    return algorithm


def verify_signature(signature: MessageSignature, base: bytes, key: PublicKey) -> str | None:
    """Check one signature over its base; return a reason or ``None`` when it verifies."""
    algorithm = resolve_algorithm(signature.algorithm, key)
    if algorithm is None:
        return f"algorithm {signature.algorithm} does not fit the key {signature.key_id}"
    if verify_bytes(key, base, signature.signature, algorithm):
        return None
    return f"signature does not verify with the key {signature.key_id}"


def sign_request_rfc9421(
    method: str,
    url: str,
    headers: HeaderMap | None,
    body: bytes | None,
    key_id: str,
    private_key: PrivateKey | str,
    *,
    now: datetime | None = None,
    components: Sequence[str] = DEFAULT_COMPONENTS,
    label: str = DEFAULT_LABEL,
    include_alg: bool = True,
) -> dict[str, str]:
    """Sign a request; return the headers to add (``Content-Digest``, ``Signature-Input``,
    ``Signature``).

    With a body, ``Content-Digest`` is computed over exactly ``body`` and covered.
    ``components`` may name headers present in ``headers``.
    """
    key = coerce_private_key(private_key)
    target = parse_target(url)
    added: dict[str, str] = {}
    covered = list(components)
    if has_body(method, body):
        added["Content-Digest"] = content_digest_header(body or b"")
        if "content-digest" not in covered:
            covered.append("content-digest")
    algorithm = default_algorithm(key)
    params: Params = {"created": int(utc_now(now).timestamp()), "keyid": key_id}
    if include_alg:
        params["alg"] = algorithm
    signature_input = InnerList(tuple(Item(name) for name in covered), params)
    values = lower_headers(headers or {}) | lower_headers(added)
    base = signature_base(signature_input, method, target, values)
    signature = sign_bytes(key, base, algorithm)
    added["Signature-Input"] = f"{label}={serialize_inner_list(signature_input)}"
    added["Signature"] = f"{label}=:{base64.b64encode(signature).decode('ascii')}:"
    return added
