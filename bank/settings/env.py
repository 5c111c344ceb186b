"""The one place settings read the environment (STYLE.md §8).

`.env` files are read only when DJANGO_READ_DOT_ENV_FILE is set, so a stray file in the
working directory cannot change a production configuration.
"""

from __future__ import annotations

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()

if env.bool("DJANGO_READ_DOT_ENV_FILE", default=False):
    env.read_env(str(BASE_DIR / ".env"))


def mandatory(name: str) -> str:
    """Return the environment variable `name`, or refuse to start.

    Used by prod.py for secrets: a missing or empty secret must stop the process at import
    time rather than fall back to a default that someone could guess.
    """
    value = env.str(name, default="")
    if not value.strip():
        raise ImproperlyConfigured(f"Set the {name} environment variable; it has no default.")
    return value
