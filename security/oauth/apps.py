from django.apps import AppConfig


class OAuthConfig(AppConfig):
    """The CDR authorization server (FAPI 1.0 Advanced as CDR profiles it) on DOT."""

    name = "security.oauth"
    label = "oauth"
    verbose_name = "Authorization server"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from security.oauth.revocations import revocation_receivers_connect

        revocation_receivers_connect()
