"""Per-enrollment sums of a date range: one grouped read per rollup table for the whole
selection (never per course or per student), added up by category key in Python.

Categories are grouped raw in SQL and mapped to the engine's keys here (a few dozen
distinct names), so "Final", "Final Exam" and "Τελική Εξέταση" add up as the engine adds
them. Floats stay floats until the engine's finishing (``to_decimal`` of each SQL sum, as
the live bulk engine does with its own SQL sums).
"""

from __future__ import annotations

from collections import defaultdict

from apps.academics import grading
from apps.analytics.models import AttendanceDay, DailyPerformanceDay, GradeDay
from apps.analytics.ranged.reading import Pair, Selection, fetch, kept, summed, unparsed_date

# Per pair and category key: [weighted sum, weight sum, items] (floats and an int).
GradeSums = dict[Pair, dict[str, list]]


# What a grade-day row of a raw category adds to: a category's sums, the latest exams, or
# nothing (the attendance rule's average is the attendance rate).
_SUMS, _EXAMS, _IGNORED = range(3)


class _Kinds(dict):
    """Raw category → (the engine's key, ``_SUMS`` / ``_EXAMS`` / ``_IGNORED``), computed
    once per name."""

    def __missing__(self, raw: str) -> tuple[str, int]:
        key = grading.category_key(raw)
        if key in grading.EXAM_KEYS:
            kind = _EXAMS
        elif key == grading.ATTENDANCE_KEY:
            kind = _IGNORED
        else:
            kind = _SUMS
        self[raw] = found = (key, kind)
        return found


def grade_sums(selection: Selection) -> tuple[GradeSums, dict[Pair, dict[str, float]]]:
    """Weighted sums of the non-exam categories, and the latest exam per exam key. Every
    pair with a grade item in the range has its (maybe empty) entry in the sums, even
    when no category sum counts it: the pairs with records are those with a trend."""
    kinds = _Kinds()
    sums: GradeSums = defaultdict(dict)
    days = selection.days(GradeDay)
    rows = summed(
        selection,
        days,
        ("student_id", "course_id", "category"),
        floats=("weighted_sum", "weight_sum"),
        ints=("items",),
    )
    exam_raw: set[str] = set()
    for student_id, course_id, raw, weighted, weights, items in kept(rows, selection):
        key, kind = kinds[raw]
        pair = sums[(student_id, course_id)]
        if kind != _SUMS:
            if kind == _EXAMS:
                exam_raw.add(raw)
            continue
        if not items:
            continue
        if key in pair:  # two raw names of one key: added as the engine adds them
            part = pair[key]
            part[0] = grading.to_decimal(part[0]) + grading.to_decimal(weighted)
            part[1] = grading.to_decimal(part[1]) + grading.to_decimal(weights)
            part[2] += items
        else:
            pair[key] = [weighted, weights, items]
    return sums, _latest_exams(selection, days, exam_raw, kinds)


def _latest_exams(
    selection: Selection, days, exam_raw: set[str], kinds: _Kinds
) -> dict[Pair, dict[str, float]]:
    """Per pair and exam key, the percentage of the most recent sitting in the range: the
    latest order key per (pair, raw category) and day is stored, the latest of those
    (and of a key's names) is kept here."""
    if not exam_raw:
        return {}
    latest: dict[tuple, tuple] = {}
    rows = fetch(
        days.filter(category__in=sorted(exam_raw))
        .annotate(g_latest=unparsed_date("latest_day"))
        .values_list(
            "student_id", "course_id", "category", "g_latest", "latest_id", "latest_percentage"
        )
    )
    for student_id, course_id, raw, day, grade_id, percentage in kept(rows, selection):
        slot = (student_id, course_id, kinds[raw][0])
        order = (day, grade_id)
        if slot not in latest or order > latest[slot][0]:
            latest[slot] = (order, percentage)
    exams: dict[Pair, dict[str, float]] = defaultdict(dict)
    for (student_id, course_id, key), (_order, percentage) in latest.items():
        exams[(student_id, course_id)][key] = percentage
    return exams


def daily_sums(selection: Selection) -> dict[Pair, dict[str, list]]:
    """Per pair and category key: [Σ daily-performance percentage, entries]."""
    kinds = _Kinds()
    sums: dict[Pair, dict[str, list]] = defaultdict(dict)
    rows = summed(
        selection,
        selection.days(DailyPerformanceDay),
        ("student_id", "course_id", "category"),
        floats=("total",),
        ints=("entries",),
    )
    for student_id, course_id, raw, total, entries in kept(rows, selection):
        pair = sums[(student_id, course_id)]
        key = kinds[raw][0]
        if key in pair:  # two raw names of one key: added as the engine adds them
            pair[key][0] = grading.to_decimal(pair[key][0]) + grading.to_decimal(total)
            pair[key][1] += entries
        else:
            pair[key] = [total, entries]
    return sums


def attendance_counts(selection: Selection) -> dict[Pair, tuple[int, int, int, int]]:
    """Per pair: (present, absent, late, excused) in the range."""
    rows = summed(
        selection,
        selection.days(AttendanceDay),
        ("student_id", "course_id"),
        ints=("present", "absent", "late", "excused"),
    )
    return {(s, c): (p, a, la, e) for s, c, p, a, la, e in kept(rows, selection)}


def longest_runs(selection: Selection) -> dict[Pair, int]:
    """The longest run of ``absent`` per pair inside the range (records in date, period
    and id order), joined from the days with absences.

    A day's run continues the one before it when the day before it with records
    (``previous_day``) is that earlier absence day: a day without absences in between
    breaks the run, and ``previous_day`` shows it exists without reading it.
    """
    rows = fetch(
        selection.days(AttendanceDay)
        .filter(absent__gt=0)
        .annotate(a_day=unparsed_date("day"), a_previous=unparsed_date("previous_day"))
        .order_by("student_id", "course_id", "day")
        .values_list(
            "student_id",
            "course_id",
            "a_day",
            "a_previous",
            "first_run",
            "last_run",
            "longest_run",
            "all_absent",
        )
    )
    longest: dict[Pair, int] = {}
    pair_before = day_before = None
    best = current = 0
    keeps = selection.keeps
    for student_id, course_id, day, previous, first, last, run, whole in rows:
        if not keeps(student_id, course_id):
            continue
        pair = (student_id, course_id)
        if pair != pair_before:
            if pair_before is not None:
                longest[pair_before] = best
            pair_before, best, current = pair, 0, 0
        elif previous != day_before:
            current = 0
        # ``current``: the absences that end the stretch so far and this day may extend.
        best = max(best, run, current + first)
        current = current + first if whole else last
        day_before = day
    if pair_before is not None:
        longest[pair_before] = best
    return longest
