from django.apps import AppConfig


class OpenApiConfig(AppConfig):
    """The bank's OpenAPI 3 document and its Swagger UI / Redoc pages (bank/openapi)."""

    name = "bank.openapi"
    label = "openapi"
    verbose_name = "API documentation"

    def ready(self) -> None:
        # Registers the authentication extensions with drf-spectacular.
        from bank.openapi import extensions  # noqa: F401
