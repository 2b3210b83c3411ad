"""Tables of calendar imports: a group subscribed to an external ICS calendar (or a file
uploaded once), and which of the group's meetups came from which VEVENT of it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from server.db import utcnow
from server.models.columns import when_column

IMPORT_KINDS = ("url", "file")


class CalendarImport(SQLModel, table=True):
    """An external calendar whose events become meetups of a group."""

    __tablename__ = "calendar_imports"
    __table_args__ = (Index("ix_calendar_imports_next_poll", "next_poll_at"),)

    id: int | None = Field(default=None, primary_key=True)
    group_id: int = Field(foreign_key="groups.id", ondelete="CASCADE", index=True)
    #: "url": polled by the worker; "file": uploaded once, never polled.
    kind: str = Field(default="url", max_length=8)
    #: The http(s) URL polled (webcal:// stored as https://); the file name for uploads.
    url: str = Field(max_length=2048)
    #: The calendar's own name (X-WR-CALNAME), shown next to the URL.
    name: str = Field(default="", max_length=200)
    #: The zone of floating times (no TZID) when the calendar names none (X-WR-TIMEZONE).
    timezone: str = Field(max_length=64)
    created_by_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    created_at: datetime = Field(default_factory=utcnow, sa_column=when_column())
    #: Validators of the last good response, sent back as If-None-Match / If-Modified-Since.
    etag: str = Field(default="", max_length=500)
    last_modified: str = Field(default="", max_length=100)
    #: None for uploaded files (never polled).
    next_poll_at: datetime | None = Field(default=None, sa_column=when_column(nullable=True))
    last_polled_at: datetime | None = Field(default=None, sa_column=when_column(nullable=True))
    last_success_at: datetime | None = Field(default=None, sa_column=when_column(nullable=True))
    #: Failed polls in a row (backoff doubles with each); 0 after a success.
    failures: int = Field(default=0)
    last_error: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    #: VEVENTs (occurrences) in the import window at the last successful read.
    event_count: int = Field(default=0)


class ImportedEvent(SQLModel, table=True):
    """A meetup created from one occurrence of a VEVENT of an import (UID + RECURRENCE-ID)."""

    __tablename__ = "imported_events"
    __table_args__ = (UniqueConstraint("import_id", "uid", "recurrence_key"),)

    id: int | None = Field(default=None, primary_key=True)
    import_id: int = Field(foreign_key="calendar_imports.id", ondelete="CASCADE", index=True)
    event_id: int = Field(foreign_key="events.id", ondelete="CASCADE", unique=True)
    uid: str = Field(max_length=500)
    #: The occurrence's original start (UTC ISO, or the date of an all-day one); "" if single.
    recurrence_key: str = Field(default="", max_length=40)
    #: A digest of what the VEVENT said last time: the meetup is rewritten only when it changes.
    fingerprint: str = Field(max_length=64)
    #: Detached by an organizer: edited locally from then on, never touched by the import.
    detached: bool = Field(default=False)
