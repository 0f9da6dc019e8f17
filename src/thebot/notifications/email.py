"""Outgoing mail: SMTP from settings, or a mail folder plus the log when no server is set."""

from __future__ import annotations

import logging
import os
import smtplib
import ssl
import uuid
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

log = logging.getLogger(__name__)


def build_message(
    settings: dict[str, Any], to: list[str], subject: str, body: str, html: str | None = None
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings["mail_from"]
    message["To"] = ", ".join(to)
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain="thebot.local")
    message.set_content(body)
    if html:
        message.add_alternative(html, subtype="html")
    return message


def deliver(settings: dict[str, Any], message: EmailMessage) -> str:
    """Send ``message``; returns where it went (``smtp`` or the file path)."""
    if settings.get("smtp_host"):
        _send_smtp(settings, message)
        log.info("mail %s sent to %s", message["Message-ID"], message["To"])
        return "smtp"
    folder = settings["mail_dir"]
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, f"{uuid.uuid4().hex}.eml")
    with open(path, "wb") as fh:
        fh.write(bytes(message))
    log.info(
        "mail %s to %s written to %s (no SMTP_HOST)", message["Message-ID"], message["To"], path
    )
    return path


def _send_smtp(settings: dict[str, Any], message: EmailMessage) -> None:
    host, port, timeout = settings["smtp_host"], settings["smtp_port"], settings["smtp_timeout"]
    context = ssl.create_default_context()
    if settings["smtp_ssl"]:
        client: smtplib.SMTP = smtplib.SMTP_SSL(host, port, timeout=timeout, context=context)
    else:
        client = smtplib.SMTP(host, port, timeout=timeout)
    with client:
        if settings["smtp_starttls"] and not settings["smtp_ssl"]:
            client.starttls(context=context)
        if settings.get("smtp_user"):
            client.login(settings["smtp_user"], settings.get("smtp_password") or "")
        client.send_message(message)
