"""Outgoing email over SMTP (optional): password-reset links."""

from __future__ import annotations

import asyncio
import logging
import smtplib
import ssl
from email.message import EmailMessage

from server.config import Settings
from server.models import User

log = logging.getLogger(__name__)


def _send(settings: Settings, message: EmailMessage) -> None:
    smtp = settings.smtp
    with smtplib.SMTP(smtp.host, smtp.port, timeout=15) as client:
        if smtp.starttls:
            client.starttls(context=ssl.create_default_context())
        if smtp.username:
            client.login(smtp.username, smtp.password)
        client.send_message(message)


async def send_email(settings: Settings, to: str, subject: str, body: str) -> bool:
    """Send a plain-text email; False (and a log line) if the server cannot be reached."""
    message = EmailMessage()
    message["From"] = (
        settings.smtp.from_address or f"noreply@{settings.instance.domain.split(':')[0]}"
    )
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    try:
        await asyncio.to_thread(_send, settings, message)
    except (OSError, smtplib.SMTPException) as exc:
        log.warning("could not send email to %s: %s", to, exc)
        return False
    return True


async def send_password_reset(settings: Settings, user: User, link: str) -> bool:
    """Email a user their password-reset link."""
    body = (
        f"Hello {user.name},\n\n"
        f"Someone (hopefully you) asked to reset the password of @{user.username} on "
        f"{settings.instance.name}. Choose a new password here within the hour:\n\n{link}\n\n"
        "If you did not ask for this, ignore this email: your password stays the same.\n"
    )
    return await send_email(
        settings, user.email, f"Reset your password on {settings.instance.name}", body
    )
