"""Every figure of SPEC §4.1, computed set-based for one scope and one set of filters.

The API, the pages and the exports all call these functions. Each takes an
``AnalyticsContext``.

Without a date filter, the engine's figures are read from the stored results
(``apps.analytics.models``, kept current on every write): whole-school figures are then
grouped reads of ~100,000 enrollment rows and ~10,000 student rows. Attendance by date,
weekday and period and grade-item statistics read the per-course aggregates
(``AttendanceSlot``, ``GradeBucket``) unless the request narrows to some students. With a
date filter, or per-student figures restricted to some courses (a teacher's scope,
``course``/``semester`` filters), the engine's finishing runs on stored data combined by
``apps.analytics.ranged`` (daily rollups, stored results, trend segments); the live
engine over raw rows is only the tests' reference (``AnalyticsContext(..., live=True)``).

Layout: ``context`` (``AnalyticsContext`` and the rows it reads), ``common`` (shared
helpers) and one module per figure family: ``dashboard_figures``, ``student_figures``,
``grade_figures``, ``attendance_figures`` and ``course_figures``. Import from
``apps.analytics.selectors``; the names below are its API.
"""

from apps.analytics.selectors.attendance_figures import attendance
from apps.analytics.selectors.common import RISK_LEVELS_FLAGGED, field, plain, reason_text
from apps.analytics.selectors.context import AnalyticsContext, StoredResult
from apps.analytics.selectors.course_figures import course_detail, courses
from apps.analytics.selectors.dashboard_figures import TOP_COURSES, dashboard
from apps.analytics.selectors.grade_figures import grades, letter_of
from apps.analytics.selectors.student_figures import (
    STUDENT_ORDERINGS,
    order_students,
    student_detail,
    students,
)

__all__ = [
    "AnalyticsContext",
    "RISK_LEVELS_FLAGGED",
    "STUDENT_ORDERINGS",
    "StoredResult",
    "TOP_COURSES",
    "attendance",
    "course_detail",
    "courses",
    "dashboard",
    "field",
    "grades",
    "letter_of",
    "order_students",
    "plain",
    "reason_text",
    "student_detail",
    "students",
]
