"""Admin pages for the mock Register: the demo's way to suspend a recipient or deactivate a
product, and watch the bank follow within one status poll (security/recipients/tasks.py).

Registered only while BANK_MOCK_REGISTER_ENABLED, so production's console never shows a
Register the bank does not run.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.contrib import admin
from django.db import models

from bank.register_mock.models import RegisterBrand, RegisterLegalEntity, RegisterSoftwareProduct


class _HttpsUrls:
    # Django 6 makes https the default scheme of URL form fields; say so now.
    formfield_overrides: Mapping[type[models.Field[Any, Any]], Mapping[str, Any]] = {
        models.URLField: {"assume_scheme": "https"},
    }


class RegisterBrandInline(admin.TabularInline):
    model = RegisterBrand
    extra = 0
    fields = ("brand_name", "brand_id", "status")
    readonly_fields = ("brand_id",)
    show_change_link = True


class RegisterSoftwareProductInline(admin.TabularInline):
    model = RegisterSoftwareProduct
    extra = 0
    fields = ("client_name", "software_product_id", "status")
    readonly_fields = ("software_product_id",)
    show_change_link = True


class RegisterLegalEntityAdmin(_HttpsUrls, admin.ModelAdmin):
    list_display = ("legal_entity_name", "legal_entity_id", "status", "updated_at")
    list_editable = ("status",)
    list_filter = ("status",)
    search_fields = ("legal_entity_name", "legal_entity_id")
    readonly_fields = ("legal_entity_id",)
    inlines = [RegisterBrandInline]


class RegisterBrandAdmin(_HttpsUrls, admin.ModelAdmin):
    list_display = ("brand_name", "legal_entity", "brand_id", "status", "updated_at")
    list_editable = ("status",)
    list_filter = ("status",)
    search_fields = ("brand_name", "brand_id")
    readonly_fields = ("brand_id",)
    inlines = [RegisterSoftwareProductInline]


class RegisterSoftwareProductAdmin(_HttpsUrls, admin.ModelAdmin):
    list_display = ("client_name", "brand", "software_product_id", "status", "updated_at")
    list_editable = ("status",)
    list_filter = ("status", "brand__status", "brand__legal_entity__status")
    search_fields = ("client_name", "software_product_id", "brand__brand_name")
    readonly_fields = ("software_product_id",)


if settings.BANK_MOCK_REGISTER_ENABLED:
    admin.site.register(RegisterLegalEntity, RegisterLegalEntityAdmin)
    admin.site.register(RegisterBrand, RegisterBrandAdmin)
    admin.site.register(RegisterSoftwareProduct, RegisterSoftwareProductAdmin)
