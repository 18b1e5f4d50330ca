"""Pure computation: every rule that turns marks into results, without a database.

From a course's rules and one student's items to a ``CourseResult`` (steps 1–7 of the
engine), and from course results to a ``StudentSummary`` (GPA, average, attendance, trend
and risk). The loaders in ``loading`` and ``bulk`` feed these same functions.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from apps.academics.grading.decimals import HUNDRED, ONE, ZERO, round2, to_decimal
from apps.academics.grading.keys import ATTENDANCE_KEY, EXAM_KEYS, category_key
from apps.academics.grading.model import (
    AttendanceCounts,
    CategoryBreakdown,
    CategoryTotals,
    CourseResult,
    DailyItem,
    EvaluationRule,
    GradeItem,
    Risk,
    RiskReason,
    StudentSummary,
)
from apps.academics.models import AttendanceStatus

_SLOPE_PLACES = Decimal("1e-6")
LETTER_BOUNDARIES = (
    (Decimal(97), "A+"),
    (Decimal(93), "A"),
    (Decimal(90), "A-"),
    (Decimal(87), "B+"),
    (Decimal(83), "B"),
    (Decimal(80), "B-"),
    (Decimal(77), "C+"),
    (Decimal(70), "C"),
    (Decimal(60), "D"),
)
TREND_MIN_ITEMS = 4
TREND_THRESHOLD = Decimal("0.5")
# Risk levels from lowest to highest; ``risk_assessment`` picks one by score.
RISK_LEVELS = ("low", "medium", "high")
# Frozen, so one shared instance is a safe default argument.
NO_ATTENDANCE = AttendanceCounts()


def parse_rules(raw_rules: Any) -> tuple[EvaluationRule, ...]:
    """A course's ``evaluation_rules`` JSON as rules; unusable or repeated entries are skipped."""
    rules: list[EvaluationRule] = []
    seen: set[str] = set()
    for raw in raw_rules if isinstance(raw_rules, list) else ():
        if not isinstance(raw, Mapping):
            continue
        label = str(raw.get("category") or "").strip()
        try:
            weight = to_decimal(raw.get("weight"))
            multiplier = to_decimal(raw.get("daily_performance_multiplier", 1))
        except InvalidOperation:
            continue
        rule = EvaluationRule(
            label=label,
            weight=weight,
            include_daily_performance=raw.get("include_daily_performance", True) is not False,
            daily_performance_multiplier=multiplier,
        )
        if label and weight > 0 and rule.key not in seen:
            seen.add(rule.key)
            rules.append(rule)
    return tuple(rules)


class CourseCategories:
    """A course's gradable categories, parsed once: the one definition of whether a grade
    counts. A grade counts towards the rule with the same category key, except the
    attendance rule, whose single item is the attendance rate (grades of that key are
    ignored)."""

    def __init__(self, raw_rules: Any):
        self.rules = tuple(rule for rule in parse_rules(raw_rules) if rule.key != ATTENDANCE_KEY)
        self.by_key = {rule.key: rule for rule in self.rules}
        self.labels = [rule.label for rule in self.rules]

    def rule_for(self, category: str) -> EvaluationRule | None:
        return self.by_key.get(category_key(category))

    def takes(self, category: str) -> bool:
        return category_key(category) in self.by_key


def rule_for_category(raw_rules: Any, category: str) -> EvaluationRule | None:
    """The rule a grade of this category counts towards, or None when it would never count."""
    return CourseCategories(raw_rules).rule_for(category)


def gradable_rule_labels(raw_rules: Any) -> list[str]:
    """The categories a grade of this course can be recorded in, as the rules name them."""
    return CourseCategories(raw_rules).labels


def latest_exams(grades: Iterable[GradeItem]) -> dict[str, GradeItem]:
    """The most recent grade of each exam key; earlier sittings do not count."""
    latest: dict[str, GradeItem] = {}
    for item in grades:
        key = item.key
        if key in EXAM_KEYS and (key not in latest or item.order_key > latest[key].order_key):
            latest[key] = item
    return latest


def daily_sums(daily: Iterable[DailyItem]) -> dict[str, tuple[Decimal, int]]:
    """Per category key: the sum of daily-performance percentages and the entry count."""
    sums: dict[str, tuple[Decimal, int]] = {}
    for entry in daily:
        total, count = sums.get(category_key(entry.category), (ZERO, 0))
        sums[category_key(entry.category)] = (total + entry.percentage, count + 1)
    return sums


def apply_daily(
    rules: Sequence[EvaluationRule],
    totals: Mapping[str, CategoryTotals],
    sums: Mapping[str, tuple[Decimal, int]],
) -> dict[str, CategoryTotals]:
    """Add daily performance as items of weight ``daily_performance_multiplier``."""
    merged = dict(totals)
    for rule in rules:
        multiplier = rule.daily_performance_multiplier
        if (
            rule.key in sums
            and rule.include_daily_performance
            and multiplier > 0
            and rule.key not in EXAM_KEYS
            and rule.key != ATTENDANCE_KEY
        ):
            total, count = sums[rule.key]
            extra = CategoryTotals(total * multiplier, multiplier * count, count)
            merged[rule.key] = merged.get(rule.key, CategoryTotals()) + extra
    return merged


def category_totals(
    rules: Sequence[EvaluationRule],
    grades: Iterable[GradeItem],
    daily: Iterable[DailyItem] = (),
) -> dict[str, CategoryTotals]:
    """Per rule key, the weighted items that make up its average (attendance excepted)."""
    grades = list(grades)
    totals: dict[str, CategoryTotals] = {}
    for item in grades:
        key = item.key
        if key not in EXAM_KEYS and key != ATTENDANCE_KEY and item.weight > 0:
            part = CategoryTotals(item.percentage * item.weight, to_decimal(item.weight), 1)
            totals[key] = totals.get(key, CategoryTotals()) + part
    for key, item in latest_exams(grades).items():
        totals[key] = CategoryTotals(item.percentage, ONE, 1)
    return apply_daily(rules, totals, daily_sums(daily))


def pass_mark() -> Decimal:
    """The final grade (in %) that passes: ``settings.SMS_PASS_MARK`` (SPEC: 50 %, 10/20)."""
    return to_decimal(settings.SMS_PASS_MARK)


def unrounded_attendance_rate(counts: AttendanceCounts) -> Decimal | None:
    """The attendance rule (SPEC §2.1): (present + late) / (records − excused) · 100, over
    records already pooled; None when nothing is countable. Everything that shows an
    attendance rate comes through here (``attendance_rate`` rounds it)."""
    countable = counts.records - counts.excused
    if countable <= 0:
        return None
    return Decimal(counts.present + counts.late) / Decimal(countable) * HUNDRED


def attendance_rate(present: int, absent: int, late: int, excused: int) -> Decimal | None:
    """(present + late) / (records − excused) · 100, 2 decimals; None when nothing counts."""
    return round2(unrounded_attendance_rate(AttendanceCounts(present, absent, late, excused)))


def longest_absence_run(statuses: Iterable[str]) -> int:
    """Longest run of ``absent`` in statuses already ordered by date and period."""
    longest = current = 0
    for status in statuses:
        current = current + 1 if status == AttendanceStatus.ABSENT else 0
        longest = max(longest, current)
    return longest


def letter_grade(final: Decimal | None) -> str | None:
    if final is None:
        return None
    for boundary, letter in LETTER_BOUNDARIES:
        if final >= boundary:
            return letter
    return "F"


def gpa_points(final: Decimal | None) -> Decimal | None:
    return None if final is None else round2(final / HUNDRED * 4)


def greek_grade(final: Decimal | None) -> Decimal | None:
    return None if final is None else round2(final / HUNDRED * 20)


def _rule_totals(
    rule: EvaluationRule, totals: Mapping[str, CategoryTotals], rate: Decimal | None
) -> CategoryTotals | None:
    if rule.key == ATTENDANCE_KEY:
        return None if rate is None else CategoryTotals(rate, ONE, 1)
    return totals.get(rule.key)


def rule_average(
    rule: EvaluationRule, totals: Mapping[str, CategoryTotals], rate: Decimal | None
) -> tuple[Decimal | None, int]:
    """Step 4: one rule's average (None when it has no items) and its item count."""
    part = _rule_totals(rule, totals, rate)
    average = part.average if part else None
    return average, part.items if average is not None else 0


def contribution(rule: EvaluationRule, average: Decimal | None) -> Decimal | None:
    return None if average is None else average * rule.weight / HUNDRED


def absence_deduction(absence_penalty: Decimal | int | str, absent: int) -> Decimal:
    return to_decimal(absence_penalty) * absent


def weighted_final(
    rules: Sequence[EvaluationRule], averages: Sequence[Decimal | None], deduction: Decimal
) -> tuple[Decimal | None, Decimal, str | None]:
    """Steps 5–7 from each rule's average: (final grade, weight used, reason). Rules
    without an average are left out and the rest rescaled to 100; the absence deduction
    is taken off and the grade kept ≥ 0, rounded."""
    weighted = used = ZERO
    for rule, average in zip(rules, averages, strict=True):
        if average is not None:
            weighted += contribution(rule, average)
            used += rule.weight
    if not rules:
        return None, used, "no_evaluation_rules"
    if used <= 0:
        return None, used, "no_grades"
    raw = weighted if used >= HUNDRED else weighted / used * HUNDRED
    return round2(max(raw - deduction, ZERO)), used, None


def finalise_course_result(
    *,
    student_id: int,
    course_id: int,
    rules: Sequence[EvaluationRule],
    totals: Mapping[str, CategoryTotals],
    attendance: AttendanceCounts = NO_ATTENDANCE,
    absence_penalty: Decimal | int | str = 0,
    consecutive_absences: int = 0,
    credits: int = 3,
    course_code: str = "",
) -> CourseResult:
    """Steps 4–7 of the engine, from per-category totals to the final grade."""
    rate = unrounded_attendance_rate(attendance)
    deduction = absence_deduction(absence_penalty, attendance.absent)
    parts = [rule_average(rule, totals, rate) for rule in rules]
    final, used, reason = weighted_final(rules, [average for average, _ in parts], deduction)
    breakdown = {
        rule.key: CategoryBreakdown(
            label=rule.label,
            average=round2(average),
            weight=round2(rule.weight),
            contribution=round2(contribution(rule, average)),
            items=items,
        )
        for rule, (average, items) in zip(rules, parts, strict=True)
    }
    return CourseResult(
        student_id=student_id,
        course_id=course_id,
        final_grade=final,
        gpa=gpa_points(final),
        greek_grade=greek_grade(final),
        letter_grade=letter_grade(final),
        total_weight_used=round2(used),
        category_breakdown=breakdown,
        attendance_rate=round2(rate),
        unexcused_absences=attendance.absent,
        absence_deduction=round2(deduction),
        consecutive_absences=consecutive_absences,
        reason=reason,
        passed=None if final is None else final >= pass_mark(),
        credits=credits,
        course_code=course_code,
        attendance_counts=attendance,
    )


def compute_course_result(
    *,
    student_id: int,
    course_id: int,
    rules: Sequence[EvaluationRule],
    grades: Iterable[GradeItem] = (),
    daily: Iterable[DailyItem] = (),
    attendance: AttendanceCounts = NO_ATTENDANCE,
    absence_penalty: Decimal | int | str = 0,
    consecutive_absences: int = 0,
    credits: int = 3,
    course_code: str = "",
) -> CourseResult:
    """One student's result in one course from their items (no database)."""
    return finalise_course_result(
        student_id=student_id,
        course_id=course_id,
        rules=rules,
        totals=category_totals(rules, grades, daily),
        attendance=attendance,
        absence_penalty=absence_penalty,
        consecutive_absences=consecutive_absences,
        credits=credits,
        course_code=course_code,
    )


def slope_from_sums(n: int, sum_x: Any, sum_y: Any, sum_xy: Any, sum_xx: Any) -> Decimal | None:
    """Least-squares slope of y over x = 1..n from the five running sums."""
    n, sx, sy = Decimal(n), to_decimal(sum_x), to_decimal(sum_y)
    denominator = n * to_decimal(sum_xx) - sx * sx
    if denominator == 0:
        return None
    slope = (n * to_decimal(sum_xy) - sx * sy) / denominator
    return slope.quantize(_SLOPE_PLACES, ROUND_HALF_UP)


def least_squares_slope(values: Sequence[Decimal]) -> Decimal | None:
    """Slope per item of the values in order (x = 1, 2, …); None under two values."""
    if len(values) < 2:
        return None
    ys = [to_decimal(value) for value in values]
    xs = range(1, len(ys) + 1)
    return slope_from_sums(
        len(ys),
        sum(xs),
        sum(ys),
        sum(x * y for x, y in zip(xs, ys, strict=True)),
        sum(x * x for x in xs),
    )


def label_for_slope(items: int, slope: Decimal | None) -> str:
    if items < TREND_MIN_ITEMS or slope is None:
        return "insufficient_data"
    if slope > TREND_THRESHOLD:
        return "improving"
    if slope < -TREND_THRESHOLD:
        return "declining"
    return "stable"


def trend_label(percentages: Sequence[Decimal]) -> str:
    return label_for_slope(len(percentages), least_squares_slope(percentages))


_AVERAGE_BANDS = ((50, 40), (65, 25), (75, 10))
_ATTENDANCE_BANDS = ((70, 35), (80, 15))
_TREND_POINTS = {"declining": ("trend_declining", 15), "improving": ("trend_improving", -5)}
# A trend's fewest and most points (no trend, "stable" and too few items give 0).
_TREND_LOWEST_POINTS = min(0, *(points for _code, points in _TREND_POINTS.values()))
_TREND_HIGHEST_POINTS = max(0, *(points for _code, points in _TREND_POINTS.values()))


def _risk_points(
    average: Decimal | None, attendance_rate: Decimal | None, trend: str
) -> list[tuple[str, int, Decimal | None, int | None]]:
    """(code, points, value, limit) of each band that applies: the first of each group."""
    found = []
    for prefix, value, bands in (
        ("average_below", average, _AVERAGE_BANDS),
        ("attendance_below", attendance_rate, _ATTENDANCE_BANDS),
    ):
        if value is not None:
            for limit, points in bands:
                if value < limit:
                    found.append((f"{prefix}_{limit}", points, value, limit))
                    break
    if trend in _TREND_POINTS:
        code, points = _TREND_POINTS[trend]
        found.append((code, points, None, None))
    return found


def _level_for(score: int) -> str:
    low, medium, high = RISK_LEVELS
    return low if score < 30 else medium if score < 60 else high


def risk_level(average: Decimal | None, attendance_rate: Decimal | None, trend: str) -> str:
    """``risk_assessment(…).level`` without writing the reasons' messages."""
    points = _risk_points(average, attendance_rate, trend)
    return _level_for(max(sum(point for _code, point, _value, _limit in points), 0))


# The reasons' sentences with the amounts left out, per code family and language: a
# school's list words thousands of reasons, and each ``gettext`` looked up the catalogue.
_RISK_TEMPLATES = {
    "average_below": lambda: _("Average grade %(value)s is below %(limit)s."),
    "attendance_below": lambda: _("Attendance rate %(value)s%% is below %(limit)s%%."),
    "trend_declining": lambda: _("Grades are declining."),
    "trend_improving": lambda: _("Grades are improving."),
}


@functools.lru_cache(maxsize=256)
def _risk_template(family: str, language: str | None) -> str:
    """``language``: the active one, which ``gettext`` uses; it is the cache's key only."""
    return _RISK_TEMPLATES[family]()


def risk_level_whatever_the_trend(
    average: Decimal | None, attendance_rate: Decimal | None
) -> str | None:
    """The risk level when no trend could change it, else None."""
    base = sum(
        points for _code, points, _value, _limit in _risk_points(average, attendance_rate, "")
    )
    return _level_whatever_the_trend(base)


def _level_whatever_the_trend(base: int) -> str | None:
    """The level of a score of ``base`` points before the trend's, when every trend
    gives the same: the level at the trend's lowest points and at its highest (the score
    only grows with the points); else None."""
    lowest = _level_for(max(base + _TREND_LOWEST_POINTS, 0))
    highest = _level_for(max(base + _TREND_HIGHEST_POINTS, 0))
    return lowest if lowest == highest else None


# How near a band's limit an unrounded float average or rate leaves its band in doubt:
# rounding to cents moves a value by at most 0.005, the float's own error is ~1e-12.
_GLANCE_MARGIN = 0.01


def risk_level_at_a_glance(average: float | None, attendance_rate: float | None) -> str | None:
    """``risk_level_whatever_the_trend`` of the unrounded average and rate as floats,
    without the Decimal steps: None when either lies within ``_GLANCE_MARGIN`` of a limit
    it is compared with (its rounding decides) or when a trend could change the level."""
    base = 0
    for value, bands in ((average, _AVERAGE_BANDS), (attendance_rate, _ATTENDANCE_BANDS)):
        if value is None:
            continue
        for limit, points in bands:
            if abs(value - limit) < _GLANCE_MARGIN:
                return None
            if value < limit:
                base += points
                break
    return _level_whatever_the_trend(base)


def _risk_message(code: str, value: Decimal | None, limit: int | None) -> str:
    family = code.rpartition("_")[0] if code.startswith(("average_", "attendance_")) else code
    template = _risk_template(family, get_language())
    if value is None:
        return template
    return template % {"value": value, "limit": limit}


def risk_assessment(average: Decimal | None, attendance_rate: Decimal | None, trend: str) -> Risk:
    """Explainable risk: one band per group (the first that applies), score kept ≥ 0."""
    reasons = [
        RiskReason(code, points, _risk_message(code, value, limit))
        for code, points, value, limit in _risk_points(average, attendance_rate, trend)
    ]
    score = max(sum(reason.points for reason in reasons), 0)
    return Risk(level=_level_for(score), score=score, reasons=tuple(reasons))


def credit_weighted(values: Sequence[tuple[Decimal, int]]) -> Decimal | None:
    """The credit-weighted mean of (value, credits) pairs, rounded; None without credits."""
    credits = sum(weight for _value, weight in values)
    if not credits:
        return None
    return round2(sum(value * weight for value, weight in values) / credits)


def summarise_student(
    *,
    student_id: int,
    courses: Sequence[CourseResult],
    trend: str,
    trend_slope: Decimal | None = None,
) -> StudentSummary:
    """Credit-weighted GPA and average, pooled attendance, trend and risk."""
    graded = [course for course in courses if course.final_grade is not None]
    average = credit_weighted([(c.final_grade, c.credits) for c in graded])
    gpa = credit_weighted([(c.gpa, c.credits) for c in graded])
    pooled = AttendanceCounts.pooled(course.attendance_counts for course in courses)
    rate = round2(unrounded_attendance_rate(pooled))
    return StudentSummary(
        student_id=student_id,
        gpa=gpa,
        average_grade=average,
        attendance_rate=rate,
        trend=trend,
        risk=risk_assessment(average, rate, trend),
        courses=list(courses),
        trend_slope=trend_slope,
    )
