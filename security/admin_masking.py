"""Sensitive fields in the staff console: shown masked, searched through blind indexes,
unmasked one at a time only through the staff app's audited unmask view.

`MaskedFieldsMixin` goes on a ModelAdmin or an inline. For everyone (administrators and
superusers included) every encrypted field leaves the form and comes back as a read-only
"<field>_masked" column that never decrypts anything but an account number's last four
digits, with an "Unmask" link for holders of `staff.unmask_sensitive_data`: plaintext is
reached only through that view (a reason, step-up, audit). So encrypted fields cannot be
edited in the console at all: an input would have to hold the value. Customers' personal
data is changed by the customer or through the bank's core systems, never typed by staff.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

from django.contrib import admin
from django.db import models
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html

from bank.api.formatting import masked_account_number
from security.encryption.fields import EncryptedMixin

UNMASK_PERMISSION = "staff.unmask_sensitive_data"
MASKED_TEXT = "masked"
MASK_PREFIX = "•••• "
#: Fields whose last four digits are a safe partial (CDS MaskedAccountString does the same).
LAST_FOUR_FIELDS = frozenset({"account_number"})


def encrypted_field_names(model: type[models.Model]) -> list[str]:
    return [f.name for f in model._meta.concrete_fields if isinstance(f, EncryptedMixin)]


def masked_value(obj: models.Model, name: str) -> str:
    """What the console shows for an encrypted field: '' when empty (an empty optional field
    is no secret, and is stored in clear), the last four digits of an account number, else
    'masked'. Only the account number is ever decrypted here."""
    field = obj._meta.get_field(name)
    stored = obj.__dict__.get(field.attname)  # type: ignore[union-attr]
    if stored in (None, "", []):
        return ""
    if name in LAST_FOUR_FIELDS:
        digits = masked_account_number("", str(getattr(obj, name)))[-4:]
        return MASK_PREFIX + digits
    return MASKED_TEXT


def unmask_url(obj: models.Model, name: str) -> str:
    """The staff app's unmask view for one field, or '' while that view is not installed
    (fail closed: no link rather than a broken page)."""
    try:
        return reverse("staff:unmask", kwargs={"model": obj._meta.label_lower, "pk": obj.pk,
                                               "field": name})
    except NoReverseMatch:
        return ""


def can_unmask(request: HttpRequest | None) -> bool:
    user = getattr(request, "user", None)
    return bool(user is not None and user.has_perm(UNMASK_PERMISSION))


def masked_cell(request: HttpRequest | None, obj: models.Model, name: str) -> str:
    """The masked value, plus an "Unmask" link for staff allowed to unmask."""
    shown = masked_value(obj, name)
    url = unmask_url(obj, name) if shown and obj.pk and can_unmask(request) else ""
    if not url:
        return shown or "-"
    return format_html('{} <a class="unmask-link" href="{}">Unmask</a>', shown, url)


#: The request being rendered: display callables get only the object. A context variable,
#: not an attribute of the admin, which every thread shares; set for one view and reset when
#: it has rendered (`_rendering_for`), so a worker thread never carries it to the next
#: request. It only decides whether an Unmask link appears; the unmask view checks again.
_rendering: ContextVar[HttpRequest | None] = ContextVar("masking_request", default=None)


def _display(name: str, verbose_name: str) -> Any:
    def show(admin_obj: Any, obj: models.Model) -> str:
        return masked_cell(_rendering.get(), obj, name)

    show.short_description = verbose_name  # type: ignore[attr-defined]
    show.__name__ = f"{name}_masked"
    return show


class MaskedFieldsMixin:
    """See the module docstring. Works for ModelAdmin and InlineModelAdmin alike."""

    model: type[models.Model]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        model = getattr(cls, "model", None)
        if model is not None:
            cls._add_displays(model)

    @classmethod
    def _add_displays(cls, model: type[models.Model]) -> None:
        for name in encrypted_field_names(model):
            verbose = str(model._meta.get_field(name).verbose_name)  # type: ignore[union-attr]
            if not hasattr(cls, f"{name}_masked"):
                setattr(cls, f"{name}_masked", _display(name, verbose))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # A ModelAdmin learns its model only here.
        type(self)._add_displays(self.model)

    def _rendered_for(self, request: HttpRequest, view: Any, *args: Any, **kwargs: Any) -> Any:
        """Run an admin view with `request` as the one being rendered, render its response
        while it is, then forget it (a TemplateResponse renders after the view returns)."""
        token = _rendering.set(request)
        try:
            response = view(request, *args, **kwargs)
            if callable(getattr(response, "render", None)) and not getattr(
                    response, "is_rendered", True):
                response.render()
            return response
        finally:
            _rendering.reset(token)

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> Any:
        return self._rendered_for(request, super().changelist_view,  # type: ignore[misc]
                                  extra_context)

    def changeform_view(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        return self._rendered_for(request, super().changeform_view,  # type: ignore[misc]
                                  *args, **kwargs)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = list(super().get_fields(request, obj))  # type: ignore[misc]
        encrypted = set(encrypted_field_names(self.model))
        return [f"{f}_masked" if f in encrypted else f for f in fields]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        readonly = list(super().get_readonly_fields(request, obj))  # type: ignore[misc]
        return [*readonly, *(f"{n}_masked" for n in encrypted_field_names(self.model))]

    def get_exclude(self, request: HttpRequest, obj: Any = None) -> Any:
        exclude = list(super().get_exclude(request, obj) or [])  # type: ignore[misc]
        return [*exclude, *encrypted_field_names(self.model)]


class MaskedInline(MaskedFieldsMixin, admin.TabularInline):
    """A read-only, masked inline: rows are listed, never edited here (each posted row would
    add its fields to the parent's form, see CustomerAdmin)."""

    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
