"""Inbound dispatch: which handlers an activity goes to, by its type, in one table.

Handlers of one type are tried in the table's order; the first that returns an ``Outcome``
decides, the others return None for activities that are not theirs (each looks at the
object: a ``Note`` with a name answering a poll is a vote, one replying to a meetup an RSVP
or its discussion, one addressing a group a post to relay, anything else a post for a local
follower's home timeline). The order matters where two could take the same activity.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from sqlmodel.ext.asyncio.session import AsyncSession

from federation.jsonld import JsonObject
from server.activitypub.event_replies import EventReplyHandler
from server.activitypub.event_rsvp import EventRsvpHandler
from server.activitypub.flags import FlagHandler
from server.activitypub.group_join import GroupJoinHandler
from server.activitypub.move import MoveHandler
from server.activitypub.outcomes import Outcome
from server.activitypub.proposal_poll import VoteHandler
from server.activitypub.reactions import ReactionHandler
from server.activitypub.relay import RelayHandler

if TYPE_CHECKING:
    from server.activitypub.processing import InboxProcessor

#: Handles an activity (session, activity, its verified actor): its outcome, or None when
#: the activity is not this handler's.
Handler = Callable[[AsyncSession, JsonObject, str], Awaitable[Outcome | None]]


def handlers_by_type(inbox: InboxProcessor) -> dict[str, tuple[Handler, ...]]:
    """Each activity type this server handles, and its handlers in the order they are tried."""
    reactions, votes = ReactionHandler(inbox), VoteHandler(inbox)
    rsvp, replies = EventRsvpHandler(inbox), EventReplyHandler(inbox)
    joins, relay = GroupJoinHandler(inbox), RelayHandler(inbox)
    return {
        "Follow": (inbox.on_follow,),
        # Friendica answers a meetup with Accept/TentativeAccept/Reject of the Event: those
        # first, then an answer to a follow of ours.
        "Accept": (rsvp.on_friendica, inbox.on_accept),
        "TentativeAccept": (rsvp.on_friendica,),
        "Reject": (rsvp.on_friendica, inbox.on_reject),
        # A meetup's Join (RSVP) before the group's Join (membership).
        "Join": (rsvp.on_join, joins.on_join),
        "Leave": (rsvp.on_leave, joins.on_leave),
        "Undo": (reactions.on_undo, rsvp.on_undo, joins.on_undo, inbox.on_undo),
        "Like": (reactions.on_reaction,),
        "Announce": (reactions.on_reaction,),
        # A proposal vote, a meetup poll vote, an RSVP keyword reply, then a post to relay,
        # then a post for the home timeline.
        "Create": (
            votes.on_create,
            rsvp.on_vote,
            replies.on_reply,
            relay.on_create,
            inbox.on_create,
        ),
        "Update": (relay.on_update, inbox.on_update),
        # An account's Delete withdraws its RSVPs and unrelays its posts before the rest goes.
        "Delete": (rsvp.on_account_deleted, relay.on_delete, inbox.on_delete),
        "Flag": (FlagHandler(inbox).on_flag,),
        "Move": (MoveHandler(inbox).on_move,),
    }
