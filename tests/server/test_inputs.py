"""The one reader of ids, pages, numbers, dates and JSON: whatever a visitor sends, it
answers a value in range or None (a ValueError for JSON), never another exception."""

from __future__ import annotations

import contextlib
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from server.inputs import (
    LAST_DATE,
    MAX_ROW_ID,
    calendar_date,
    clock_time,
    local_datetime,
    page_number,
    parse_json,
    row_id,
    whole_number,
)

odd_texts = st.text(max_size=40) | st.sampled_from(
    ["²", "١٢", "9" * 5000, "-0", "+1", " 7 ", "1_000", "9999-12-31", "0001-01-01", "1e9"]
)


@given(raw=odd_texts | st.integers() | st.booleans() | st.none())
def test_readers_answer_a_value_in_range_or_none(raw: object) -> None:
    found = row_id(raw)
    assert found is None or 1 <= found <= MAX_ROW_ID
    assert 1 <= page_number(raw) <= 10_000
    day = calendar_date(raw)
    assert day is None or date(1900, 1, 1) <= day <= LAST_DATE
    clock_time(raw)
    local_datetime(raw)


def test_digits_python_accepts_but_urls_should_not() -> None:
    assert "²".isdigit() and row_id("²") is None
    assert row_id("١") is None  # int() would read 1
    assert row_id("9" * 5000) is None and page_number("9" * 5000) == 1
    assert row_id(str(2**31)) is None and row_id(str(2**31 - 1)) == 2**31 - 1
    assert row_id(True) is None and row_id(7) == 7 and row_id(" 7 ") == 7
    assert whole_number("-3", -5, 5) == -3
    assert calendar_date("9999-12-31") is None and calendar_date("2030-02-28") == date(2030, 2, 28)


@pytest.mark.parametrize(
    "body",
    ["[" * 100_000 + "]" * 100_000, '{"a": ' + "9" * 5000 + "}", '{"a": ' + "9" * 19 + "}"],
)
def test_json_past_the_limits_is_a_value_error(body: str) -> None:
    with pytest.raises(ValueError):
        parse_json(body)


@given(body=st.text(max_size=60))
def test_json_reader_raises_only_value_errors(body: str) -> None:
    with contextlib.suppress(ValueError):
        parse_json(body)


def test_brackets_inside_strings_do_not_count_as_depth() -> None:
    assert parse_json('{"a": "' + "[" * 100 + '"}') == {"a": "[" * 100}
