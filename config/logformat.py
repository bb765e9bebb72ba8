"""``LOG_FORMAT=json``: one JSON object per log record, for a log shipper.

The handler's masking filter (config/logfilters.py) has already masked the message; a traceback is
masked here with the same patterns, since the filter only sees the message.
"""
from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

from config.logfilters import redact


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "process": record.process,
        }
        if record.exc_info:
            entry["exception"] = redact(self.formatException(record.exc_info))
        elif record.exc_text:
            entry["exception"] = redact(record.exc_text)
        return json.dumps(entry, default=str)
