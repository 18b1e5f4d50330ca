"""The analytics reports by name: how each is computed, cached, exported.

API views, pages and file exports all come through ``report_payload`` so a figure is
computed once per scope, filters and data generation, whoever asks for it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.academics.filtering import RecordFilters
from apps.analytics import exporting, exports, rollup_state, selectors
from apps.analytics.caching import cached_value, entry_key
from apps.analytics.results import flush_pending
from apps.analytics.scope import scope_key


@dataclass(frozen=True)
class Report:
    name: str
    title: str
    build: Callable
    export: Callable
    detail: bool = False


REPORTS = {
    report.name: report
    for report in (
        Report("dashboard", _("Analytics dashboard"), selectors.dashboard, exports.dashboard),
        Report("students", _("Students"), selectors.students, exports.students),
        Report(
            "student",
            _("Student report"),
            selectors.student_detail,
            exports.student_detail,
            detail=True,
        ),
        Report("grades", _("Grades"), selectors.grades, exports.grades),
        Report("attendance", _("Attendance"), selectors.attendance, exports.attendance),
        Report("courses", _("Courses"), selectors.courses, exports.courses),
        Report(
            "course",
            _("Course report"),
            selectors.course_detail,
            exports.course_detail,
            detail=True,
        ),
    )
}


def compute_report(
    name: str, user, filters: RecordFilters, pk: int | None = None, *, live: bool = False
) -> dict:
    """The report's data computed now (no cache); ``live=True`` runs the grade engine over
    the raw rows instead of the stored data (the reference for the equivalence tests).
    Rollups a rebuild empties meanwhile are not read half empty (``consistently``)."""
    return rollup_state.consistently(lambda: _compute(name, user, filters, pk, live))


def _compute(name: str, user, filters: RecordFilters, pk: int | None, live: bool) -> dict:
    report = REPORTS[name]
    if report.name == "student":
        if filters.students and pk not in filters.students:
            raise Http404
        # One student's figures need only that student's rows.
        filters = dataclasses.replace(filters, students=(pk,))
        return report.build(selectors.AnalyticsContext(user, filters, live=live), pk)
    if report.name == "course":
        context = selectors.AnalyticsContext(user, filters, focus_course=pk, live=live)
        return report.build(context, pk)
    return report.build(selectors.AnalyticsContext(user, filters, live=live))


def report_payload(name: str, user, filters: RecordFilters, pk: int | None = None) -> dict:
    """The report's data, from the cache when this scope and these filters were seen."""
    flush_pending()  # this transaction's own writes first: they may start a new generation
    key = entry_key("payload", name, scope_key(user), filters.cache_token(), str(pk or ""))
    return cached_value(key, lambda: compute_report(name, user, filters, pk))


def report_file(
    name: str,
    payload: dict,
    filters: RecordFilters,
    file_format: str,
    user,
    *,
    more_filters: Sequence[tuple[str, str]] = (),
) -> tuple[bytes, str, str]:
    """(content, content type, file name) of the report as CSV, XLSX or PDF;
    ``more_filters`` are the report's own filters (label, value) for the header."""
    report = REPORTS[name]
    sections, charts = report.export(payload)
    header = [
        (str(_("Report")), str(report.title)),
        (str(_("Generated at")), payload["generated_at"]),
        (str(_("Scope")), scope_key(user)),
        *filters.as_display(),
        *more_filters,
    ]
    stamp = timezone.localdate().isoformat()
    filename = f"analytics-{name}-{stamp}.{file_format}"
    if file_format == "csv":
        return exporting.to_csv(sections, header), exporting.CSV_CONTENT_TYPE, filename
    if file_format == "xlsx":
        return exporting.to_xlsx(sections, header), exporting.XLSX_CONTENT_TYPE, filename
    content = exporting.to_pdf(
        title=str(report.title), sections=sections, header=header, charts=charts
    )
    return content, exporting.PDF_CONTENT_TYPE, filename
