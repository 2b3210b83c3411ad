"""Registers the outbound side's handlers of the services' domain events
(:mod:`server.services.outbound`): importing a module registers its ``@handles``
functions. Imported by ``server/activitypub/__init__.py``."""

from server.activitypub import meetup_publishing

HANDLER_MODULES = (meetup_publishing,)
