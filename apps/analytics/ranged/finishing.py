"""The engine's finishing (steps 2–7 of SPEC §2.1) over a range's sums, per enrollment."""

from __future__ import annotations

from apps.academics import grading
from apps.academics.models import Course
from apps.analytics.ranged.reading import Pair, Selection, enrollment_pairs
from apps.analytics.ranged.sums import attendance_counts, daily_sums, grade_sums, longest_runs

_NO_COUNTS = (0, 0, 0, 0)


def _courses(pairs: list[Pair]) -> dict[int, tuple]:
    course_ids = sorted({course_id for _student_id, course_id in pairs})
    rows = (
        Course.all_objects.order_by()
        .filter(id__in=course_ids)
        .values_list("id", "evaluation_rules", "absence_penalty", "credits", "course_code")
    )
    return {
        course_id: (grading.parse_rules(rules), penalty, credits, code)
        for course_id, rules, penalty, credits, code in rows
    }


def _totals(grades: dict, exams: dict) -> dict[str, grading.CategoryTotals]:
    to_decimal = grading.to_decimal
    totals = {
        key: grading.CategoryTotals(to_decimal(weighted), to_decimal(weights), items)
        for key, (weighted, weights, items) in grades.items()
    }
    for key, percentage in exams.items():
        totals[key] = grading.CategoryTotals(to_decimal(percentage), grading.ONE, 1)
    return totals


def ranged_results(selection: Selection) -> dict[Pair, grading.CourseResult]:
    """The engine's results of the selection's counted enrollments over its date range."""
    pairs = enrollment_pairs(selection)
    if not pairs:
        return {}
    courses = _courses(pairs)
    selection = selection.narrowed(pairs)
    grades, exams = grade_sums(selection)
    daily = daily_sums(selection)
    counts = attendance_counts(selection)
    runs = longest_runs(selection)
    to_decimal = grading.to_decimal
    results = {}
    for pair in sorted(pairs, key=lambda p: (p[0], courses[p[1]][3], p[1])):
        rules, penalty, credits, code = courses[pair[1]]
        sums = {key: (to_decimal(total), n) for key, (total, n) in daily.get(pair, {}).items()}
        results[pair] = grading.finalise_course_result(
            student_id=pair[0],
            course_id=pair[1],
            rules=rules,
            totals=grading.apply_daily(
                rules, _totals(grades.get(pair, {}), exams.get(pair, {})), sums
            ),
            attendance=grading.AttendanceCounts(*counts.get(pair, _NO_COUNTS)),
            absence_penalty=penalty,
            consecutive_absences=runs.get(pair, 0),
            credits=credits,
            course_code=code,
        )
    return results
