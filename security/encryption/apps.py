from django.apps import AppConfig


class EncryptionConfig(AppConfig):
    """Encryption at rest: data keys wrapped by the key manager, encrypted model fields."""

    name = "security.encryption"
    label = "encryption"
    verbose_name = "Encryption keys"
    default_auto_field = "django.db.models.BigAutoField"
