"""Every test here meets the real limits (tests/conftest.py real_rate_limits)."""

import pytest


@pytest.fixture(autouse=True)
def _real_limits(real_rate_limits):
    return real_rate_limits
