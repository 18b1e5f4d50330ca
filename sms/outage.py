"""A database that does not answer is an outage, not a bug: 503 with ``Retry-After``.

While PostgreSQL restarts (or SQLite stays locked past its busy timeout) every request
that reaches the database fails with ``OperationalError``. Clients, proxies and load
balancers understand 503 + ``Retry-After`` as "try again shortly"; a 500 says "broken".
The API's exception handler (``sms.api``) and this middleware, for the pages, answer the
same way. Requests started after the database is back succeed without any restart
(connections are opened per request, or health-checked when kept).
"""

from __future__ import annotations

import logging

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.utils.html import escape
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

OUTAGE_ERRORS = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 5


def outage_message() -> str:
    return _("The database is not answering; try again in a few seconds.")


def log_outage(error: Exception) -> None:
    logger.warning("Database unavailable, answered 503: %s", error)


class DatabaseOutageMiddleware:
    """Pages: a plain 503 (no template, which might itself need the database)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, OUTAGE_ERRORS):
            return None
        log_outage(exception)
        response = HttpResponse(
            f"<!doctype html><title>503</title><p>{escape(outage_message())}</p>",
            status=503,
        )
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
