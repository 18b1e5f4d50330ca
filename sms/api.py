"""REST framework pieces shared by every app's API: pagination and the error format.

Every list is paged by number with a bounded count (``StandardPagination``); the big ones
(attendance, grades, daily performance) can also be walked by cursor
(``CursorOrPagePagination``), whose pages cost the same at any depth.

Every error leaves the API as JSON a client can act on: validation problems as
``{field: [messages]}`` with status 400, conflicts with the stored data as 409, and
nothing that a bad request can trigger as a 500.
"""

from __future__ import annotations

import logging
import zlib
from dataclasses import dataclass
from functools import cached_property

from django import forms
from django.conf import settings
from django.core import signing
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.db import IntegrityError, connections
from django.db.models import BooleanField, F, Func, ProtectedError, QuerySet, RestrictedError, Value
from django.utils.encoding import force_str
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import exceptions, serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.utils.urls import remove_query_param, replace_query_param
from rest_framework.views import exception_handler as drf_exception_handler

from sms import jsonsafe, outage

logger = logging.getLogger(__name__)

MAX_PAGE_SIZE = 500
# The largest id a database column holds (64-bit signed): a filter above it is a 400,
# never an OverflowError in the driver.
MAX_DB_ID = 2**63 - 1


def with_unique_order(queryset: QuerySet) -> QuerySet:
    """The queryset in its order, then by primary key where that order has ties.

    Each page is its own query; rows that tie (attendance of two courses at the same date,
    period and student) may come in another order each time, so OFFSET pages of such an
    order could repeat one row and skip another. The primary key as the last key makes the
    order strict."""
    query, meta = queryset.query, queryset.model._meta
    ordering = list(query.order_by or (meta.ordering if query.default_ordering else ()))
    names = {field.lstrip("-") for field in ordering if isinstance(field, str)}
    if names & {"pk", meta.pk.name}:
        return queryset
    return queryset.order_by(*ordering, "pk")


class BoundedPaginator(Paginator):
    """Django's paginator with a count that stops at ``cap``.

    Counting the rows of a long list costs as much as reading them all, on every page. Here
    the count reads at most ``cap + 1`` rows (``SELECT COUNT(*) FROM (SELECT … LIMIT cap + 1)``):
    at or below the cap it is the exact count, as before; above it ``count`` is the cap and
    ``count_is_exact`` is false. Pages beyond the cap are still served (an open-ended page
    looks one row ahead to know whether there is a next one), so a client that follows the
    ``next`` links still reaches every row; only ``page=last`` needs an exact count.
    """

    def __init__(self, object_list, per_page, *, cap: int, ids_first: bool = False, **kw) -> None:
        if isinstance(object_list, QuerySet):
            object_list = with_unique_order(object_list)
        super().__init__(object_list, per_page, **kw)
        self.cap = cap
        self.ids_first = ids_first and isinstance(object_list, QuerySet)

    @cached_property
    def counted(self) -> int:
        """The number of rows, up to ``cap + 1``."""
        if isinstance(self.object_list, QuerySet):
            # Ordering and select_related would only slow the subquery down.
            return self.object_list.order_by()[: self.cap + 1].count()
        return min(len(self.object_list), self.cap + 1)

    @property
    def count_is_exact(self) -> bool:
        return self.counted <= self.cap

    @cached_property
    def count(self) -> int:
        return min(self.counted, self.cap)

    def validate_number(self, number) -> int:
        if self.count_is_exact:
            return super().validate_number(number)
        try:
            number = int(number)
        except (TypeError, ValueError):
            raise PageNotAnInteger(self.error_messages["invalid_page"]) from None
        if number < 1:
            raise EmptyPage(self.error_messages["min_page"])
        if (number - 1) * self.per_page > MAX_DB_ID - self.per_page:
            raise EmptyPage(self.error_messages["no_results"])  # no database holds that many
        return number

    def page(self, number) -> Page:
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        if self.count_is_exact:
            rows = self.rows(bottom, min(bottom + self.per_page, self.count))
            return self._get_page(rows, number, self)
        rows = self.rows(bottom, bottom + self.per_page + 1)
        if not rows:
            raise EmptyPage(self.error_messages["no_results"])
        return OpenEndedPage(rows[: self.per_page], number, self, more=len(rows) > self.per_page)

    def rows(self, bottom: int, top: int) -> list:
        """The rows from ``bottom`` to ``top``: in one query, or, where that pays
        (``reads_ids_first``), the page's ids first and then those rows."""
        if not self.reads_ids_first():
            return list(self.object_list[bottom:top])
        ids = list(self.object_list.values_list("pk", flat=True)[bottom:top])
        found = self.object_list.order_by().in_bulk(ids)
        return [found[pk] for pk in ids if pk in found]  # one deleted meanwhile is left out

    def reads_ids_first(self) -> bool:
        """Whether to find the page's ids without the joins of ``select_related`` before
        reading its rows with them. The skipped rows of a deep page are then never joined,
        and SQLite, which starts the joined query from the smaller table and sorts every
        row whatever the filter, walks the date index instead (page 1 of 200,000 attendance
        rows: 0.8–2.4 s of SQL → 10 ms). PostgreSQL plans the joined query well: there the
        second query pays only past the cap."""
        if not self.ids_first:
            return False
        return not self.count_is_exact or connections[self.object_list.db].vendor == "sqlite"


class OpenEndedPage(Page):
    """A page of a list longer than the count cap: whether another page follows is known
    from the one row read ahead, not from the number of pages."""

    def __init__(self, object_list, number, paginator, *, more: bool) -> None:
        super().__init__(object_list, number, paginator)
        self.more = more

    def has_next(self) -> bool:
        return self.more

    def end_index(self) -> int:
        return self.start_index() + len(self) - 1


class StandardPagination(PageNumberPagination):
    """``{"count", "count_is_exact", "next", "previous", "results"}`` with ``page`` and
    ``page_size`` (≤ 500); ``count`` stops at ``SMS_API_COUNT_CAP`` (``BoundedPaginator``)."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE

    ids_first = False

    def django_paginator_class(self, object_list, per_page):
        return BoundedPaginator(
            object_list, per_page, cap=settings.SMS_API_COUNT_CAP, ids_first=self.ids_first
        )

    def get_page_number(self, request, paginator):
        number = request.query_params.get(self.page_query_param) or 1
        if number in self.last_page_strings and not paginator.count_is_exact:
            raise exceptions.NotFound(
                _(
                    "This list has more than %(cap)s rows, so its last page is not counted: "
                    "follow the next links, or order it the other way round."
                )
                % {"cap": paginator.cap}
            )
        return super().get_page_number(request, paginator)

    def get_paginated_response(self, data):
        return Response(
            {
                "count": self.page.paginator.count,
                "count_is_exact": self.page.paginator.count_is_exact,
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema):
        response = super().get_paginated_response_schema(schema)
        response["properties"]["count"]["description"] = _(
            "The number of rows, counted up to SMS_API_COUNT_CAP (default 10,000)."
        )
        response["properties"]["count_is_exact"] = {
            "type": "boolean",
            "description": _("False when the list has more rows than `count`."),
        }
        return response

    def get_html_context(self):
        if self.page.paginator.count_is_exact:
            return super().get_html_context()
        # The browsable API's page numbers need the last page: previous and next only.
        return {
            "previous_url": self.get_previous_link(),
            "next_url": self.get_next_link(),
            "page_links": [],
        }


# --- Keyset (cursor) pagination for the big lists ---------------------------------------
CURSOR_SALT = "sms.api.cursor"
MAX_CURSOR_CHARS = 1000


class RowComparison(Func):
    """``(a, b) < (x, y)``: the row-value comparison that lets a keyset page start inside an
    index (PostgreSQL and SQLite ≥ 3.15 both read it as an index range), where the
    equivalent ``a < x OR (a = x AND b < y)`` is a filter over every row before it."""

    output_field = BooleanField()

    def __init__(self, columns, values, operator: str) -> None:
        self.width = len(columns)
        self.operator = operator
        super().__init__(*(F(column) for column in columns), *(Value(value) for value in values))

    def as_sql(self, compiler, connection, **extra_context):
        parts, params = [], []
        for expression in self.get_source_expressions():
            sql, expression_params = compiler.compile(expression)
            parts.append(sql)
            params.extend(expression_params)
        left, right = ", ".join(parts[: self.width]), ", ".join(parts[self.width :])
        return f"({left}) {self.operator} ({right})", params


@dataclass(frozen=True)
class Keyset:
    """One ordering a list can be walked in by cursor: ``ordering`` as the client names it,
    and the unique key behind it, e.g. ``"-date"`` → ``("-date", "-id")``. All the key's
    columns run the same way and none may be NULL."""

    ordering: str
    key: tuple[str, ...]

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(name.lstrip("-") for name in self.key)

    @property
    def descending(self) -> bool:
        return self.key[0].startswith("-")

    def values_of(self, row) -> list[str]:
        return [row._meta.get_field(column).value_to_string(row) for column in self.columns]

    def parse(self, model, values) -> list | None:
        """The position a cursor names, each value checked against its column; None if any
        is not what that column holds."""
        if not isinstance(values, list) or len(values) != len(self.columns):
            return None
        parsed = []
        for column, value in zip(self.columns, values, strict=True):
            if not isinstance(value, str):
                return None
            try:
                value = model._meta.get_field(column).to_python(value)
            except (DjangoValidationError, ValueError, TypeError, OverflowError):
                return None
            if value is None or (isinstance(value, int) and not -MAX_DB_ID <= value <= MAX_DB_ID):
                return None
            parsed.append(value)
        return parsed

    def page_after(self, queryset, position, *, backwards: bool):
        """Rows after ``position`` (before it, nearest first, when ``backwards``)."""
        descending = self.descending != backwards
        if position is not None:
            operator = "<" if descending else ">"
            queryset = queryset.filter(RowComparison(self.columns, position, operator))
        return queryset.order_by(*(f"-{c}" if descending else c for c in self.columns))


def keysets(*columns: str) -> dict[str, Keyset]:
    """The cursor orderings of a list whose rows are told apart by ``columns`` (the last one
    unique, e.g. ``"date", "id"``): each leading column either way round, the first one
    listed being the default."""
    found = {}
    for start in range(len(columns)):
        for sign in ("-", ""):
            key = tuple(sign + column for column in columns[start:])
            found[key[0]] = Keyset(ordering=key[0], key=key)
    return found


class CursorOrPagePagination(StandardPagination):
    """Page numbers as every list has them, or, with ``?cursor=``, keyset pages.

    A keyset page reads ``page_size + 1`` rows from a position in an index, whatever the
    depth, and never counts: ``{"next", "previous", "results"}``. Start with an empty
    ``cursor=``, then follow ``next``. The cursor is opaque and signed with the site's key:
    a changed one is a 400 ``{"cursor": [...]}``. It holds a position and the ordering, not
    the user or the filters: each request is scoped to whoever sends it. The view lists the
    orderings it supports in ``cursor_orderings`` (``keysets(...)``); any other
    ``ordering`` is a 400 in cursor mode.
    """

    cursor_query_param = "cursor"
    ids_first = True  # a page's ids, then its rows, where that pays (BoundedPaginator.rows)
    cursor_query_description = gettext_lazy(
        "Keyset pagination: empty for the first page, then the value from `next` or "
        "`previous`. The response then has no `count`."
    )

    def paginate_queryset(self, queryset, request, view=None):
        self.keyset = None
        if self.cursor_query_param not in request.query_params:
            return super().paginate_queryset(queryset, request, view)
        self.request = request
        self.keyset = self._keyset(request, view)
        token = request.query_params[self.cursor_query_param]
        start, position, backwards = self._decode(token, queryset.model)
        size = self.get_page_size(request)
        rows = list(self.keyset.page_after(queryset, position, backwards=backwards)[: size + 1])
        more = len(rows) > size  # backwards: more rows before these; forwards: after them
        rows = rows[:size]
        if backwards:
            rows.reverse()
        first = self.keyset.values_of(rows[0]) if rows else start
        last = self.keyset.values_of(rows[-1]) if rows else start
        # The side a request came from has rows (it started from one of them).
        has_previous = more if backwards else start is not None
        has_next = start is not None if backwards else more
        self.cursor_links = (
            self._link(first, backwards=True) if has_previous else None,
            self._link(last, backwards=False) if has_next else None,
        )
        return rows

    def get_paginated_response(self, data):
        if self.keyset is None:
            return super().get_paginated_response(data)
        previous, following = self.cursor_links
        return Response({"next": following, "previous": previous, "results": data})

    def get_paginated_response_schema(self, schema):
        response = super().get_paginated_response_schema(schema)
        response["required"] = ["results"]
        response["description"] = _(
            "With `cursor`, the same without `count` and `count_is_exact`; `next` and "
            "`previous` then carry cursors."
        )
        return response

    def get_schema_operation_parameters(self, view):
        return [
            *super().get_schema_operation_parameters(view),
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": force_str(self.cursor_query_description),
                "schema": {"type": "string"},
            },
        ]

    def get_html_context(self):
        if self.keyset is None:
            return super().get_html_context()
        previous, following = self.cursor_links
        return {"previous_url": previous, "next_url": following, "page_links": []}

    def _keyset(self, request, view) -> Keyset:
        orderings: dict[str, Keyset] = view.cursor_orderings
        asked = (request.query_params.get(api_settings.ORDERING_PARAM) or "").strip()
        keyset = orderings.get(asked or next(iter(orderings)))
        if keyset is None:
            choices = ", ".join(orderings)
            raise exceptions.ValidationError(
                {
                    api_settings.ORDERING_PARAM: [
                        _("With a cursor, order by one of: %(choices)s.") % {"choices": choices}
                    ]
                }
            )
        return keyset

    def _decode(self, token: str, model) -> tuple[list[str] | None, list | None, bool]:
        """A cursor's values as written, the position they name, and its direction;
        ``(None, None, False)`` for an empty cursor (the start of the list)."""
        if not token:
            return None, None, False
        invalid = exceptions.ValidationError({self.cursor_query_param: [_("Invalid cursor.")]})
        if len(token) > MAX_CURSOR_CHARS:
            raise invalid
        try:
            payload = signing.Signer(salt=CURSOR_SALT).unsign_object(token)
        except (signing.BadSignature, ValueError, TypeError, UnicodeError, zlib.error):
            raise invalid from None
        # A cursor made for another ordering (or another list) is refused too.
        if not isinstance(payload, dict) or payload.get("o") != self.keyset.ordering:
            raise invalid
        values, backwards = payload.get("p"), payload.get("b")
        position = self.keyset.parse(model, values)
        if position is None or not isinstance(backwards, bool):
            raise invalid
        return values, position, backwards

    def _link(self, values: list[str], *, backwards: bool) -> str:
        """The URL of the rows after (or before) the row whose key is ``values``."""
        token = signing.Signer(salt=CURSOR_SALT).sign_object(
            {"o": self.keyset.ordering, "p": values, "b": backwards}
        )
        url = remove_query_param(self.request.build_absolute_uri(), self.page_query_param)
        return replace_query_param(url, self.cursor_query_param, token)


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
    elif isinstance(exc, exceptions.ValidationError) and isinstance(exc.detail, list):
        # A bare list (DRF's search filter refusing a NUL character) in the usual shape.
        exc = exceptions.ValidationError({api_settings.NON_FIELD_ERRORS_KEY: exc.detail})
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
    elif isinstance(exc, RecursionError):
        # A field DRF parses itself (JSON in a multipart form) nested past Python's stack.
        return Response({"detail": jsonsafe.TOO_DEEP}, status=status.HTTP_400_BAD_REQUEST)
    elif isinstance(exc, IntegrityError):
        logger.warning("Integrity error answered as a conflict: %s", exc)
        return Response(
            {"detail": _("The record conflicts with existing data.")},
            status=status.HTTP_409_CONFLICT,
        )
    return drf_exception_handler(exc, context)
