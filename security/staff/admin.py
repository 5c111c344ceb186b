"""Staff TOTP devices in the console: who has one and when it was used; never its secret.

django-otp's own TOTPDeviceAdmin shows the key and a QR code of it and lets anyone with the
change permission enrol a device for any user. Here a device can only be seen and deleted
(a lost phone); enrolment is `manage.py staff_totp enrol` on the server.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django_otp.plugins.otp_totp.models import TOTPDevice


class StaffTotpDeviceAdmin(admin.ModelAdmin):
    list_display = ["user", "name", "confirmed", "created_at", "last_used_at"]
    list_filter = ["confirmed"]
    fields = ("user", "name", "confirmed", "created_at", "last_used_at")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


if admin.site.is_registered(TOTPDevice):
    admin.site.unregister(TOTPDevice)
admin.site.register(TOTPDevice, StaffTotpDeviceAdmin)
