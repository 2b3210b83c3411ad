"""Column helpers the tables share."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column, Text

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
