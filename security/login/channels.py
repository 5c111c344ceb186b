"""How a one-time code reaches the customer: pluggable, chosen by `BANK_OTP_CHANNEL`.

CDS credential requirements: the code goes "through an existing channel ... that the
customer can then enter into the redirected page", the data holder's choice. Production sends
an email through Django's mail backend (SMTP, configured by EMAIL_* settings); the demo and
the tests write the very same email to `BANK_OTP_OUTBOX_DIR` (var/outbox/), one file per
message, readable by the owner only. prod.py refuses the outbox.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from django.conf import settings
from django.core.mail import EmailMessage
from django.utils import timezone
from django.utils.module_loading import import_string


class OtpUndeliverable(Exception):
    """The customer has no address this channel can reach."""


@dataclass(frozen=True)
class OtpMessage:
    to: str
    subject: str
    body: str

    def email(self) -> EmailMessage:
        return EmailMessage(subject=self.subject, body=self.body, to=[self.to],
                            from_email=settings.BANK_OTP_FROM_EMAIL)


class OtpChannel(Protocol):
    def send(self, message: OtpMessage) -> None: ...


class EmailOtpChannel:
    """Production: an email through the configured mail backend."""

    def send(self, message: OtpMessage) -> None:
        sent = message.email().send(fail_silently=False)
        if sent != 1:
            raise OtpUndeliverable("The mail backend did not accept the message.")


class OutboxOtpChannel:
    """Demo and tests: the same email, written to a file in the outbox directory."""

    def send(self, message: OtpMessage) -> None:
        outbox = Path(settings.BANK_OTP_OUTBOX_DIR)
        outbox.mkdir(mode=0o700, parents=True, exist_ok=True)
        stamp = timezone.now().strftime("%Y%m%dT%H%M%S%f")
        path = outbox / f"{stamp}-{secrets.token_hex(4)}.eml"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(message.email().message().as_bytes())


def otp_channel() -> OtpChannel:
    channel: OtpChannel = import_string(settings.BANK_OTP_CHANNEL)()
    return channel
