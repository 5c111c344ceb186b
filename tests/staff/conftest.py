from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.staff.helpers import staff_user_create, totp_device_create


@pytest.fixture
def staff(db: Any) -> Any:
    return staff_user_create()


@pytest.fixture
def device(staff: Any) -> TOTPDevice:
    return totp_device_create(staff)


@pytest.fixture
def client() -> Client:
    # The admin is served over HTTPS in every real deployment; secure cookies need it here.
    return Client(enforce_csrf_checks=False, secure=True)
