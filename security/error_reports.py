"""What Django's error reports may show of the settings (DEBUG pages, mailed reports)."""

from __future__ import annotations

import re

from django.views.debug import SafeExceptionReporterFilter


class SecretSettingsFilter(SafeExceptionReporterFilter):
    """Django's filter with a wider net: PINs (the HSM's), URLs with credentials in them
    (EMAIL_URL, DATABASE_URL, broker URLs) and cookies are hidden too."""

    hidden_settings = re.compile(
        "API|AUTH|TOKEN|KEY|SECRET|PASS|SIGNATURE|PIN|_URL|COOKIE|DATABASES|CACHES",
        flags=re.IGNORECASE,
    )
