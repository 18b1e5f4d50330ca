"""Analytics API (SPEC §4.1): thin views over ``apps.analytics.reports``.

Responses are cached per role scope, filters and data generation; the body's hash is
the ETag, and ``If-None-Match`` with the current one answers 304 without a body.
"""

from __future__ import annotations

import json
from urllib.parse import urlencode

from django.http import Http404, HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.renderers import JSONRenderer
from rest_framework.views import APIView

from apps.academics import scoping
from apps.academics.filtering import RecordFilterSerializer, parse_query
from apps.academics.grading import RISK_LEVELS
from apps.accounts.models import Role
from apps.analytics.caching import cached_body, entry_key
from apps.analytics.reports import report_file, report_payload
from apps.analytics.results import flush_pending
from apps.analytics.scope import scope_key
from apps.analytics.selectors import STUDENT_ORDERINGS, order_students
from apps.analytics.selectors.bands import BANDS, RISK_REASON_CODES, parse_list_filters
from apps.analytics.selectors.period_comparison import (
    COMPARE_CHOICES,
    cached_comparison,
    comparison_periods,
    parse_compare,
)
from sms.api import MAX_DB_ID

FILE_FORMATS = ("csv", "xlsx", "pdf")
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500


class JSONOrFileNegotiation(BaseContentNegotiation):
    """``?format=`` picks a file export here, not a DRF renderer: always negotiate JSON."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        renderer = renderers[0]
        return renderer, renderer.media_type


def report_schema(operation_id: str, summary: str, *extra: OpenApiParameter):
    """The OpenAPI description of one report: the shared filters, ``format`` and the body."""
    operation = extend_schema(
        operation_id=operation_id,
        summary=summary,
        parameters=[
            RecordFilterSerializer,
            OpenApiParameter("format", str, enum=["json", *FILE_FORMATS], default="json"),
            *extra,
        ],
        responses={
            200: OpenApiResponse(
                OpenApiTypes.OBJECT,
                description="The report as described in docs/analytics.md; with "
                "format=csv|xlsx|pdf, the same report as a file download.",
            ),
            304: OpenApiResponse(description="Not modified (If-None-Match matched the ETag)."),
        },
    )
    return extend_schema_view(get=operation)


PAGE_PARAMETERS = (
    OpenApiParameter("page", int),
    OpenApiParameter("page_size", int, description=f"At most {MAX_PAGE_SIZE}."),
    OpenApiParameter("ordering", str),
)


def _json_bytes(data: dict) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()


class AnalyticsView(APIView):
    renderer_classes = [JSONRenderer]
    content_negotiation_class = JSONOrFileNegotiation
    report = "dashboard"
    students_allowed = False

    def get(self, request, pk: int | None = None):
        if scoping.role_of(request.user) == Role.STUDENT and not self.students_allowed:
            raise PermissionDenied(_("Students can see only their own report."))
        if pk is not None and pk > MAX_DB_ID:
            raise Http404  # no database key holds it: nobody, not an overflow in the driver
        filters = parse_query(request.query_params)
        file_format = request.query_params.get("format", "json").lower()
        if file_format not in ("json", *FILE_FORMATS):
            raise ValidationError({"format": [_("Choose one of: json, csv, xlsx, pdf.")]})
        if file_format in FILE_FORMATS:
            payload = report_payload(self.report, request.user, filters, pk)
            content, content_type, filename = report_file(
                self.report,
                self.shape(payload, request, whole=True),
                filters,
                file_format,
                request.user,
                more_filters=self.file_filters(request),
            )
            response = HttpResponse(content, content_type=content_type)
            response["Content-Disposition"] = f'attachment; filename="{filename}"'
            return response
        flush_pending()  # this transaction's own writes first: they may start a new generation
        key = entry_key(
            "body",
            self.report,
            scope_key(request.user),
            filters.cache_token(),
            str(pk or ""),
            self.variant(request),
        )
        # The finished body is looked up first: a warm read never loads the whole payload.
        cached = cached_body(
            key,
            lambda: _json_bytes(
                self.shape(report_payload(self.report, request.user, filters, pk), request)
            ),
        )
        return self.respond(request, cached)

    def shape(self, payload: dict, request, whole: bool = False) -> dict:
        return payload

    def variant(self, request) -> str:
        return ""

    def file_filters(self, request) -> list[tuple[str, str]]:
        """The report's own filters (label, value) for a file's header."""
        return []

    @staticmethod
    def respond(request, cached) -> HttpResponse:
        if cached.etag in request.headers.get("If-None-Match", ""):
            response = HttpResponse(status=304)
        else:
            response = HttpResponse(cached.body, content_type="application/json")
        response["ETag"] = cached.etag
        response["Cache-Control"] = "private, no-cache"
        response["Vary"] = "Authorization, Cookie, Accept-Language"
        return response


COMPARE_PARAMETER = OpenApiParameter(
    "compare",
    str,
    enum=list(COMPARE_CHOICES),
    description="previous: add `comparison`, the average grade, pass rate, attendance rate "
    "and at-risk count (high + medium) of the current period against the previous one, "
    "with the change. Dates given: that range against the range of the same length "
    "ending the day before date_from; no dates: this month to date against the whole "
    "previous month; only date_from: date_from up to today; only date_to: its month up "
    "to date_to against the previous month. JSON only: files are unchanged.",
)


@report_schema("analytics_dashboard", "Dashboard figures", COMPARE_PARAMETER)
class DashboardView(AnalyticsView):
    """``?compare=previous`` adds ``comparison``; without it the body is unchanged, so
    the plain dashboard never pays for a second period."""

    report = "dashboard"

    def variant(self, request) -> str:
        compare = parse_compare(request.query_params)
        if compare is None:
            return ""
        periods = comparison_periods(parse_query(request.query_params))
        return f"compare={compare}|{periods.cache_token()}"

    def shape(self, payload: dict, request, whole: bool = False) -> dict:
        compare = parse_compare(request.query_params)
        if compare is None or whole:
            return payload
        filters = parse_query(request.query_params)
        return {**payload, "comparison": cached_comparison(request.user, filters, compare)}


@report_schema("analytics_grades", "Grade distribution and item statistics")
class GradesView(AnalyticsView):
    report = "grades"


@report_schema("analytics_attendance", "Attendance patterns")
class AttendanceView(AnalyticsView):
    report = "attendance"


@report_schema("analytics_courses_list", "Course effectiveness, every course in scope")
class CoursesView(AnalyticsView):
    report = "courses"


@report_schema("analytics_course_detail", "One course's effectiveness")
class CourseDetailView(AnalyticsView):
    report = "course"


@report_schema("analytics_student_detail", "One student's performance")
class StudentDetailView(AnalyticsView):
    report = "student"
    students_allowed = True


def _positive_int(request, name: str, default: int, maximum: int | None = None) -> int:
    raw = request.query_params.get(name, "")
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValidationError({name: [_("A whole number is required.")]}) from None
    if value < 1 or (maximum and value > maximum):
        raise ValidationError({name: [_("Out of range (1–%(max)s).") % {"max": maximum or "∞"}]})
    return value


STUDENT_LIST_PARAMETERS = (
    OpenApiParameter(
        "risk_level",
        str,
        many=True,
        enum=list(RISK_LEVELS),
        description="Only these risk levels (repeat it or give a comma list).",
    ),
    OpenApiParameter(
        "risk_reason",
        str,
        many=True,
        enum=list(RISK_REASON_CODES),
        description="Only students flagged for any of these reasons (repeat it or give "
        "a comma list).",
    ),
    OpenApiParameter(
        "band",
        str,
        many=True,
        enum=list(BANDS),
        description="Only students in these percentile bands of their average grade: "
        "bottom (at or below the 15th percentile, nearest rank) or top (at or above the "
        "85th) of the students the other filters select. Students without an average "
        "are in no band.",
    ),
)


@report_schema(
    "analytics_students_list",
    "Student performance list",
    *PAGE_PARAMETERS,
    *STUDENT_LIST_PARAMETERS,
)
class StudentsView(AnalyticsView):
    """The record filters choose the cohort (percentiles are ranked in it); the list's
    own filters (``risk_level``, ``risk_reason``, ``band``) then narrow its rows. Only
    this report reads them: the other reports ignore them."""

    report = "students"

    def _ordering(self, request) -> str:
        ordering = request.query_params.get("ordering", "name")
        if ordering.lstrip("-") not in STUDENT_ORDERINGS:
            raise ValidationError(
                {"ordering": [_("Order by one of: %s.") % ", ".join(STUDENT_ORDERINGS)]}
            )
        return ordering

    def variant(self, request) -> str:
        page = _positive_int(request, "page", 1)
        size = _positive_int(request, "page_size", DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
        rows = parse_list_filters(request.query_params).cache_token()
        return f"{self._ordering(request)}|{page}|{size}|{rows}"

    def file_filters(self, request) -> list[tuple[str, str]]:
        return parse_list_filters(request.query_params).as_display()

    def shape(self, payload: dict, request, whole: bool = False) -> dict:
        chosen = parse_list_filters(request.query_params).apply(payload["results"])
        rows = order_students(chosen, self._ordering(request))
        if whole:
            return {**payload, "results": rows}
        page = _positive_int(request, "page", 1)
        size = _positive_int(request, "page_size", DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
        start = (page - 1) * size
        if start and start >= len(rows):
            raise Http404(_("Invalid page."))
        return {
            "count": len(rows),
            "next": self._page_link(request, page + 1) if start + size < len(rows) else None,
            "previous": self._page_link(request, page - 1) if page > 1 else None,
            "generated_at": payload["generated_at"],
            "results": rows[start : start + size],
        }

    @staticmethod
    def _page_link(request, page: int) -> str:
        query = request.query_params.copy()
        query["page"] = str(page)
        pairs = [(name, value) for name in query for value in query.getlist(name)]
        return request.build_absolute_uri(request.path + "?" + urlencode(pairs))
