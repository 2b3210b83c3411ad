"""Column helpers the tables share."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Column, String, Text
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field

from server.db import UTCDateTime


def when_column(nullable: bool = False, index: bool = False) -> Column[datetime]:
    """A timezone-aware timestamp column (stored as UTC)."""
    return Column(UTCDateTime(), nullable=nullable, index=index)


def text_column() -> Column[str]:
    """A non-null text column of unbounded length, empty by default."""
    return Column(Text, nullable=False, default="")


def stored_id(row: Any) -> int:
    """The primary key of a row that has been flushed (a new row has none until then)."""
    if row.id is None:
        raise ValueError(f"{type(row).__name__} has no id: it has not been flushed")
    return int(row.id)


def read_id(value: int | None) -> int:
    """An id column read from the database, where a key is never null (the models declare
    keys ``int | None`` because a new row has none before it is flushed)."""
    if value is None:
        raise ValueError("an id read from the database is null")
    return value


class StateType(TypeDecorator[StrEnum]):
    """A ``VARCHAR(length)`` holding a :class:`~enum.StrEnum`'s value: the database keeps the
    plain strings, rows read back carry the enum's members. Values bound in queries are sent as
    their strings, so ``col(Follow.state) == "accepted"`` and a member bind the same."""

    impl = String
    cache_ok = True

    def __init__(self, enum: type[StrEnum], length: int = 16) -> None:
        super().__init__(length)
        self.enum = enum

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        return None if value is None else str(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> StrEnum | None:
        return None if value is None else self.enum(value)


def state_field(default: StrEnum, length: int = 16) -> Any:
    """A non-null state column of ``default``'s enum, stored as its string value."""
    return Field(default=default, sa_type=StateType(type(default), length))
