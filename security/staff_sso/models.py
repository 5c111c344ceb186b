from django.conf import settings
from django.db import models


class StaffIdentity(models.Model):
    """Which bank user an identity provider's subject is. The only way SSO finds a user:
    `sub` is stable and unique per issuer, unlike an email address (OIDC Core §5.7)."""

    issuer = models.CharField(max_length=255)
    subject = models.CharField(max_length=255)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="staff_identities")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "staff identity"
        verbose_name_plural = "staff identities"
        constraints = [
            models.UniqueConstraint(fields=["issuer", "subject"],
                                    name="staff_identity_unique_issuer_subject"),
        ]

    def __str__(self) -> str:
        return f"staff identity {self.pk}"
