"""A real SMTP server on 127.0.0.1 (aiosmtpd, no TLS) that keeps what it receives, and can
refuse the next messages with a temporary error, as a busy mail server does."""

from __future__ import annotations

import email
import email.message
import email.policy
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from tests.servers import free_port


class Mailbox:
    """An aiosmtpd handler that keeps every message it accepts."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.port = 0
        #: Refuse this many messages (``451``) before accepting again.
        self.refuse_next = 0

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.refuse_next > 0:
            self.refuse_next -= 1
            return "451 4.3.0 Try again later"
        content = envelope.content if isinstance(envelope.content, bytes) else b""
        message = email.message_from_bytes(content, policy=email.policy.default)
        assert isinstance(message, email.message.EmailMessage)
        self.messages.append(message)
        return "250 Message accepted"

    def to(self, address: str) -> list[email.message.EmailMessage]:
        """The messages received for ``address``."""
        return [message for message in self.messages if message["To"] == address]

    def smtp_settings(self) -> dict[str, Any]:
        """The ``smtp`` settings section that sends email here."""
        return {"host": "127.0.0.1", "port": self.port, "starttls": False}


@contextmanager
def running_mailbox() -> Iterator[Mailbox]:
    """Start a mail server on a free port of 127.0.0.1 for the block."""
    box = Mailbox()
    box.port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=box.port)
    controller.start()
    try:
        yield box
    finally:
        controller.stop()
