"""ActivityPub wiring: the app's actors, inboxes, outboxes, delivery queue and worker.

The protocol itself (signatures, vocabulary, fetching) lives in the ``federation`` package;
this package connects it to the database and the routes.
"""

# The handlers of the services' domain events (see server.services.outbound).
from server.activitypub import outbound_handlers  # noqa: F401
