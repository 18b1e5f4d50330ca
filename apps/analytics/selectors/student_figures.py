"""Student figures: the student list (with its orderings) and one student's report."""

from __future__ import annotations

import functools
import json
from decimal import Decimal

from django.conf import settings
from django.db.models import FloatField, TextField
from django.db.models.functions import Cast
from django.http import Http404
from django.utils import translation

from apps.academics import grading
from apps.analytics import stats
from apps.analytics.ranged.reading import fetch, of_listed_students
from apps.analytics.selectors.bands import add_percentiles
from apps.analytics.selectors.common import (
    field,
    plain,
    reason_text,
)
from apps.analytics.selectors.comparison import add_comparisons
from apps.analytics.selectors.context import AnalyticsContext

STUDENT_ORDERINGS = (
    "id",
    "student_id",
    "name",
    "class_division",
    "study_year",
    "average_grade",
    "gpa",
    "attendance_rate",
    "unexcused_absences",
    "trend",
    "risk_level",
    "risk_score",
    "percentile",
)
_RISK_ORDER = {level: rank for rank, level in enumerate(grading.RISK_LEVELS)}


def _reason_codes(reasons) -> list[str]:
    """The reasons' codes (``average_below_50``, …): what ``risk_reason`` filters on."""
    return [code for code in (field(reason, "code") for reason in reasons or ()) if code]


def _student_row(student: dict, summary: grading.StudentSummary | None) -> dict:
    """One student's row from their summary (None: nothing in scope). Attributes are read
    directly: a school's list builds thousands of these."""
    row = _identity(student)
    if summary is None:
        return row | _no_summary()
    risk, num = summary.risk, stats.num
    reasons = risk.reasons
    return row | {
        "average_grade": num(summary.average_grade),
        "gpa": num(summary.gpa),
        "attendance_rate": num(summary.attendance_rate),
        "unexcused_absences": sum(course.unexcused_absences for course in summary.courses),
        "trend": summary.trend,
        "risk_level": risk.level,
        "risk_score": risk.score,
        "risk_reasons": [reason_text(reason) for reason in reasons],
        "risk_reason_codes": _reason_codes(reasons),
    }


def _identity(student: dict) -> dict:
    """Who a row is about: the columns every student row starts with."""
    return {
        "id": student["id"],
        "student_id": student["student_id"],
        "name": f"{student['last_name']} {student['first_name']}",
        "class_division": student["class_division"],
        "study_year": student["study_year"],
    }


def _no_summary() -> dict:
    """The figures of a student with nothing in scope (new lists each time: rows are
    the caller's to change)."""
    return {
        "average_grade": None,
        "gpa": None,
        "attendance_rate": None,
        "unexcused_absences": 0,
        "trend": None,
        "risk_level": None,
        "risk_score": None,
        "risk_reasons": [],
        "risk_reason_codes": [],
    }


def _reasons_afresh(average: float | None, rate: float | None, trend: str) -> tuple:
    """The sentences and codes of the engine's reasons in the request's language, from
    the stored amounts (2 decimals, read as floats) as the engine's Decimals again."""

    def amount(value):
        return None if value is None else Decimal(repr(value)).quantize(Decimal("0.01"))

    reasons = grading.risk_assessment(amount(average), amount(rate), trend).reasons
    return [reason_text(reason) for reason in reasons], _reason_codes(reasons)


@functools.lru_cache(maxsize=4096)
def _stored_reasons(reasons_json: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The sentences and codes of stored reasons, by their JSON text: a school's students
    share a few dozen lists of reasons, so each is read and worded once."""
    reasons = json.loads(reasons_json) if reasons_json else []
    return tuple(reason_text(reason) for reason in reasons), tuple(_reason_codes(reasons))


def _stored_student_rows(context: AnalyticsContext, student_ids=None) -> list[dict]:
    """The stored student results, one row per student in scope (of these only)."""
    results, students = context.student_results, context.students
    if student_ids is not None:
        results = of_listed_students(results, student_ids)  # kept by id below
        students = {pk: student for pk, student in students.items() if pk in student_ids}
    # Plain tuples, numbers as floats and the reasons as their JSON text: 10,000 rows
    # through the ORM's converters and a JSON parse each took a third of the list's time.
    stored = {
        row[0]: row
        for row in fetch(
            results.values_list(
                "student_id",
                Cast("average_grade", FloatField()),
                Cast("gpa", FloatField()),
                Cast("attendance_rate", FloatField()),
                "unexcused_absences",
                "trend",
                "risk_level",
                "risk_score",
                Cast("risk_reasons", TextField()),
            )
        )
    }
    # Stored in the site's language (see results.py); any other is rendered afresh.
    same_language = translation.get_language() == settings.LANGUAGE_CODE
    rows = []
    for pk, student in students.items():
        _pk, average, gpa, rate, unexcused, trend, level, score, reasons = stored.get(
            pk, (pk, None, None, None, 0, None, None, None, "[]")
        )
        if trend and not same_language:
            texts, codes = _reasons_afresh(average, rate, trend)
        else:
            texts, codes = _stored_reasons(reasons)
        rows.append(
            _identity(student)
            | {
                "average_grade": stats.num(average),
                "gpa": stats.num(gpa),
                "attendance_rate": stats.num(rate),
                "unexcused_absences": unexcused,
                "trend": trend,
                "risk_level": level,
                "risk_score": score,
                "risk_reasons": list(texts),
                "risk_reason_codes": list(codes),
            }
        )
    return rows


def students(context: AnalyticsContext) -> dict:
    if context.stored_students:
        rows = _stored_student_rows(context)
    else:
        covered = context.wholly_in_scope
        stored = (
            {row["id"]: row for row in _stored_student_rows(context, covered)} if covered else {}
        )
        rows = [
            stored[pk] if pk in covered else _student_row(student, context.standings.get(pk))
            for pk, student in context.students.items()
        ]
    return {"generated_at": context.generated_at.isoformat(), "results": add_percentiles(rows)}


def order_students(rows: list[dict], ordering: str) -> list[dict]:
    """Sort by one field (prefix '-' for descending); missing values always go last."""
    descending = ordering.startswith("-")
    name = ordering.lstrip("-")

    def value(row):
        item = row.get(name)
        return _RISK_ORDER.get(item, -1) if name == "risk_level" else item

    present = [row for row in rows if row.get(name) is not None]
    missing = [row for row in rows if row.get(name) is None]
    present.sort(key=lambda row: (value(row), row["name"], row["id"]), reverse=descending)
    return present + missing


def _course_result_row(result, course: dict) -> dict:
    return {
        "course_id": result.course_id,
        "course_code": course["course_code"],
        "course_name": course["course_name"],
        "final_grade": stats.num(result.final_grade),
        "gpa": stats.num(field(result, "gpa")),
        "greek_grade": stats.num(field(result, "greek_grade")),
        "letter_grade": field(result, "letter_grade"),
        "total_weight_used": stats.num(field(result, "total_weight_used")),
        "category_breakdown": plain(field(result, "category_breakdown", {}) or {}),
        "attendance_rate": stats.num(field(result, "attendance_rate")),
        "unexcused_absences": field(result, "unexcused_absences", 0),
        "absence_deduction": stats.num(field(result, "absence_deduction")),
        "consecutive_absences": field(result, "consecutive_absences", 0),
        "passed": field(result, "passed"),
        "reason": field(result, "reason"),
    }


def student_detail(context: AnalyticsContext, student_pk: int) -> dict:
    """One student's summary; 404 when the student is outside the scope or the filters."""
    student = context.students.get(student_pk)
    if student is None:
        raise Http404
    summary = context.summaries.get(student_pk)
    risk = field(summary, "risk")
    courses = [
        _course_result_row(result, context.courses[result.course_id])
        for result in field(summary, "courses", []) or []
        if result.course_id in context.courses
    ]
    courses.sort(key=lambda row: row["course_code"])
    add_comparisons(context, student_pk, courses)
    return {
        "generated_at": context.generated_at.isoformat(),
        "student": {
            "id": student["id"],
            "student_id": student["student_id"],
            "name": f"{student['last_name']} {student['first_name']}",
            "first_name": student["first_name"],
            "last_name": student["last_name"],
            "class_division": student["class_division"],
            "study_year": student["study_year"],
        },
        "gpa": stats.num(field(summary, "gpa")),
        "average_grade": stats.num(field(summary, "average_grade")),
        "attendance_rate": stats.num(field(summary, "attendance_rate")),
        "trend": field(summary, "trend"),
        "risk": {
            "level": field(risk, "level"),
            "score": field(risk, "score"),
            "reasons": [reason_text(reason) for reason in field(risk, "reasons", []) or []],
        },
        "courses": courses,
    }
