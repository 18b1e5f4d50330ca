"""REST framework pieces shared by every app's API: pagination and the error format.

Every error leaves the API as JSON a client can act on: validation problems as
``{field: [messages]}`` with status 400, conflicts with the stored data as 409, and
nothing that a bad request can trigger as a 500.
"""

from __future__ import annotations

import logging

from django import forms
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.db.models import ProtectedError, RestrictedError
from django.utils.translation import gettext as _
from rest_framework import exceptions, serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

from sms import outage

logger = logging.getLogger(__name__)

MAX_PAGE_SIZE = 500
# The largest id a database column holds (64-bit signed): a filter above it is a 400,
# never an OverflowError in the driver.
MAX_DB_ID = 2**63 - 1


class StandardPagination(PageNumberPagination):
    """``{"count", "next", "previous", "results"}`` with ``page`` and ``page_size`` (≤ 500)."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE


def validation_error_detail(error: DjangoValidationError) -> dict[str, list[str]]:
    """Django's ``{field: [messages]}``, with ``__all__`` renamed the way DRF names it."""
    if hasattr(error, "error_dict"):
        detail = {}
        for field, messages in error.message_dict.items():
            key = api_settings.NON_FIELD_ERRORS_KEY if field == "__all__" else field
            detail[key] = list(messages)
        return detail
    return {api_settings.NON_FIELD_ERRORS_KEY: list(error.messages)}


def _messages(detail) -> list[str]:
    """A field's messages as one flat list: list fields report ``{index: [...]}``."""
    if isinstance(detail, dict):
        found = [message for value in detail.values() for message in _messages(value)]
    elif isinstance(detail, list | tuple):
        found = [message for value in detail for message in _messages(value)]
    else:
        found = [str(detail)]
        # The CRUD API's filters word a bad number the way Django forms do; so does the rest.
        if found[0] == str(serializers.IntegerField.default_error_messages["invalid"]):
            found = [str(forms.IntegerField.default_error_messages["invalid"])]
    return list(dict.fromkeys(found))


def flat_errors(detail) -> dict[str, list[str]]:
    """``{field: [messages]}`` as every endpoint answers, whatever the field's type
    (a list field's per-item errors become one flat list)."""
    if not isinstance(detail, dict):
        return {api_settings.NON_FIELD_ERRORS_KEY: _messages(detail)}
    return {field: _messages(value) for field, value in detail.items()}


def choice_param(query, name: str, choices) -> str | None:
    """A query-string value that must be one of ``choices`` (None when absent or empty);
    anything else is a 400 ``{name: [message]}`` that lists the choices. The value never
    reaches the database unchecked (PostgreSQL refuses text holding a NUL character)."""
    value = (query.get(name) or "").strip()
    if not value:
        return None
    allowed = [str(choice) for choice in choices]
    if value not in allowed:
        raise exceptions.ValidationError(
            {name: [_("Choose one of: %(choices)s.") % {"choices": ", ".join(allowed)}]}
        )
    return value


def exception_handler(exc, context):
    """DRF's handler, plus the exceptions that services and the database raise."""
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(validation_error_detail(exc))
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, ProtectedError | RestrictedError):
        return Response(
            {"detail": _("This record is still referenced by other records and was not deleted.")},
            status=status.HTTP_409_CONFLICT,
        )
    elif isinstance(exc, outage.OUTAGE_ERRORS):
        outage.log_outage(exc)
        return Response(
            {"detail": outage.outage_message()},
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": str(outage.RETRY_AFTER_SECONDS)},
        )
    elif isinstance(exc, IntegrityError):
        logger.warning("Integrity error answered as a conflict: %s", exc)
        return Response(
            {"detail": _("The record conflicts with existing data.")},
            status=status.HTTP_409_CONFLICT,
        )
    return drf_exception_handler(exc, context)
