"""Email to the moderators over SMTP (stdlib smtplib), for the digest and the queue alert."""

from __future__ import annotations

import logging
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from service.notifications.settings import NotifySettings

logger = logging.getLogger(__name__)


def message(settings: NotifySettings, subject: str, text: str) -> EmailMessage:
    mail = EmailMessage()
    mail["Subject"] = subject
    mail["From"] = settings.email_from
    mail["To"] = ", ".join(settings.email_to)
    mail["Date"] = formatdate(localtime=False)
    mail["Message-ID"] = make_msgid(domain=settings.email_from.rpartition("@")[2] or None)
    mail["Auto-Submitted"] = "auto-generated"
    mail.set_content(text)
    return mail


def send(settings: NotifySettings, mail: EmailMessage) -> bool:
    """Hand the message to the SMTP server; True if it took it. Failures are logged by kind
    (the server's reply may quote the login; the password never reaches a log)."""
    try:
        if settings.smtp_ssl:
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                settings.smtp_host,
                settings.smtp_port,
                timeout=settings.smtp_timeout,
                context=ssl.create_default_context(),
            )
        else:
            smtp = smtplib.SMTP(
                settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout
            )
        with smtp:
            if settings.smtp_starttls and not settings.smtp_ssl:
                smtp.starttls(context=ssl.create_default_context())
            if settings.smtp_username:
                smtp.login(settings.smtp_username, settings.smtp_password)
            smtp.send_message(mail)
    except (smtplib.SMTPException, OSError) as error:
        code = getattr(error, "smtp_code", None)
        logger.error(
            "Email %r via %s:%d failed: %s%s.",
            mail["Subject"],
            settings.smtp_host,
            settings.smtp_port,
            type(error).__name__,
            f" (SMTP {code})" if code else "",
        )
        return False
    return True
