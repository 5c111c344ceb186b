"""The production channel emails the code through Django's mail backend; the demo channel
writes the same email to the outbox, readable by its owner only."""

import pytest
from django.core import mail

from security.login.channels import EmailOtpChannel, OtpMessage, OutboxOtpChannel, otp_channel

MESSAGE = OtpMessage(to="jane@example.com", subject="Your one-time code", body="code 123456")


def test_email_channel_sends_through_the_mail_backend(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.BANK_OTP_FROM_EMAIL = "no-reply@bank.example"
    EmailOtpChannel().send(MESSAGE)
    (sent,) = mail.outbox
    assert sent.to == ["jane@example.com"] and sent.from_email == "no-reply@bank.example"
    assert "123456" in sent.body


def test_outbox_channel_writes_one_private_file_per_message(settings, tmp_path):
    settings.BANK_OTP_OUTBOX_DIR = str(tmp_path / "outbox")
    OutboxOtpChannel().send(MESSAGE)
    OutboxOtpChannel().send(MESSAGE)
    files = sorted((tmp_path / "outbox").glob("*.eml"))
    assert len(files) == 2
    assert (tmp_path / "outbox").stat().st_mode & 0o777 == 0o700
    for file in files:
        assert file.stat().st_mode & 0o777 == 0o600
        assert b"To: jane@example.com" in file.read_bytes()


def test_the_channel_is_chosen_by_settings(settings):
    settings.BANK_OTP_CHANNEL = "security.login.channels.EmailOtpChannel"
    assert isinstance(otp_channel(), EmailOtpChannel)
    settings.BANK_OTP_CHANNEL = "security.login.channels.NoSuchChannel"
    with pytest.raises(ImportError):
        otp_channel()
