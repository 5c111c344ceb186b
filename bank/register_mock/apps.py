from django.apps import AppConfig


class RegisterMockConfig(AppConfig):
    """A stand-in for the ACCC CDR Register (cds_register.json 1.36.0), for the demo and tests.

    It plays a system outside the bank: the bank talks to it only over HTTP, through the same
    settings (BANK_REGISTER_BASE_URL, BANK_REGISTER_JWKS_URI) that point at the real Register in
    production. Its URLs exist only while BANK_MOCK_REGISTER_ENABLED (prod.py refuses it).
    """

    name = "bank.register_mock"
    label = "register_mock"
    verbose_name = "Mock CDR Register"
    default_auto_field = "django.db.models.BigAutoField"
