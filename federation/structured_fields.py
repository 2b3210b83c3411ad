"""The slice of RFC 8941 structured field values that RFC 9421 and RFC 9530 need.

``Signature-Input`` and ``Signature`` are Dictionaries whose members are Inner Lists of
Strings with parameters, or Byte Sequences; ``Content-Digest`` is a Dictionary of Byte
Sequences. This module parses Dictionaries (with Items, Inner Lists and Parameters of every
bare type except RFC 9651's Dates and Display Strings) and serializes Inner Lists, because
the ``@signature-params`` line of a signature base is the canonical serialization of one.

Parsing follows the algorithms of RFC 8941 section 4.2 and raises ``StructuredFieldError``
with a short reason on the first deviation; it never accepts a value the RFC rejects.
"""

from __future__ import annotations

import base64
import binascii
import re
import string
from dataclasses import dataclass, field


class Token(str):
    """A bare Token, kept apart from a String so that it serializes without quotes."""

    __slots__ = ()


BareItem = bool | int | float | str | bytes
Params = dict[str, BareItem]


class StructuredFieldError(ValueError):
    """The text is not a valid structured field value."""


@dataclass(frozen=True)
class Item:
    """A bare item with its parameters."""

    value: BareItem
    params: Params = field(default_factory=dict)


@dataclass(frozen=True)
class InnerList:
    """A parenthesized list of items with its own parameters."""

    items: tuple[Item, ...]
    params: Params = field(default_factory=dict)


Member = Item | InnerList

_KEY_START = set(string.ascii_lowercase + "*")
_KEY_CHARS = _KEY_START | set(string.digits + "_-.")
_TOKEN_CHARS = set(string.ascii_letters + string.digits + "!#$%&'*+-.^_`|~:/")
_BASE64_RE = re.compile(r"[A-Za-z0-9+/]*={0,2}")
_NUMBER_RE = re.compile(r"-?[0-9]+(\.[0-9]*)?")


def parse_dictionary(text: str) -> dict[str, Member]:
    """Parse a Dictionary field value (RFC 8941 section 4.2.2); raise ``StructuredFieldError``."""
    parser = _Parser(text)
    result = parser.dictionary()
    parser.finish()
    return result


def serialize_inner_list(inner: InnerList) -> str:
    """Serialize an Inner List with its parameters (RFC 8941 section 4.1.1.1)."""
    items = " ".join(serialize_item(item) for item in inner.items)
    return f"({items}){serialize_params(inner.params)}"


def serialize_item(item: Item) -> str:
    """Serialize an Item: its bare value followed by its parameters."""
    return serialize_bare_item(item.value) + serialize_params(item.params)


def serialize_params(params: Params) -> str:
    """Serialize Parameters; a ``True`` value is written as the bare key."""
    parts = []
    for key, value in params.items():
        parts.append(f";{key}" if value is True else f";{key}={serialize_bare_item(value)}")
    return "".join(parts)


def serialize_bare_item(value: BareItem) -> str:
    """Serialize one bare item; raise ``StructuredFieldError`` for values out of range."""
    if isinstance(value, bool):
        return "?1" if value else "?0"
    if isinstance(value, int):
        if abs(value) > 999_999_999_999_999:
            raise StructuredFieldError("integer out of range")
        return str(value)
    if isinstance(value, float):
        return _serialize_decimal(value)
    if isinstance(value, Token):
        return str(value)
    if isinstance(value, str):
        if any(not (" " <= char <= "~") for char in value):
            raise StructuredFieldError("string has characters outside printable ASCII")
        escaped = value.replace("\\", "\\\\").replace('"', '\\"')
        return f'"{escaped}"'
    return ":" + base64.b64encode(value).decode("ascii") + ":"


def _serialize_decimal(value: float) -> str:
    rounded = round(value, 3)
    if abs(rounded) >= 1e12:
        raise StructuredFieldError("decimal out of range")
    text = f"{rounded:.3f}".rstrip("0")
    return text + "0" if text.endswith(".") else text


class _Parser:
    """A cursor over the field text implementing the parsing algorithms of RFC 8941."""

    def __init__(self, text: str) -> None:
        if not text.isascii():
            raise StructuredFieldError("field value is not ASCII")
        self.text = text.strip(" \t")
        self.pos = 0

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def take(self) -> str:
        char = self.peek()
        self.pos += 1
        return char

    def skip(self, chars: str) -> None:
        while self.peek() and self.peek() in chars:
            self.pos += 1

    def finish(self) -> None:
        self.skip(" ")
        if self.pos < len(self.text):
            raise StructuredFieldError(f"unexpected {self.peek()!r} at position {self.pos}")

    def dictionary(self) -> dict[str, Member]:
        members: dict[str, Member] = {}
        while self.pos < len(self.text):
            key = self.key()
            if self.peek() == "=":
                self.pos += 1
                members[key] = self.item_or_inner_list()
            else:
                members[key] = Item(True, self.params())
            self.skip(" \t")
            if self.pos >= len(self.text):
                return members
            if self.take() != ",":
                raise StructuredFieldError(f"expected ',' at position {self.pos - 1}")
            self.skip(" \t")
            if self.pos >= len(self.text):
                raise StructuredFieldError("trailing comma")
        return members

    def item_or_inner_list(self) -> Member:
        return self.inner_list() if self.peek() == "(" else self.item()

    def inner_list(self) -> InnerList:
        self.pos += 1
        items: list[Item] = []
        while True:
            self.skip(" ")
            if self.peek() == ")":
                self.pos += 1
                return InnerList(tuple(items), self.params())
            items.append(self.item())
            if self.peek() not in (" ", ")"):
                raise StructuredFieldError("unterminated inner list")

    def item(self) -> Item:
        value = self.bare_item()
        return Item(value, self.params())

    def params(self) -> Params:
        params: Params = {}
        while self.peek() == ";":
            self.pos += 1
            self.skip(" ")
            key = self.key()
            value: BareItem = True
            if self.peek() == "=":
                self.pos += 1
                value = self.bare_item()
            params[key] = value
        return params

    def key(self) -> str:
        start = self.pos
        if self.peek() not in _KEY_START or not self.peek():
            raise StructuredFieldError(f"expected a key at position {start}")
        while self.peek() and self.peek() in _KEY_CHARS:
            self.pos += 1
        return self.text[start : self.pos]

    def bare_item(self) -> BareItem:
        char = self.peek()
        if char == "-" or char.isdigit():
            return self.number()
        if char == '"':
            return self.string()
        if char == ":":
            return self.byte_sequence()
        if char == "?":
            return self.boolean()
        if char == "*" or (char.isalpha() and char.isascii()):
            return self.token()
        raise StructuredFieldError(f"unexpected {char or 'end of field'!r} at position {self.pos}")

    def number(self) -> int | float:
        match = _NUMBER_RE.match(self.text, self.pos)
        if match is None:
            raise StructuredFieldError(f"expected a number at position {self.pos}")
        text = match.group(0)
        self.pos = match.end()
        digits = text.lstrip("-")
        if match.group(1) is None:
            if len(digits) > 15:
                raise StructuredFieldError("integer has more than 15 digits")
            return int(text)
        whole, fraction = digits.split(".")
        if len(whole) > 12 or not 1 <= len(fraction) <= 3:
            raise StructuredFieldError("decimal has too many or too few digits")
        return float(text)

    def string(self) -> str:
        self.pos += 1
        chars: list[str] = []
        while True:
            char = self.take()
            if char == "":
                raise StructuredFieldError("unterminated string")
            if char == '"':
                return "".join(chars)
            if char == "\\":
                char = self.take()
                if char not in ('"', "\\"):
                    raise StructuredFieldError("invalid escape in string")
            elif not " " <= char <= "~":
                raise StructuredFieldError("string has characters outside printable ASCII")
            chars.append(char)

    def token(self) -> Token:
        start = self.pos
        self.pos += 1
        while self.peek() and self.peek() in _TOKEN_CHARS:
            self.pos += 1
        return Token(self.text[start : self.pos])

    def byte_sequence(self) -> bytes:
        end = self.text.find(":", self.pos + 1)
        if end < 0:
            raise StructuredFieldError("unterminated byte sequence")
        encoded = self.text[self.pos + 1 : end]
        self.pos = end + 1
        if not _BASE64_RE.fullmatch(encoded):
            raise StructuredFieldError("byte sequence is not base64")
        try:
            return base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
        except binascii.Error as exc:
            raise StructuredFieldError("byte sequence is not base64") from exc

    def boolean(self) -> bool:
        self.pos += 1
        char = self.take()
        if char not in ("0", "1"):
            raise StructuredFieldError("boolean must be ?0 or ?1")
        return char == "1"
