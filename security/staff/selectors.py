"""Which fields may be unmasked: an allow-list read from the models' own field classes."""

from __future__ import annotations

from django.apps import apps
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db import models
from django.http import Http404

from security.encryption.fields import EncryptedMixin


def sensitive_field_names(model: type[models.Model]) -> frozenset[str]:
    """The model's encrypted fields (security/encryption/fields.py): the only values the
    console masks that a member of staff may ask to see. Anything else (a blind index, a
    password hash, a token digest, an ordinary attribute) is never read by the unmask view."""
    return frozenset(f.name for f in model._meta.concrete_fields if isinstance(f, EncryptedMixin))


def sensitive_field_get(*, model_label: str, field_name: str
                        ) -> tuple[type[models.Model], models.Field]:
    """The model and field named in an unmask URL, or 404 if it is not an unmaskable field."""
    try:
        model = apps.get_model(model_label)
    except (LookupError, ValueError):
        raise Http404("No such sensitive field.") from None
    if field_name not in sensitive_field_names(model):
        raise Http404("No such sensitive field.")
    return model, model._meta.get_field(field_name)


def sensitive_object_get(*, model: type[models.Model], pk: str) -> models.Model:
    try:
        return model._default_manager.get(pk=pk)
    # A malformed pk (text for an integer or UUID key) is as absent as a missing row.
    except (ObjectDoesNotExist, ValidationError, ValueError, TypeError):
        raise Http404("No such object.") from None
