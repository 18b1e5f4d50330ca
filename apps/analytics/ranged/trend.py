"""Per student: the trend over their grade items in the selection, from ``TrendSegment``.

Ranks are not additive, but a segment's items are consecutive in the student's order when
no other segment's order key falls between its first and last: then the sums concatenate
exactly (Σxy gains offset × Σy). Without dates, a student whose every counted course is
in scope has the trend stored with their result (``StudentResult``: the same items).
For the others each enrollment's one whole segment is tried first, then, for a student
whose courses run side by side (their whole segments interleave), the day segments. The
few students whose day segments interleave too (an item submitted after a later-assigned
one) are computed by the engine's own statement over their rows (``grading.trends``),
all in one query.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal

from apps.academics import grading
from apps.analytics.models import EnrollmentResult, StudentResult, TrendSegment
from apps.analytics.ranged.reading import Selection, fetch, students_wholly_in, unparsed_date
from apps.analytics.rollup_state import readable

Trend = tuple[str, Decimal | None]


@dataclass
class TrendStats:
    """How many students' trends came from stored segments and how many needed raw rows
    (their segments interleave); kept for the benchmarks."""

    from_segments: int = 0
    from_rows: int = 0


LAST_TREND_STATS = TrendStats()


def _result(n: int, sum_y: float, sum_xy: float) -> Trend:
    sum_x, sum_xx = n * (n + 1) // 2, n * (n + 1) * (2 * n + 1) // 6
    slope = grading.slope_from_sums(n, sum_x, sum_y, sum_xy, sum_xx) if n >= 2 else None
    return grading.label_for_slope(n, slope), slope


def trends(selection: Selection, *, whole_courses: bool, stored: bool = True) -> dict[int, Trend]:
    """``whole_courses``: every item of the courses in scope (no dates), read from the
    one whole-enrollment segment each, after the stored trend of the students wholly in
    scope (``stored``; False when the caller has already taken those students out); else
    the day segments of the range. While the segments are not current
    (``rollup_state``), every student's from the engine."""
    if not readable():
        return _live_trends(selection)
    if whole_courses:
        found = _stored_trends(selection) if stored else {}
        rest = (
            _of_students(selection, selection.pair_students - found.keys()) if found else selection
        )
        whole = rest.rows(TrendSegment.objects.order_by()).filter(whole=True)
        more, interleaved = _concatenate(whole, rest.keeps)
        found.update(more)
        if interleaved:
            # Courses taken side by side interleave as whole segments; their day
            # segments seldom do, so those are tried before the raw rows.
            students = _of_students(selection, interleaved)
            days = students.rows(TrendSegment.objects.order_by()).filter(whole=False)
            more, interleaved = _concatenate(days, students.keeps)
            found.update(more)
    else:
        days = selection.days(TrendSegment).filter(whole=False)
        found, interleaved = _concatenate(days, selection.keeps)
    if interleaved:
        found.update(
            grading.trends(
                student_ids=interleaved,
                course_ids=selection.course_list,
                date_from=selection.date_from,
                date_to=selection.date_to,
            )
        )
    LAST_TREND_STATS.from_segments = len(found) - len(interleaved)
    LAST_TREND_STATS.from_rows = len(interleaved)
    return found


def _stored_trends(selection: Selection) -> dict[int, Trend]:
    """The stored trend (``StudentResult``) of each student of the selection whose every
    counted course is in it: their items in scope are all their items."""
    if selection.pairs is None:
        return {}
    covered = students_wholly_in(selection.pairs)
    stored = StudentResult.objects.filter(student_id__in=covered).values_list(
        "student_id", "trend", "trend_slope"
    )
    return {pk: (trend, slope) for pk, trend, slope in stored}


def _of_students(selection: Selection, student_ids) -> Selection:
    """The selection narrowed to these of its students."""
    wanted = set(student_ids)
    pairs = selection.pairs
    if pairs is not None:
        pairs = frozenset(pair for pair in pairs if pair[0] in wanted)
    return replace(selection, student_ids=sorted(wanted), pairs=pairs)


def _concatenate(segments, keeps) -> tuple[dict[int, Trend], list[int]]:
    """Each student's trend from their segments concatenated in order, and the students
    whose segments interleave (left to the caller)."""
    rows = fetch(
        segments.annotate(t_first=unparsed_date("first_day"), t_last=unparsed_date("last_day"))
        .order_by("student_id", "first_day", "first_id")
        .values_list(
            "student_id",
            "course_id",
            "items",
            "sum_y",
            "sum_ry",
            "t_first",
            "first_id",
            "t_last",
            "last_id",
        )
    )
    found: dict[int, Trend] = {}
    interleaved: list[int] = []
    student_before = last_before = None
    n, sum_y, sum_xy, broken = 0, 0.0, 0.0, False

    def close() -> None:
        if broken:
            interleaved.append(student_before)
        else:
            found[student_before] = _result(n, sum_y, sum_xy)

    for student_id, course_id, items, y, ry, first_day, first_id, last_day, last_id in rows:
        if not keeps(student_id, course_id):
            continue
        if student_id != student_before:
            if student_before is not None:
                close()
            student_before, n, sum_y, sum_xy, broken = student_id, 0, 0.0, 0.0, False
        elif not last_before < (first_day, first_id):
            broken = True
        sum_xy += n * y + ry
        sum_y += y
        n += int(items)
        last_before = (last_day, last_id)
    if student_before is not None:
        close()
    return found, interleaved


def _live_trends(selection: Selection) -> dict[int, Trend]:
    """Each student's trend by the engine's statement over their counted items in the
    selection, as for the students whose segments interleave."""
    if selection.pairs is not None:
        students = set(selection.pair_students)
    else:
        rows = selection.restrict(EnrollmentResult.objects.order_by()).values_list("student_id")
        students = {student_id for (student_id,) in fetch(rows)}
    if not students:
        return {}
    return grading.trends(
        student_ids=students,
        course_ids=selection.course_list,
        date_from=selection.date_from,
        date_to=selection.date_to,
    )
