"""The structured field values (RFC 8941) that RFC 9421 and RFC 9530 need, read and written
by ``http-sf`` (Mark Nottingham's implementation of RFC 9651) and handed out as small typed
values.

``Signature-Input`` and ``Signature`` are Dictionaries whose members are Inner Lists of
Strings with parameters, or Byte Sequences; ``Content-Digest`` is a Dictionary of Byte
Sequences. Dictionaries are parsed (Items, Inner Lists and Parameters of every bare type of
RFC 8941; RFC 9651's Dates and Display Strings are refused), and Inner Lists serialized,
because the ``@signature-params`` line of a signature base is the canonical serialization of
one. Any deviation raises ``StructuredFieldError`` with the parser's reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

import http_sf
from http_sf.bare_item import ser_bare_item
from http_sf.innerlist import ser_innerlist
from http_sf.types import BareItemType, InnerListType, ItemType, ParamsType


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


def parse_dictionary(text: str) -> dict[str, Member]:
    """Parse a Dictionary field value (RFC 8941 section 4.2.2); raise ``StructuredFieldError``."""
    if not text.isascii():
        raise StructuredFieldError("field value is not ASCII")
    try:
        # Surrounding whitespace (OWS: spaces and tabs) is not part of a field's value.
        parsed = http_sf.parse(text.strip(" \t").encode("ascii"), tltype="dictionary")
    except http_sf.StructuredFieldError as exc:
        raise StructuredFieldError(str(exc)) from None
    assert isinstance(parsed, dict)  # what tltype="dictionary" returns
    return {key: _member(value) for key, value in parsed.items()}


def serialize_inner_list(inner: InnerList) -> str:
    """Serialize an Inner List with its parameters (RFC 8941 section 4.1.1.1)."""
    items: list[ItemType] = [
        (_sf_bare(item.value), _sf_params(item.params)) for item in inner.items
    ]
    structure: InnerListType = (items, _sf_params(inner.params))
    try:
        return ser_innerlist(structure)
    except ValueError as exc:
        raise StructuredFieldError(str(exc)) from None


def serialize_bare_item(value: BareItem) -> str:
    """Serialize one bare item; raise ``StructuredFieldError`` for values out of range."""
    try:
        return ser_bare_item(_sf_bare(value))
    except ValueError as exc:
        raise StructuredFieldError(str(exc)) from None


def _member(value: ItemType | InnerListType) -> Member:
    bare, params = value if isinstance(value, tuple) else (value, {})
    if isinstance(bare, list):
        return InnerList(tuple(_item(item) for item in bare), _params(params))
    return _item((bare, params))


def _item(value: ItemType) -> Item:
    bare, params = value if isinstance(value, tuple) else (value, {})
    return Item(_bare(bare), _params(params))


def _params(params: ParamsType) -> Params:
    return {key: _bare(value) for key, value in params.items()}


def _bare(value: BareItemType) -> BareItem:
    """http-sf's value as ours: Tokens as :class:`Token`, Decimals as floats."""
    if isinstance(value, http_sf.Token):
        return Token(str(value))
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, bool | int | str | bytes):
        return value
    raise StructuredFieldError(f"{type(value).__name__} values are not used here")


def _sf_bare(value: BareItem) -> BareItemType:
    return http_sf.Token(value) if isinstance(value, Token) else value


def _sf_params(params: Params) -> ParamsType:
    return {key: _sf_bare(value) for key, value in params.items()}
