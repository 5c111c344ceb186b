"""The staff app's one model: it exists to carry the unmask permission."""

from django.db import models


class SensitiveDataAccess(models.Model):
    """No rows: `staff.unmask_sensitive_data` needs a model to hang on, and each unmask is an
    audit event (SENSITIVE_DATA_UNMASKED), not a row here."""

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [("unmask_sensitive_data", "Can unmask one sensitive field, with a reason")]

    def __str__(self) -> str:
        return "sensitive data access"
