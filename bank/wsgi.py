"""WSGI entry point (gunicorn in production: its workers expose the mTLS peer certificate)."""

import os
from collections.abc import Callable, Iterable
from typing import Any

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bank.settings.prod")
_django = get_wsgi_application()

StartResponse = Callable[..., Any]


def application(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
    """Django, plus one thing only the server can do: after a 413 (a body refused unread:
    security/middleware.py), close the connection. Kept alive, gunicorn would first read and
    discard the refused body, at whatever pace its sender chooses; it ignores an application's
    `Connection: close`, but its start_response belongs to the response object, whose
    force_close() it honours. Other servers are left as they are (nginx refuses such bodies
    itself in production: deploy/nginx/bank.conf)."""

    def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        if status.startswith("413"):
            force_close = getattr(getattr(start_response, "__self__", None), "force_close", None)
            if callable(force_close):
                force_close()
        return start_response(status, headers, exc_info)

    return _django(environ, start)
