"""Structured JSON log lines, each carrying the request's interaction id.

The audit issue adds the redaction layer here; callers already log through the standard
library, so it will apply to them without change.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

from security.interaction import current_interaction_id

# Attributes every LogRecord has; anything else was passed in `extra=` and is logged as data.
_STANDARD_ATTRS = frozenset(
    logging.LogRecord("", 0, "", 0, "", None, None).__dict__.keys()
    | {"message", "asctime", "interaction_id"}
)


class InteractionIdFilter(logging.Filter):
    """Attach the current `x-fapi-interaction-id` (or None) to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        interaction_id = current_interaction_id()
        if interaction_id is None:
            # django.request logs after the middleware has returned: use the request's id.
            interaction_id = getattr(getattr(record, "request", None), "interaction_id", None)
        record.interaction_id = interaction_id
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, interaction id, extras."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "interaction_id": getattr(record, "interaction_id", None),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD_ATTRS:
                line[key] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str, separators=(",", ":"))
