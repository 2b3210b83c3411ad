"""Structured field values (RFC 8941): the examples of the RFC, refusals, round trips."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from federation.structured_fields import (
    InnerList,
    Item,
    StructuredFieldError,
    Token,
    parse_dictionary,
    serialize_bare_item,
    serialize_inner_list,
)


def test_rfc8941_dictionary_examples() -> None:
    assert parse_dictionary('en="Applepie", da=:w4ZibGV0w6ZydGU=:') == {
        "en": Item("Applepie"),
        "da": Item("Æbletærte".encode()),
    }
    assert parse_dictionary("a=?0, b, c; foo=bar") == {
        "a": Item(False),
        "b": Item(True),
        "c": Item(True, {"foo": Token("bar")}),
    }
    parsed = parse_dictionary("rating=1.5, feelings=(joy sadness)")
    assert parsed["rating"] == Item(1.5)
    assert parsed["feelings"] == InnerList((Item(Token("joy")), Item(Token("sadness"))))


def test_signature_input_member_parses_and_reserializes_canonically() -> None:
    text = '("@method" "@target-uri" "content-digest");created=1618884473;keyid="k";alg="ed25519"'
    member = parse_dictionary(f"sig1={text}")["sig1"]
    assert isinstance(member, InnerList)
    assert [item.value for item in member.items] == ["@method", "@target-uri", "content-digest"]
    assert member.params == {"created": 1618884473, "keyid": "k", "alg": "ed25519"}
    assert serialize_inner_list(member) == text


def test_whitespace_between_members_is_allowed() -> None:
    assert parse_dictionary(" a=1 ,\tb=2 ") == {"a": Item(1), "b": Item(2)}


@pytest.mark.parametrize(
    "text",
    [
        "a=1,",
        "a=1 b=2",
        "A=1",
        'a="unterminated',
        'a="bad \\escape"',
        "a=:not base64!:",
        "a=:abc",
        "a=1234567890123456",
        "a=1.2345",
        "a=1.",
        "a=-",
        "a=?2",
        "a=(1 2",
        "a=(1,2)",
        "a=é",
        "=1",
        "a=;b",
    ],
)
def test_invalid_values_are_refused(text: str) -> None:
    with pytest.raises(StructuredFieldError):
        parse_dictionary(text)


def test_serialization_of_bare_items() -> None:
    assert serialize_bare_item(True) == "?1"
    assert serialize_bare_item(-42) == "-42"
    assert serialize_bare_item(2.5) == "2.5"
    assert serialize_bare_item('say "hi" \\ ') == '"say \\"hi\\" \\\\ "'
    assert serialize_bare_item(Token("foo/bar")) == "foo/bar"
    assert serialize_bare_item(b"\x00\xff") == ":AP8=:"
    with pytest.raises(StructuredFieldError):
        serialize_bare_item("line\nbreak")


_STRINGS = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=20)
_KEYS = st.from_regex(r"[a-z*][a-z0-9_.*-]{0,8}", fullmatch=True)
_BARE = st.one_of(
    st.booleans(),
    st.integers(-(10**15) + 1, 10**15 - 1),
    _STRINGS,
    st.binary(max_size=20),
    st.from_regex(r"[A-Za-z*][A-Za-z0-9:/!#$%&'*+.^_`|~-]{0,8}", fullmatch=True).map(Token),
)
_ITEMS = st.builds(Item, _BARE, st.dictionaries(_KEYS, _BARE, max_size=3))


@given(st.lists(_ITEMS, max_size=5), st.dictionaries(_KEYS, _BARE, max_size=4))
def test_inner_lists_round_trip(items: list[Item], params: dict[str, object]) -> None:
    inner = InnerList(tuple(items), params)  # type: ignore[arg-type]
    assert parse_dictionary(f"sig={serialize_inner_list(inner)}") == {"sig": inner}


@given(st.text(max_size=120))
def test_arbitrary_text_parses_or_raises_structured_field_error(text: str) -> None:
    with contextlib.suppress(StructuredFieldError):
        parse_dictionary(text)
