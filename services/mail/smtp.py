"""SMTP delivery (SMTP_URL): `smtp://user:password@host:587` (STARTTLS on 587 unless
`?tls=none`), `smtps://…:465` (TLS from the start), `smtp://host:25?tls=none`.

Each message carries a Message-ID made from its outbox id, the same on every retry, so a
message sent twice after a crash (between the server's OK and our "sent" mark) is one
message to the recipient's mail system. A 5xx answer is permanent (recorded as failed);
4xx answers and connection trouble are transient (retried).
"""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate
from urllib.parse import parse_qs, unquote, urlsplit

from models.orm.mail import OutboundMail


class MailError(Exception):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class PermanentMailError(MailError):
    """This message will never be accepted (its recipient or its content was refused)."""


class TransientMailError(MailError):
    """This message may be accepted later."""


class MailSetupError(MailError):
    """The server refused us, not the message (connection, TLS, credentials, sender):
    no message is to blame, so none uses up an attempt; delivery pauses and retries."""


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    username: str | None
    password: str | None
    tls: str  # "ssl", "starttls" or "none"


def parse_smtp_url(url: str) -> SmtpConfig:
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise ValueError("SMTP_URL must look like smtp://user:password@host:587")
    port = parts.port or (465 if parts.scheme == "smtps" else 587)
    tls = "ssl" if parts.scheme == "smtps" else ("starttls" if port == 587 else "none")
    tls = parse_qs(parts.query).get("tls", [tls])[0]
    if tls not in ("ssl", "starttls", "none"):
        raise ValueError("SMTP_URL ?tls= must be ssl, starttls or none")
    return SmtpConfig(
        host=parts.hostname,
        port=port,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        tls=tls,
    )


def message_id(mail: OutboundMail) -> str:
    return f"<{mail.id}@practicerunner.mail>"


class SmtpSender:
    def __init__(self, config: SmtpConfig, mail_from: str, timeout: float = 30.0) -> None:
        self.config = config
        self.mail_from = mail_from
        self.timeout = timeout

    def build(self, mail: OutboundMail) -> EmailMessage:
        msg = EmailMessage()
        msg["From"] = self.mail_from
        msg["To"] = mail.recipient
        msg["Subject"] = mail.subject
        msg["Message-ID"] = message_id(mail)
        msg["Date"] = formatdate(localtime=False, usegmt=True)
        msg.set_content(mail.body_text)
        if mail.body_html:
            msg.add_alternative(mail.body_html, subtype="html")
        return msg

    async def send(self, mail: OutboundMail) -> None:
        try:
            message = self.build(mail)
        except (ValueError, TypeError) as exc:  # a header that cannot be written
            raise PermanentMailError(f"unbuildable_{type(exc).__name__}") from None
        await asyncio.to_thread(self._send, message)

    def _send(self, message: EmailMessage) -> None:
        c = self.config
        try:
            if c.tls == "ssl":
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                    c.host, c.port, timeout=self.timeout, context=ssl.create_default_context()
                )
            else:
                smtp = smtplib.SMTP(c.host, c.port, timeout=self.timeout)
        except (smtplib.SMTPException, OSError) as exc:
            raise MailSetupError(f"connect_{type(exc).__name__}") from None
        with smtp:
            try:
                if c.tls == "starttls":
                    smtp.starttls(context=ssl.create_default_context())
                if c.username:
                    smtp.login(c.username, c.password or "")
            except smtplib.SMTPResponseException as exc:
                raise MailSetupError(f"smtp_{exc.smtp_code}") from None
            except (smtplib.SMTPException, OSError) as exc:
                raise MailSetupError(type(exc).__name__) from None
            try:
                smtp.send_message(message)
            except smtplib.SMTPSenderRefused as exc:  # MAIL FROM: our sender, not the message
                raise MailSetupError(f"smtp_{exc.smtp_code}") from None
            except smtplib.SMTPRecipientsRefused as exc:  # RCPT: this message's recipient
                codes = [code for code, _ in exc.recipients.values()]
                permanent = all(code >= 500 for code in codes)
                kind = PermanentMailError if permanent else TransientMailError
                raise kind(f"smtp_{min(codes)}") from None
            except smtplib.SMTPDataError as exc:  # DATA: this message's content
                kind = PermanentMailError if exc.smtp_code >= 500 else TransientMailError
                raise kind(f"smtp_{exc.smtp_code}") from None
            except (smtplib.SMTPException, OSError) as exc:
                raise TransientMailError(type(exc).__name__) from None
