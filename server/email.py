"""Outgoing email over SMTP (optional). Email is queued (``OutgoingEmail``, see
``server.services.email_queue``) and sent by the worker with :func:`deliver_email`."""

from __future__ import annotations

import asyncio
import logging
import smtplib
import ssl
from email.message import EmailMessage

from server.config import Settings

log = logging.getLogger(__name__)


def _send(settings: Settings, message: EmailMessage) -> None:
    smtp = settings.smtp
    with smtplib.SMTP(smtp.host, smtp.port, timeout=15) as client:
        if smtp.starttls:
            client.starttls(context=ssl.create_default_context())
        if smtp.username:
            client.login(smtp.username, smtp.password)
        client.send_message(message)


async def deliver_email(settings: Settings, to: str, subject: str, body: str) -> str | None:
    """Send a plain-text email; None when the SMTP server took it, else why not."""
    sender = settings.smtp.from_address or f"noreply@{settings.instance.domain.split(':')[0]}"
    try:
        message = EmailMessage()
        message["From"] = sender
        message["To"] = to
        message["Subject"] = subject
        message.set_content(body)
        await asyncio.to_thread(_send, settings, message)
    except (OSError, smtplib.SMTPException, ValueError) as exc:
        log.warning("could not send email to %s: %s", to, exc)
        return f"{type(exc).__name__}: {exc}"[:500]
    return None
