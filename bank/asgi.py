"""ASGI entry point. Not used for mTLS endpoints: ASGI servers here hide the peer certificate."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bank.settings.prod")
application = get_asgi_application()
