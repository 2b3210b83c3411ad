"""Registers the outbound side's handlers of the services' domain events
(:mod:`server.services.outbound`): importing a module registers its ``@handles``
functions. Imported by ``server/activitypub/__init__.py``."""

from server.activitypub import (
    direct_sends,
    meetup_publishing,
    minutes_article,
    post_publishing,
    proposal_poll,
    relay_send,
)

HANDLER_MODULES = (
    direct_sends,
    meetup_publishing,
    minutes_article,
    post_publishing,
    proposal_poll,
    relay_send,
)
