"""WSGI entry point (gunicorn in production: its workers expose the mTLS peer certificate)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bank.settings.prod")
application = get_wsgi_application()
