"""Every write made in the staff console (the Django admin) becomes one audit event.

One hook for every ModelAdmin: `AuditedAdminSite` is the project's `admin.site`
(security/apps.py `AuditedAdminConfig`), and its `register()` puts `AdminAuditMixin` in front
of whatever admin class it is given, ours and third-party ones (DOT, django-celery-beat, auth)
alike. The mixin hooks the methods every admin write path already calls:

- `log_addition` / `log_change`: the add and change forms, list_editable rows on the change
  list, and UserAdmin's password form. `construct_change_message` (called with the form just
  before them) and `save_formset` (inlines) supply what changed: a form's `initial` is the
  object as it was, `changed_data` and `cleaned_data` what the member of staff submitted;
- `log_deletions`: the delete page and the bulk "delete selected" action, called before the
  rows go;
- `get_actions`: every other admin action is wrapped, so running it is recorded with its
  selection.

Events: ADMIN_OBJECT_ADDED / ADMIN_OBJECT_CHANGED / ADMIN_OBJECT_DELETED / ADMIN_ACTION_RUN,
actor = the staff user's id, subject = "<app_label>.<model>" and the object's pk. The detail
lists the changed fields with before/after, and shows a value only when `field_is_disclosable`
says so: an explicit allow-list of free-text fields per model, yes/no switches, enumerated codes
and relations (primary keys), and, in the bank's own configuration models only
(`SAFE_TYPE_MODELS`: rate limits, outages, schedules, recipients' statuses...), numbers and
dates. Elsewhere a number or a date may be a customer's money or history (a direct debit's last
amount and date), so it is masked. Anything else, or unknown, is "<masked>" (the field is
still named, so the change shows, never the value; no hash either, which would let a guess
of a low-entropy value such as a date of birth be confirmed).

Admins whose writes already go through an auditing service or write their own event
(`audits_its_own_writes = True`: rate-limit overrides, outages, incidents) keep those events
and get no generic one for the same write. Their events are domain events (the software
product or outage they concern, a type other code filters on, written whichever path made the
change), and a second, generic event for the same save would count every change twice.
Actions are always recorded: ADMIN_ACTION_RUN is the command (who ran what on which rows);
what the action did is audited by the service it calls (ARRANGEMENT_REVOKED,
CUSTOMER_ERASED...).

Append-only models (the audit trail, its chain keys, wrapped data keys and key rotations) are
refused add, change and delete here whatever their own ModelAdmin says, superusers included.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.contrib import admin
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.http import HttpRequest
from django.utils.duration import duration_iso_string

from security.audit import Actor, ActorType, Outcome, audit_record
from security.client_ip import client_ip
from security.encryption.fields import BlindIndexField, EncryptedMixin

ADMIN_OBJECT_ADDED = "ADMIN_OBJECT_ADDED"
ADMIN_OBJECT_CHANGED = "ADMIN_OBJECT_CHANGED"
ADMIN_OBJECT_DELETED = "ADMIN_OBJECT_DELETED"
ADMIN_ACTION_RUN = "ADMIN_ACTION_RUN"

MASKED = "<masked>"
#: Keep the detail small: at most this many fields, inline rows and selected ids, and values
#: cut to this many characters.
MAX_FIELDS = 40
MAX_INLINE_ROWS = 20
MAX_IDS = 20
MAX_VALUE_CHARS = 80

#: Nobody writes these through the console: the audit trail and what protects it, and key
#: material (wrapped data keys) with its rotation record.
APPEND_ONLY_MODELS = frozenset({
    "security.auditevent", "security.auditchainkey", "security.configsnapshot",
    "encryption.datakey", "encryption.keyrotation",
})

#: Free-text (or otherwise unclassifiable) fields known to hold nothing personal or secret,
#: per model: product reference data, Register names and ids, schedules, reasons. A field not
#: listed here is shown only if its type is safe (`_SAFE_TYPES`).
CLEAR_TEXT_FIELDS: Mapping[str, frozenset[str]] = {
    "auth.group": frozenset({"name"}),
    "oauth2_provider.application": frozenset({"client_id", "name", "redirect_uris",
                                              "post_logout_redirect_uris", "allowed_origins"}),
    # args and kwargs: what staff scheduled the task with. The project's tasks take IDs and
    # numbers only, never a secret (STYLE.md §9; tests/security/test_admin_audit.py checks
    # every task's parameters).
    "django_celery_beat.periodictask": frozenset({"name", "task", "args", "kwargs", "queue",
                                                  "exchange", "description"}),
    "django_celery_beat.crontabschedule": frozenset({"minute", "hour", "day_of_month",
                                                     "month_of_year", "day_of_week",
                                                     "timezone"}),
    "recipients.datarecipient": frozenset({"legal_entity_id", "legal_entity_name"}),
    "recipients.softwareproduct": frozenset({"software_product_id", "name", "brand_name"}),
    "throttling.ratelimitoverride": frozenset({"rule", "rate", "reason"}),
    "discovery.outage": frozenset({"explanation"}),
    "discovery.incident": frozenset({"explanation"}),
    "consent.arrangement": frozenset({"scope"}),
    "accounts.product": frozenset({"product_id", "brand", "brand_name", "brand_group", "name",
                                   "description", "application_uri", "overview_uri",
                                   "terms_uri", "eligibility_uri", "fees_and_pricing_uri",
                                   "bundle_uri"}),
    "accounts.productfee": frozenset({"name", "currency", "additional_value",
                                      "additional_info", "additional_info_uri"}),
    "register_mock.registerlegalentity": frozenset({"legal_entity_id", "legal_entity_name",
                                                    "accreditation_number", "logo_uri"}),
    "register_mock.registerbrand": frozenset({"brand_id", "brand_name", "logo_uri"}),
    "register_mock.registersoftwareproduct": frozenset({"software_product_id", "client_name",
                                                        "client_description"}),
}

#: Types whose values cannot carry a name or a secret: shown in SAFE_TYPE_MODELS only, as a
#: number or a date elsewhere may be a customer's (a balance, a debit's amount, a birth date).
_SAFE_TYPES: tuple[type[models.Field[Any, Any]], ...] = (
    models.IntegerField, models.DecimalField, models.FloatField, models.DateField,
    models.TimeField, models.DurationField, models.UUIDField,
)

#: The bank's own configuration and reference data, about no customer: here numbers and
#: dates are shown (a rate-limit burst, an outage's time and duration, a schedule's interval,
#: a product's fees, when a recipient's status changed). A model not listed masks them.
SAFE_TYPE_MODELS = frozenset({
    "throttling.ratelimitoverride", "discovery.outage", "discovery.incident",
    "django_celery_beat.periodictask", "django_celery_beat.intervalschedule",
    "django_celery_beat.crontabschedule", "django_celery_beat.clockedschedule",
    "django_celery_beat.solarschedule", "recipients.datarecipient",
    "recipients.softwareproduct", "oauth2_provider.application", "accounts.product",
    "accounts.productfee", "register_mock.registerlegalentity", "register_mock.registerbrand",
    "register_mock.registersoftwareproduct",
})

#: Field classes that hold secrets or ciphertext, ours and third-party ones matched by class
#: name (DOT's ClientSecretField, TokenChecksumField).
_SENSITIVE_CLASS_WORDS = ("secret", "token", "password", "checksum", "encrypt", "hash",
                          "digest")
#: Words in a field's name that mark it secret or personal, whatever its type.
_SENSITIVE_NAME_WORDS = frozenset({
    "password", "passwd", "passphrase", "secret", "token", "otp", "pin", "cvv", "cvc", "salt",
    "nonce", "digest", "checksum", "hash", "signature", "assertion", "cookie", "jwk", "jwks",
    "pem", "wrapped", "private", "key", "keys", "credential", "credentials", "username",
    "email", "phone", "mobile", "fax", "address", "street", "birth", "dob", "abn", "acn",
    "arbn", "tfn", "passport", "licence", "license", "medicare", "surname", "nickname", "pan",
    "bsb", "iban", "crn", "payid", "ip",
})
_SENSITIVE_NAME_PAIRS = frozenset({
    ("first", "name"), ("last", "name"), ("middle", "name"), ("middle", "names"),
    ("given", "name"), ("family", "name"), ("full", "name"), ("mailing", "name"),
    ("legal", "name"), ("business", "name"), ("short", "name"), ("display", "name"),
    ("account", "number"), ("card", "number"), ("full", "number"),
})
#: Whole names that are secrets on their own (DOT's authorization code).
_SENSITIVE_NAMES = frozenset({"code"})


def _model_label(model: type[models.Model]) -> str:
    return model._meta.label_lower


def _name_is_sensitive(name: str) -> bool:
    words = [w for w in re.split(r"[_\d]+", name.lower()) if w]
    return (name.lower() in _SENSITIVE_NAMES
            or any(w in _SENSITIVE_NAME_WORDS for w in words)
            or any(pair in _SENSITIVE_NAME_PAIRS for pair in itertools.pairwise(words)))


def _class_is_sensitive(model_field: models.Field[Any, Any]) -> bool:
    if isinstance(model_field, EncryptedMixin | BlindIndexField | models.BinaryField):
        return True
    class_names = " ".join(cls.__name__.lower() for cls in type(model_field).__mro__)
    return any(word in class_names for word in _SENSITIVE_CLASS_WORDS)


@functools.cache
def _holds_personal_data(model: type[models.Model]) -> bool:
    """A model with encrypted fields is personal or confidential data: there, only choices,
    booleans, relations and allow-listed fields are shown, even if it were (wrongly) added to
    SAFE_TYPE_MODELS."""
    return any(isinstance(f, EncryptedMixin | BlindIndexField) for f in model._meta.get_fields())


def field_is_disclosable(model: type[models.Model], name: str) -> bool:
    """Whether an audit event may show this field's value. Fails closed: a form field that is
    not a model field, an unknown type, a sensitive class or name are all masked."""
    try:
        model_field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return False
    if not isinstance(model_field, models.Field) or _class_is_sensitive(model_field):
        return False
    if isinstance(model_field, models.BooleanField):
        return True  # yes or no; never the value of anything
    if _name_is_sensitive(name):
        return False
    if name in CLEAR_TEXT_FIELDS.get(_model_label(model), frozenset()):
        return True
    if model_field.is_relation or model_field.choices:
        return True  # primary keys (pseudonymous ids) and enumerated codes
    return (isinstance(model_field, _SAFE_TYPES) and _model_label(model) in SAFE_TYPE_MODELS
            and not _holds_personal_data(model))


def _short(text: str) -> str:
    return text if len(text) <= MAX_VALUE_CHARS else text[: MAX_VALUE_CHARS - 1] + "…"


def plain_value(value: Any) -> Any:
    """A JSON-ready, short rendering of a field value (related objects as their pks)."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, models.Model):
        return plain_value(value.pk)
    if isinstance(value, models.QuerySet | list | tuple | set | frozenset):
        items = list(value[: MAX_IDS + 1]) if isinstance(value, models.QuerySet) else list(value)
        shown = [plain_value(item) for item in items[:MAX_IDS]]
        return [*shown, "…"] if len(items) > MAX_IDS else shown
    if isinstance(value, timedelta):
        return duration_iso_string(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal | UUID):
        return str(value)
    return _short(str(value))


def _shown(model: type[models.Model], name: str, read: Callable[[str], Any]) -> Any:
    # `read` is only called for a disclosable field: a masked one is never even decrypted.
    return plain_value(read(name)) if field_is_disclosable(model, name) else MASKED


def form_changes(model: type[models.Model], form: Any, *, add: bool) -> list[dict[str, Any]]:
    """The fields a submitted form changed: [{"field", "before"?, "after"}], masked as needed."""
    changes: list[dict[str, Any]] = []
    for name in form.changed_data:
        entry: dict[str, Any] = {"field": name}
        if not add:
            entry["before"] = _shown(model, name, form.initial.get)
        entry["after"] = _shown(model, name, form.cleaned_data.get)
        changes.append(entry)
    return changes


def object_fields(obj: models.Model) -> list[dict[str, Any]]:
    """An object's stored fields as they are (before a deletion), masked as needed."""
    model = type(obj)
    fields = {f.name: f for f in model._meta.concrete_fields[:MAX_FIELDS] if not f.primary_key}

    def stored(name: str) -> Any:
        return fields[name].value_from_object(obj)

    return [{"field": name, "before": _shown(model, name, stored)} for name in fields]


@dataclass
class _Pending:
    """What the forms of one admin save changed, kept on the request until log_*()."""

    changes: list[dict[str, Any]] = field(default_factory=list)
    inlines: list[dict[str, Any]] = field(default_factory=list)
    known: bool = False


_PENDING_ATTR = "_admin_audit_pending"


def _pending(request: HttpRequest) -> _Pending:
    pending = getattr(request, _PENDING_ATTR, None)
    if pending is None:
        pending = _Pending()
        setattr(request, _PENDING_ATTR, pending)
    return pending


def _pending_take(request: HttpRequest) -> _Pending:
    pending = _pending(request)
    setattr(request, _PENDING_ATTR, None)
    return pending


def _formset_changes(formset: Any, pks_before: Mapping[int, Any]) -> list[dict[str, Any]]:
    """One entry per inline row the formset added, changed or deleted."""
    model = formset.model
    label = _model_label(model)
    forms = {id(form.instance): form for form in formset.forms}
    rows: list[dict[str, Any]] = []
    for obj in formset.new_objects:
        form = forms.get(id(obj))
        rows.append({"model": label, "pk": str(obj.pk), "action": "added",
                     "changes": form_changes(model, form, add=True)[:MAX_FIELDS] if form else []})
    for obj, _names in formset.changed_objects:
        form = forms.get(id(obj))
        rows.append({"model": label, "pk": str(obj.pk), "action": "changed",
                     "changes": form_changes(model, form, add=False)[:MAX_FIELDS] if form else []})
    for obj in formset.deleted_objects:
        # Deleting cleared the instance's pk: the one it had comes from before the save.
        rows.append({"model": label, "pk": str(pks_before.get(id(obj), "")),
                     "action": "deleted"})
    return rows


def _staff(request: HttpRequest) -> Actor:
    return Actor(ActorType.STAFF, str(request.user.pk))


class AdminAuditMixin(admin.ModelAdmin):
    """Audits every write of the ModelAdmin it is mixed into (see the module docstring).

    An admin that audits its own writes says so with `audits_its_own_writes = True`; the
    attribute is looked up on the instance and never defined here, so that this mixin, first
    in the MRO, cannot hide it.
    """

    def _audits_itself(self) -> bool:
        return bool(getattr(self, "audits_its_own_writes", False))

    def _subject_type(self) -> str:
        return _model_label(self.model)

    # -- append-only models ------------------------------------------------------------------
    def has_add_permission(self, request: HttpRequest) -> bool:
        if self._subject_type() in APPEND_ONLY_MODELS:
            return False
        return bool(super().has_add_permission(request))

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if self._subject_type() in APPEND_ONLY_MODELS:
            return False
        return bool(super().has_change_permission(request, obj))

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if self._subject_type() in APPEND_ONLY_MODELS:
            return False
        return bool(super().has_delete_permission(request, obj))

    # -- what changed: captured from the forms --------------------------------------------
    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        pks_before = {id(f.instance): f.instance.pk for f in formset.initial_forms}
        super().save_formset(request, form, formset, change)
        _pending(request).inlines.extend(_formset_changes(formset, pks_before))

    def construct_change_message(self, request: HttpRequest, form: Any, formsets: Any,
                                 add: bool = False) -> Any:
        pending = _pending(request)
        pending.changes = form_changes(self.model, form, add=add)
        pending.known = True
        return super().construct_change_message(request, form, formsets, add)

    # -- the events ----------------------------------------------------------------------
    def _record_write(self, request: HttpRequest, obj: models.Model, event_type: str) -> None:
        pending = _pending_take(request)
        if self._audits_itself():
            return
        detail: dict[str, Any] = {"changes": pending.changes[:MAX_FIELDS]}
        if len(pending.changes) > MAX_FIELDS or len(pending.inlines) > MAX_INLINE_ROWS:
            detail["truncated"] = True
        if pending.inlines:
            detail["inlines"] = pending.inlines[:MAX_INLINE_ROWS]
        if not pending.known:
            # log_* called by a path that built no form message: what changed is unknown,
            # but that staff wrote to this object is still on record.
            detail["changes_unknown"] = True
        audit_record(actor=_staff(request), event_type=event_type,
                     subject_type=self._subject_type(), subject_id=str(obj.pk),
                     source_ip=client_ip(request), detail=detail)

    def log_addition(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        entry = super().log_addition(request, obj, message)
        self._record_write(request, obj, ADMIN_OBJECT_ADDED)
        return entry

    def log_change(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        entry = super().log_change(request, obj, message)
        self._record_write(request, obj, ADMIN_OBJECT_CHANGED)
        return entry

    def log_deletions(self, request: HttpRequest, queryset: Any) -> Any:
        entries = super().log_deletions(request, queryset)
        if not self._audits_itself():
            for obj in queryset:
                audit_record(actor=_staff(request), event_type=ADMIN_OBJECT_DELETED,
                             subject_type=self._subject_type(), subject_id=str(obj.pk),
                             source_ip=client_ip(request), detail={"fields": object_fields(obj)})
        return entries

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions: dict[str, Any] = super().get_actions(request)
        for name, (func, _name, description) in list(actions.items()):
            # delete_selected is audited row by row through log_deletions (and its first call
            # only shows the confirmation page).
            if name != "delete_selected":
                actions[name] = (_audited_action(func, name), name, description)
        return actions


def _audited_action(func: Callable[..., Any], name: str) -> Callable[..., Any]:
    """`func` (an admin action), recording ADMIN_ACTION_RUN with what it was run on."""

    @functools.wraps(func)
    def run(modeladmin: Any, request: HttpRequest, queryset: Any) -> Any:
        # Read before the action runs: it may delete or change the rows it was given.
        ids = [str(pk) for pk in queryset.values_list("pk", flat=True)[: MAX_IDS + 1]]
        detail = {"action": name, "selected": ids[:MAX_IDS], "selected_count": queryset.count(),
                  "select_across": request.POST.get("select_across") == "1"}

        def record(outcome: str) -> None:
            audit_record(actor=_staff(request), event_type=ADMIN_ACTION_RUN, outcome=outcome,
                         subject_type=_model_label(modeladmin.model),
                         subject_id=ids[0] if len(ids) == 1 else "",
                         source_ip=client_ip(request), detail=detail)

        try:
            response = func(modeladmin, request, queryset)
        except Exception:
            # Written again after the request's rollback (security/audit.py).
            record(Outcome.FAILURE)
            raise
        record(Outcome.SUCCESS)
        return response

    return run


class AuditedAdminSite(admin.AdminSite):
    """The project's admin.site: every ModelAdmin registered on it is audited."""

    def register(self, model_or_iterable: Any, admin_class: Any = None,
                 **options: Any) -> None:
        admin_class = admin_class or admin.ModelAdmin
        if not issubclass(admin_class, AdminAuditMixin):
            admin_class = type(admin_class.__name__, (AdminAuditMixin, admin_class),
                               {"__module__": admin_class.__module__,
                                "__doc__": admin_class.__doc__})
        super().register(model_or_iterable, admin_class, **options)

