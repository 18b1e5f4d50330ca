"""JSON text from users (a form field, a spreadsheet cell, a multipart field) parsed so
that its nesting can only ever be a validation error, never a ``RecursionError`` and a 500.

Python's decoder recurses once per level: ``"[" * 5000`` overflows the stack while
parsing, and a value that parses a little under the limit can still overflow whatever
walks it later (``str()``, ``json.dumps`` on save or on display) from deeper in the
stack. Nothing this application keeps is nested more than a few levels, so anything
deeper than ``MAX_DEPTH`` is refused, at whatever stack depth the text is parsed. Request
bodies go through ``sms.parsers.JSONParser``, which answers the same with the API's 400.
"""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.db import models
from django.forms.fields import InvalidJSONInput
from django.utils.translation import gettext_lazy as _
from django.views.defaults import bad_request
from rest_framework import serializers

# Column maps are one level deep, evaluation rules two, notification data a few.
MAX_DEPTH = 32
CONTAINERS = (dict, list)

TOO_DEEP = _("The JSON is nested too deeply.")
NUMBER_TOO_LONG = _("A number has too many digits.")


class JSONTooDeep(ValueError):
    """Nested deeper than ``MAX_DEPTH``: a ``ValueError``, like any other bad JSON."""

    def __init__(self) -> None:
        super().__init__(str(TOO_DEEP))


def loads(text: str | bytes, **kwargs) -> Any:
    """``json.loads``, raising ``JSONTooDeep`` for a value nested too deeply and
    ``JSONDecodeError`` for any other bad JSON, including an integer longer than Python
    converts (a bare ``ValueError`` from ``json.loads``, which callers catching only
    ``JSONDecodeError`` would let through)."""
    try:
        value = json.loads(text, **kwargs)
    except RecursionError:
        raise JSONTooDeep from None
    except json.JSONDecodeError:
        raise
    except ValueError:
        raise json.JSONDecodeError(str(NUMBER_TOO_LONG), "", 0) from None
    return checked_depth(value)


def checked_depth(value: Any) -> Any:
    """The value, or ``JSONTooDeep`` if its lists and objects nest deeper than
    ``MAX_DEPTH`` (walked without recursion, so any depth is safe to check)."""
    pending = [(value, 1)] if isinstance(value, CONTAINERS) else []
    while pending:
        node, depth = pending.pop()
        if depth > MAX_DEPTH:
            raise JSONTooDeep
        children = node.values() if isinstance(node, dict) else node
        pending.extend([(child, depth + 1) for child in children if isinstance(child, CONTAINERS)])
    return value


class JSONFormField(forms.JSONField):
    """Django's form ``JSONField``, where a value nested too deeply or a number too long
    is a form error (Django catches only ``JSONDecodeError``), shown back as typed."""

    def to_python(self, value):
        try:
            return checked_depth(super().to_python(value))
        except (RecursionError, JSONTooDeep):
            raise forms.ValidationError(TOO_DEEP, code="invalid") from None
        except ValueError:  # an integer longer than Python converts
            raise forms.ValidationError(NUMBER_TOO_LONG, code="invalid") from None

    def bound_data(self, data, initial):
        try:
            return checked_depth(super().bound_data(data, initial))
        except (RecursionError, ValueError):
            return InvalidJSONInput(data)


class JSONSerializerField(serializers.JSONField):
    """DRF's ``JSONField``, where a value nested too deeply is a 400 on the field: as text
    (a multipart or form field, which the field parses itself) or already parsed."""

    default_error_messages = {"too_deep": TOO_DEEP}

    def to_internal_value(self, data):
        try:
            return checked_depth(super().to_internal_value(data))
        except (RecursionError, JSONTooDeep):
            self.fail("too_deep")


# ``formfield_overrides`` of a ModelAdmin whose model has JSON fields.
ADMIN_FORMFIELDS = {models.JSONField: {"form_class": JSONFormField}}


class DeepInputMiddleware:
    """The last line for pages and the admin: input nested too deeply for a parser this
    module does not wrap (a form field of a third-party app) is a 400 page, not a 500.
    The API's exception handler (``sms.api``) answers the same in its error shape."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, RecursionError):
            return bad_request(request, exception)
        return None
