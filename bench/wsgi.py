"""The WSGI application of a benchmark server (bench/run.py starts gunicorn with it).

bank.wsgi's application under bank.settings.bench (which refuses to load outside a bench run),
with the layers named in BANK_BENCH_OFF switched off (bench/layers.py).
"""

from __future__ import annotations

import os

from django.core.exceptions import ImproperlyConfigured

if os.environ.get("DJANGO_SETTINGS_MODULE") != "bank.settings.bench":
    raise ImproperlyConfigured(
        "bench/wsgi.py serves only DJANGO_SETTINGS_MODULE=bank.settings.bench.")

from bank.wsgi import application
from bench.layers import layers_switch_off

layers_switch_off()

__all__ = ["application"]
