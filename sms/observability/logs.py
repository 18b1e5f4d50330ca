"""Log records as one JSON object per line, for a log collector to index.

``SMS_LOG_FORMAT=json`` (the default with ``DEBUG`` off) formats every record as::

    {"time": "2026-05-04T09:12:03.412Z", "level": "INFO", "logger": "sms.requests",
     "message": "GET /api/v1/courses/ 200 12.3 ms", "process": 4121,
     "request_id": "9f0c…", "user_id": 7, "method": "GET", "path": "/api/v1/courses/",
     "status": 200, "duration_ms": 12.3}

``request_id`` and ``user_id`` come from ``RequestContextFilter`` (the request being served
or, in a worker, the request that queued the task, with ``task`` and ``task_id``); the
request fields from the access line of ``request_id.RequestIdMiddleware``. A record with
an exception carries its traceback as ``exception``. ``plain`` (the developer run and the
tests) prints the message alone, as before.
"""

from __future__ import annotations

import datetime as dt
import json
import logging

from sms.observability.request_id import known_user_id, request_id_var, request_var, task_var

# Fields a record may carry in ``extra=`` that the JSON line includes as they are.
EXTRA_FIELDS = ("method", "path", "status", "duration_ms")


class RequestContextFilter(logging.Filter):
    """Adds ``request_id``, ``user_id``, ``task`` and ``task_id`` to every record (empty
    when there is none), so any format, plain or JSON, can show them."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        record.user_id = known_user_id(request_var.get())
        task = task_var.get()
        record.task, record.task_id = task if task else ("", "")
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "process": record.process,
        }
        for name in ("request_id", "user_id", "task", "task_id", *EXTRA_FIELDS):
            value = getattr(record, name, None)
            if value not in (None, ""):
                entry[name] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def logging_config(*, log_format: str, level: str) -> dict:
    """The ``LOGGING`` dict of ``sms/settings.py``: one console handler with the context
    filter, formatted as ``log_format`` (``json`` or ``plain``)."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_context": {"()": "sms.observability.logs.RequestContextFilter"}},
        "formatters": {
            "json": {"()": "sms.observability.logs.JsonFormatter"},
            "plain": {"format": "%(message)s"},
        },
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": "json" if log_format == "json" else "plain",
                "filters": ["request_context"],
            }
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {"django.db.backends": {"level": "WARNING"}},
    }
