"""Error reports never show secrets from the settings, the HSM PIN included."""

from django.views.debug import get_default_exception_reporter_filter


def test_secret_settings_are_cleansed(settings):
    settings.BANK_PKCS11_PIN = "1234-hsm-pin"
    settings.EMAIL_URL = "smtp+tls://bank:relay-password@smtp.internal:587"
    shown = get_default_exception_reporter_filter().get_safe_settings()
    assert shown["BANK_PKCS11_PIN"] != "1234-hsm-pin"
    assert "relay-password" not in str(shown["EMAIL_URL"])
    assert "relay-password" not in str(shown)
    assert "1234-hsm-pin" not in str(shown)
    assert shown["BANK_BRAND_NAME"] == settings.BANK_BRAND_NAME  # the rest stays readable
