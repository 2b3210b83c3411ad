"""Events in Mobilizon's vocabulary: building ours, reading others', the line Mastodon shows.

What Mastodon displays
----------------------
Mastodon turns an ``Event`` into a status as one of its "converted" types
(``CONVERTED_TYPES = %w(Image Audio Video Article Page Event)`` in
``app/lib/activitypub/activity.rb``). ``ActivityPub::Parser::StatusParser#processed_text``
(``app/lib/activitypub/parser/status_parser.rb``) then builds the text from

    <h2>name</h2>  +  summary  +  a link to url (or id)

and ``processed_spoiler_text`` is empty: for an Event the ``summary`` is shown as body text,
not hidden behind a content warning, and ``content`` is dropped. A pull request to add
``content`` (mastodon/mastodon#37554) was declined as "by design". Attachments still count:
an image Document becomes a media attachment, a Link with ``href`` a preview-card candidate,
and Hashtags are indexed.

So ``build_event`` puts date, time, zone and place into ``summary``
(``event_summary``), as Mobilizon does with its own ``event_summary``. We do **not** also
prefix ``content`` with that line: Mastodon never shows ``content`` of an Event, and the
readers that do (Mobilizon stores it as the description; Gancio, Friendica and Hearth) draw
date and place from ``startTime``/``location`` themselves, so a prefix would show twice and
would go stale in copies that are not refreshed. The summary is plain text, as Mobilizon's
and Gancio's are (Misskey-like servers show it as a content warning, where markup would
appear literally).

What Gancio, Mobilizon and Friendica need (issue #22; tested against re-implementations of
their readers in ``tests/flows/peer_readers.py``)
---------------------------------------------------------------------------------------
- ``location`` is one Place object, never a list: Mobilizon's ``get_address`` has no clause
  for a list and drops the whole event. An online-only meetup gets a Place named ``Online``
  whose ``address.url`` is the link: Gancio reads online links only there, and Mobilizon
  keeps the event's time zone only when it has an address. A meetup with neither gets a
  Place "to be announced" (Gancio drops an Update whose place has no address line). With
  both a place and a link, the place wins there; the link still travels as Mobilizon's
  ``Website`` Link.
- ``attachment[0]`` is a picture with a ``url``: Gancio's Update fetches it unconditionally.
  A meetup with a link but no cover sends the group's picture (or Hearth's) first.
- ``actor`` (the organizer) differs from ``attributedTo`` (the group): only then does
  Mobilizon file the event under the group, whose page and agenda filter on it.
- ``name`` is at least 3 characters (Mobilizon's minimum; shorter ones get their day).
- The Place's ``name`` spells out street and town: Friendica shows no address.
- ``summary`` means ``schema:disambiguatingDescription`` in the Event's ``@context``.
  Mastodon reads the plain ``summary`` key and shows it as text; Friendica reads the
  expanded ``as:summary`` and would make it a content warning, collapsing the meetup.

Layout: ``events_build`` (``EventFields``, ``Place``, ``build_event``, ``event_summary``)
and ``events_parse`` (``parse_event``, ``RemoteEvent``, ``EventError``); import from here.
"""

from __future__ import annotations

from federation.events_build import (
    EVENT_TERMS,
    JOIN_MODES,
    STATUSES,
    EventFields,
    Place,
    build_event,
    event_summary,
    format_local_datetime,
)
from federation.events_parse import EventError, RemoteEvent, parse_event

__all__ = [
    "EVENT_TERMS",
    "JOIN_MODES",
    "STATUSES",
    "EventError",
    "EventFields",
    "Place",
    "RemoteEvent",
    "build_event",
    "event_summary",
    "format_local_datetime",
    "parse_event",
]
