"""Column helpers the tables share."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Text

from server.db import UTCDateTime


def when_column(nullable: bool = False, index: bool = False) -> Column[datetime]:
    """A timezone-aware timestamp column (stored as UTC)."""
    return Column(UTCDateTime(), nullable=nullable, index=index)


def text_column() -> Column[str]:
    """A non-null text column of unbounded length, empty by default."""
    return Column(Text, nullable=False, default="")
