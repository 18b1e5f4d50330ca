"""The grade engine (SPEC §2.1): one place for every rule that turns marks into results.

Two layers, kept apart so that the rules can be read and tested without a database:

* **Pure computation** on frozen dataclasses: ``parse_rules``, ``category_totals``,
  ``compute_course_result`` / ``finalise_course_result``, ``attendance_rate``,
  ``letter_grade``, ``least_squares_slope``, ``trend_label``, ``risk_assessment`` and
  ``summarise_student``.
* **Loading**: ``course_result`` and ``student_summary`` read one student's rows;
  ``course_results`` and ``student_summaries`` serve many students with a fixed number of
  queries (SQL aggregates grouped by student, course and category; window functions for
  absence runs and trend sums). Both feed the same pure functions.

Final grades use ``Decimal``. Sums computed by the database arrive as floats, so every
rounded figure is first settled to 9 decimals and then rounded half up to 2 decimals: the
row-level and the bulk paths therefore give the same numbers.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from django.db import connections
from django.db.models import (
    Case,
    Count,
    F,
    FloatField,
    IntegerField,
    Model,
    QuerySet,
    Sum,
    Value,
    When,
    Window,
)
from django.db.models.functions import Cast, Coalesce, RowNumber
from django.utils.translation import gettext as _

from apps.academics.models import (
    Attendance,
    AttendanceStatus,
    Course,
    DailyPerformance,
    Enrollment,
    EnrollmentStatus,
    Grade,
    Student,
)

# --- Category keys ----------------------------------------------------------------------------
_GENERIC_WORDS = {"exam", "examination", "εξεταση", "εξετασεις"}
_SYNONYMS = {
    "midterm": ["midterm", "mid term", "ενδιαμεση", "προοδος"],
    "final": ["final", "τελικη"],
    "homework": [
        "homework",
        "assignment",
        "assignments",
        "εργασια",
        "εργασιες",
        "ασκηση",
        "ασκησεις",
    ],
    "lab": ["lab", "laboratory", "εργαστηριο"],
    "quiz": ["quiz", "test", "κουιζ", "τεστ"],
    "participation": ["participation", "συμμετοχη"],
    "attendance": ["attendance", "παρουσια", "παρουσιες"],
    "continuous": ["continuous", "continuous assessment", "συνεχης", "συνεχης αξιολογηση"],
}
_CANONICAL = {synonym: key for key, synonyms in _SYNONYMS.items() for synonym in synonyms}

EXAM_KEYS = frozenset({"midterm", "final"})
ATTENDANCE_KEY = "attendance"


@lru_cache(maxsize=8192)
def category_key(name: str) -> str:
    text = unicodedata.normalize("NFD", str(name or "").lower())
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Mn")
    text = re.sub(r"[^\w\s]|_", " ", text)
    words = [word for word in text.split() if word not in _GENERIC_WORDS]
    remaining = " ".join(words)
    return _CANONICAL.get(remaining, remaining)


# --- Numbers ----------------------------------------------------------------------------------
ZERO = Decimal(0)
ONE = Decimal(1)
HUNDRED = Decimal(100)
PASS_MARK = Decimal(50)
_CENT = Decimal("0.01")
_SETTLE = Decimal("1e-9")
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
_STATUSES = tuple(AttendanceStatus.values)
TREND_THRESHOLD = Decimal("0.5")


def to_decimal(value: Any) -> Decimal:
    """Decimal from a database or JSON value; floats go through their shortest repr."""
    if isinstance(value, Decimal):
        return value
    if value is None:
        return ZERO
    if isinstance(value, float):
        return Decimal(repr(value))
    return Decimal(str(value).replace(",", "."))


def round2(value: Decimal | None) -> Decimal | None:
    """Round half up to 2 decimals after settling float noise at 9 decimals."""
    if value is None:
        return None
    return value.quantize(_SETTLE, ROUND_HALF_UP).quantize(_CENT, ROUND_HALF_UP)


# --- Inputs -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class EvaluationRule:
    label: str
    weight: Decimal
    include_daily_performance: bool = True
    daily_performance_multiplier: Decimal = ONE
    key: str = ""

    def __post_init__(self) -> None:
        if not self.key:
            object.__setattr__(self, "key", category_key(self.label))


@dataclass(frozen=True)
class GradeItem:
    category: str
    grade: Decimal
    max_grade: Decimal = HUNDRED
    weight: Decimal = ONE
    date_assigned: date | None = None
    date_submitted: date | None = None
    id: int = 0

    @property
    def key(self) -> str:
        return category_key(self.category)

    @property
    def percentage(self) -> Decimal:
        return to_decimal(self.grade) / to_decimal(self.max_grade) * HUNDRED

    @property
    def order_key(self) -> tuple[date, int]:
        """Most recent last: date submitted, else date assigned, then id."""
        return (self.date_submitted or self.date_assigned or date.min, self.id)


@dataclass(frozen=True)
class DailyItem:
    category: str
    score: Decimal
    max_score: Decimal = Decimal(10)

    @property
    def percentage(self) -> Decimal:
        return to_decimal(self.score) / to_decimal(self.max_score) * HUNDRED


@dataclass(frozen=True)
class AttendanceCounts:
    present: int = 0
    absent: int = 0
    late: int = 0
    excused: int = 0

    @classmethod
    def from_statuses(cls, statuses: Iterable[str]) -> AttendanceCounts:
        counts = dict.fromkeys(_STATUSES, 0)
        for status in statuses:
            if status in counts:
                counts[status] += 1
        return cls(**counts)

    def __add__(self, other: AttendanceCounts) -> AttendanceCounts:
        return AttendanceCounts(
            self.present + other.present,
            self.absent + other.absent,
            self.late + other.late,
            self.excused + other.excused,
        )

    @property
    def records(self) -> int:
        return self.present + self.absent + self.late + self.excused

    @property
    def rate(self) -> Decimal | None:
        """Unrounded attendance rate; excused records are left out of the count."""
        countable = self.records - self.excused
        if countable <= 0:
            return None
        return Decimal(self.present + self.late) / Decimal(countable) * HUNDRED


@dataclass(frozen=True)
class CategoryTotals:
    """Running weighted sum of one category's item percentages."""

    weighted_sum: Decimal = ZERO
    weight_sum: Decimal = ZERO
    items: int = 0

    def __add__(self, other: CategoryTotals) -> CategoryTotals:
        return CategoryTotals(
            self.weighted_sum + other.weighted_sum,
            self.weight_sum + other.weight_sum,
            self.items + other.items,
        )

    @property
    def average(self) -> Decimal | None:
        if self.weight_sum <= 0:
            return None
        return self.weighted_sum / self.weight_sum


# --- Outputs ----------------------------------------------------------------------------------
class _AsMapping(Mapping):
    """Dataclass results that also read like the dicts the API returns."""

    def __getitem__(self, name: str) -> Any:
        if name not in self.__dataclass_fields__:
            raise KeyError(name)
        return getattr(self, name)

    def __iter__(self) -> Iterator[str]:
        return iter(self.__dataclass_fields__)

    def __len__(self) -> int:
        return len(self.__dataclass_fields__)


@dataclass(frozen=True, eq=True)
class CategoryBreakdown(_AsMapping):
    label: str
    average: Decimal | None
    weight: Decimal
    contribution: Decimal | None
    items: int


@dataclass(frozen=True)
class CourseResult:
    student_id: int
    course_id: int
    final_grade: Decimal | None
    gpa: Decimal | None
    greek_grade: Decimal | None
    letter_grade: str | None
    total_weight_used: Decimal
    category_breakdown: dict[str, CategoryBreakdown]
    attendance_rate: Decimal | None
    unexcused_absences: int
    absence_deduction: Decimal
    consecutive_absences: int
    reason: str | None
    passed: bool | None
    credits: int = 3
    course_code: str = ""
    attendance_counts: AttendanceCounts = AttendanceCounts()

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["category_breakdown"] = {
            key: dict(part) for key, part in self.category_breakdown.items()
        }
        return data


@dataclass(frozen=True)
class RiskReason:
    code: str
    points: int
    message: str


@dataclass(frozen=True)
class Risk:
    level: str
    score: int
    reasons: tuple[RiskReason, ...]


@dataclass(frozen=True)
class StudentSummary:
    student_id: int
    gpa: Decimal | None
    average_grade: Decimal | None
    attendance_rate: Decimal | None
    trend: str
    risk: Risk
    courses: list[CourseResult]
    trend_slope: Decimal | None = None

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["courses"] = [course.as_dict() for course in self.courses]
        return data


# --- Pure rules -------------------------------------------------------------------------------
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


def attendance_rate(present: int, absent: int, late: int, excused: int) -> Decimal | None:
    """(present + late) / (records − excused) · 100, 2 decimals; None when nothing counts."""
    return round2(AttendanceCounts(present, absent, late, excused).rate)


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


def finalise_course_result(
    *,
    student_id: int,
    course_id: int,
    rules: Sequence[EvaluationRule],
    totals: Mapping[str, CategoryTotals],
    attendance: AttendanceCounts = AttendanceCounts(),
    absence_penalty: Decimal | int | str = 0,
    consecutive_absences: int = 0,
    credits: int = 3,
    course_code: str = "",
) -> CourseResult:
    """Steps 4–7 of the engine, from per-category totals to the final grade."""
    rate = attendance.rate
    penalty = to_decimal(absence_penalty)
    deduction = penalty * attendance.absent
    breakdown: dict[str, CategoryBreakdown] = {}
    weighted = used = ZERO
    for rule in rules:
        part = _rule_totals(rule, totals, rate)
        average = part.average if part else None
        contribution = None if average is None else average * rule.weight / HUNDRED
        if contribution is not None:
            weighted += contribution
            used += rule.weight
        breakdown[rule.key] = CategoryBreakdown(
            label=rule.label,
            average=round2(average),
            weight=round2(rule.weight),
            contribution=round2(contribution),
            items=part.items if average is not None else 0,
        )
    final = reason = None
    if not rules:
        reason = "no_evaluation_rules"
    elif used <= 0:
        reason = "no_grades"
    else:
        raw = weighted if used >= HUNDRED else weighted / used * HUNDRED
        final = round2(max(raw - deduction, ZERO))
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
        passed=None if final is None else final >= PASS_MARK,
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
    attendance: AttendanceCounts = AttendanceCounts(),
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


def risk_assessment(average: Decimal | None, attendance_rate: Decimal | None, trend: str) -> Risk:
    """Explainable risk: one band per group (the first that applies), score kept ≥ 0."""
    reasons: list[RiskReason] = []
    if average is not None:
        for limit, points in ((50, 40), (65, 25), (75, 10)):
            if average < limit:
                message = _("Average grade %(value)s is below %(limit)s.")
                reasons.append(
                    RiskReason(
                        f"average_below_{limit}",
                        points,
                        message % {"value": average, "limit": limit},
                    )
                )
                break
    if attendance_rate is not None:
        for limit, points in ((70, 35), (80, 15)):
            if attendance_rate < limit:
                message = _("Attendance rate %(value)s%% is below %(limit)s%%.")
                reasons.append(
                    RiskReason(
                        f"attendance_below_{limit}",
                        points,
                        message % {"value": attendance_rate, "limit": limit},
                    )
                )
                break
    if trend == "declining":
        reasons.append(RiskReason("trend_declining", 15, _("Grades are declining.")))
    elif trend == "improving":
        reasons.append(RiskReason("trend_improving", -5, _("Grades are improving.")))
    score = max(sum(reason.points for reason in reasons), 0)
    level = "low" if score < 30 else "medium" if score < 60 else "high"
    return Risk(level=level, score=score, reasons=tuple(reasons))


def summarise_student(
    *,
    student_id: int,
    courses: Sequence[CourseResult],
    trend: str,
    trend_slope: Decimal | None = None,
) -> StudentSummary:
    """Credit-weighted GPA and average, pooled attendance, trend and risk."""
    graded = [course for course in courses if course.final_grade is not None]
    credits = sum(course.credits for course in graded)
    average = gpa = None
    if credits:
        average = round2(sum(c.final_grade * c.credits for c in graded) / credits)
        gpa = round2(sum(c.gpa * c.credits for c in graded) / credits)
    pooled = sum((course.attendance_counts for course in courses), AttendanceCounts())
    rate = round2(pooled.rate)
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


# --- Loading: one student ---------------------------------------------------------------------
_COUNTED_STATUSES = tuple(
    status for status in EnrollmentStatus.values if status != EnrollmentStatus.DROPPED
)
_GRADE_COLUMNS = (
    "category",
    "grade",
    "max_grade",
    "weight",
    "date_assigned",
    "date_submitted",
    "id",
)
_ATTENDANCE_ORDER = ("date", "period_number", "id")


def _pk(obj: Model | int) -> int:
    return obj.pk if isinstance(obj, Model) else int(obj)


def _counted_enrollments() -> QuerySet:
    return Enrollment.objects.order_by().filter(
        status__in=_COUNTED_STATUSES,
        student__deleted_at__isnull=True,
        course__deleted_at__isnull=True,
    )


def _sorted_trend(grades: Iterable[GradeItem]) -> tuple[str, Decimal | None]:
    percentages = [item.percentage for item in sorted(grades, key=lambda g: g.order_key)]
    slope = least_squares_slope(percentages)
    return label_for_slope(len(percentages), slope), slope


def _single_course(
    student_id: int, course: Course, grades: list, daily: list, statuses: list[str]
) -> CourseResult:
    return compute_course_result(
        student_id=student_id,
        course_id=course.pk,
        rules=parse_rules(course.evaluation_rules),
        grades=grades,
        daily=daily,
        attendance=AttendanceCounts.from_statuses(statuses),
        absence_penalty=course.absence_penalty,
        consecutive_absences=longest_absence_run(statuses),
        credits=course.credits,
        course_code=course.course_code,
    )


def course_result(student: Student | int, course: Course | int) -> CourseResult:
    """One student's result in one course (reason ``not_enrolled`` when dropped or absent)."""
    student_id = _pk(student)
    if not isinstance(course, Course):
        course = Course.all_objects.get(pk=course)
    rows = {"student_id": student_id, "course_id": course.pk}
    if not _counted_enrollments().filter(**rows).exists():
        result = _single_course(student_id, course, [], [], [])
        return replace(result, reason="not_enrolled")
    grades = [
        GradeItem(*row)
        for row in Grade.objects.order_by().filter(**rows).values_list(*_GRADE_COLUMNS)
    ]
    daily = [
        DailyItem(*row)
        for row in DailyPerformance.objects.order_by()
        .filter(**rows)
        .values_list("category", "score", "max_score")
    ]
    statuses = list(
        Attendance.objects.filter(**rows)
        .order_by(*_ATTENDANCE_ORDER)
        .values_list("status", flat=True)
    )
    return _single_course(student_id, course, grades, daily, statuses)


def student_summary(student: Student | int) -> StudentSummary:
    """GPA, average, attendance, trend and risk of one student over their counted courses."""
    student_id = _pk(student)
    enrollments = _counted_enrollments().filter(student_id=student_id).select_related("course")
    courses = {enrollment.course_id: enrollment.course for enrollment in enrollments}
    rows = {"student_id": student_id, "course_id__in": list(courses)}
    grades: dict[int, list[GradeItem]] = {course_id: [] for course_id in courses}
    for course_id, *row in (
        Grade.objects.order_by().filter(**rows).values_list("course_id", *_GRADE_COLUMNS)
    ):
        grades[course_id].append(GradeItem(*row))
    daily: dict[int, list[DailyItem]] = {course_id: [] for course_id in courses}
    for course_id, *row in (
        DailyPerformance.objects.order_by()
        .filter(**rows)
        .values_list("course_id", "category", "score", "max_score")
    ):
        daily[course_id].append(DailyItem(*row))
    statuses: dict[int, list[str]] = {course_id: [] for course_id in courses}
    for course_id, status in (
        Attendance.objects.filter(**rows)
        .order_by("course_id", *_ATTENDANCE_ORDER)
        .values_list("course_id", "status")
    ):
        statuses[course_id].append(status)
    results = [
        _single_course(student_id, course, grades[cid], daily[cid], statuses[cid])
        for cid, course in courses.items()
    ]
    results.sort(key=lambda result: (result.course_code, result.course_id))
    trend, slope = _sorted_trend(item for items in grades.values() for item in items)
    return summarise_student(student_id=student_id, courses=results, trend=trend, trend_slope=slope)


# --- Loading: many students, fixed number of queries ------------------------------------------
def _percentage_expression(value: str, maximum: str):
    return Cast(value, FloatField()) * 100.0 / Cast(maximum, FloatField())


def _id_list(ids: Iterable[int] | QuerySet | None) -> list[int] | QuerySet | None:
    """Querysets stay subqueries; other iterables are read once into a list."""
    if ids is None or isinstance(ids, QuerySet):
        return ids
    return list(ids)


@dataclass(frozen=True)
class _Scope:
    """Filters shared by every bulk query: ids, dates, counted enrollments, live rows."""

    student_ids: Any = None
    course_ids: Any = None
    date_from: date | None = None
    date_to: date | None = None

    @property
    def empty(self) -> bool:
        return any(ids == [] for ids in (self.student_ids, self.course_ids))

    def _ids(self, queryset: QuerySet) -> QuerySet:
        if self.student_ids is not None:
            queryset = queryset.filter(student_id__in=self.student_ids)
        if self.course_ids is not None:
            queryset = queryset.filter(course_id__in=self.course_ids)
        return queryset

    def enrollments(self) -> QuerySet:
        return self._ids(_counted_enrollments())

    def records(self, model: type[Model], date_field: str) -> QuerySet:
        queryset = model.objects.order_by().filter(
            student__deleted_at__isnull=True,
            course__deleted_at__isnull=True,
            student__enrollments__course=F("course"),
            student__enrollments__status__in=_COUNTED_STATUSES,
        )
        if self.date_from:
            queryset = queryset.filter(**{f"{date_field}__gte": self.date_from})
        if self.date_to:
            queryset = queryset.filter(**{f"{date_field}__lte": self.date_to})
        return self._ids(queryset)


def _wrapped_rows(inner: QuerySet, outer_sql: str, *outer_params: Any) -> list[tuple]:
    """Run ``outer_sql`` over ``inner`` as a derived table named ``t``."""
    sql, params = inner.query.sql_with_params()
    with connections[inner.db].cursor() as cursor:
        cursor.execute(outer_sql.format(inner=sql), (*params, *outer_params))
        return cursor.fetchall()


def _consecutive_absences(scope: _Scope) -> dict[tuple[int, int], int]:
    """Gaps and islands in one window pass: absences that follow the same number of other
    records form one run, so the longest run is the largest such group."""
    order = [F("date").asc(), F("period_number").asc(), F("id").asc()]
    not_absent = Case(
        When(status=AttendanceStatus.ABSENT, then=Value(0)),
        default=Value(1),
        output_field=IntegerField(),
    )
    inner = (
        scope.records(Attendance, "date")
        .annotate(
            island=Window(
                Sum(not_absent), partition_by=[F("student_id"), F("course_id")], order_by=order
            )
        )
        .values("island", a_student=F("student_id"), a_course=F("course_id"), a_status=F("status"))
    )
    rows = _wrapped_rows(
        inner,
        "SELECT r.a_student, r.a_course, MAX(r.run_length) FROM ("
        " SELECT t.a_student, t.a_course, COUNT(*) AS run_length FROM ({inner}) t"
        " WHERE t.a_status = %s GROUP BY t.a_student, t.a_course, t.island"
        ") r GROUP BY r.a_student, r.a_course",
        AttendanceStatus.ABSENT,
    )
    return {(student_id, course_id): int(run) for student_id, course_id, run in rows}


def _trend_sums(scope: _Scope) -> dict[int, tuple[str, Decimal | None]]:
    """Per student, the least-squares sums of grade percentages over their order."""
    order = [Coalesce("date_submitted", "date_assigned").asc(), F("id").asc()]
    inner = (
        scope.records(Grade, "date_assigned")
        .annotate(n_item=Window(RowNumber(), partition_by=[F("student_id")], order_by=order))
        .values(
            "n_item",
            t_student=F("student_id"),
            t_value=_percentage_expression("grade", "max_grade"),
        )
    )
    rows = _wrapped_rows(
        inner,
        "SELECT t.t_student, COUNT(*), SUM(t.n_item), SUM(t.t_value), SUM(t.n_item * t.t_value),"
        " SUM(t.n_item * t.n_item) FROM ({inner}) t GROUP BY t.t_student",
    )
    trends = {}
    for student_id, n, *sums in rows:
        slope = slope_from_sums(n, *sums) if n >= 2 else None
        trends[student_id] = (label_for_slope(n, slope), slope)
    return trends


def _grade_totals(scope: _Scope) -> dict[tuple[int, int], dict[str, CategoryTotals]]:
    """Non-exam categories summed in SQL; exam rows fetched to keep only the latest."""
    grades = scope.records(Grade, "date_assigned")
    # Only the categories of the rows in scope matter (one student's: a few index reads).
    keys = {raw: category_key(raw) for raw in grades.values_list("category", flat=True).distinct()}
    exam_raw = [raw for raw, key in keys.items() if key in EXAM_KEYS]
    skipped = exam_raw + [raw for raw, key in keys.items() if key == ATTENDANCE_KEY]
    totals: dict[tuple[int, int], dict[str, CategoryTotals]] = {}
    rows = (
        grades.exclude(category__in=skipped)
        .filter(weight__gt=0)
        .values("student_id", "course_id", "category")
        .annotate(
            weighted=Sum(
                _percentage_expression("grade", "max_grade") * Cast("weight", FloatField())
            ),
            weights=Sum(Cast("weight", FloatField())),
            items=Count("id"),
        )
        .values_list("student_id", "course_id", "category", "weighted", "weights", "items")
    )
    for student_id, course_id, raw, weighted, weights, items in rows:
        part = CategoryTotals(to_decimal(weighted), to_decimal(weights), items)
        pair = totals.setdefault((student_id, course_id), {})
        key = keys.get(raw) or category_key(raw)
        pair[key] = pair.get(key, CategoryTotals()) + part
    latest: dict[tuple[int, int, str], tuple[date, int, Any]] = {}
    exams = grades.filter(category__in=exam_raw).values_list(
        "student_id",
        "course_id",
        "category",
        "id",
        Coalesce("date_submitted", "date_assigned"),
        _percentage_expression("grade", "max_grade"),
    )
    for student_id, course_id, raw, grade_id, day, percentage in exams.iterator(chunk_size=5000):
        slot = (student_id, course_id, keys.get(raw) or category_key(raw))
        if slot not in latest or (day, grade_id) > latest[slot][:2]:
            latest[slot] = (day, grade_id, percentage)
    for (student_id, course_id, key), (_day, _id, percentage) in latest.items():
        totals.setdefault((student_id, course_id), {})[key] = CategoryTotals(
            to_decimal(percentage), ONE, 1
        )
    return totals


def _daily_sums(scope: _Scope) -> dict[tuple[int, int], dict[str, tuple[Decimal, int]]]:
    rows = (
        scope.records(DailyPerformance, "date")
        .values("student_id", "course_id", "category")
        .annotate(total=Sum(_percentage_expression("score", "max_score")), entries=Count("id"))
        .values_list("student_id", "course_id", "category", "total", "entries")
    )
    sums: dict[tuple[int, int], dict[str, tuple[Decimal, int]]] = {}
    for student_id, course_id, raw, total, entries in rows:
        pair = sums.setdefault((student_id, course_id), {})
        key = category_key(raw)
        previous_total, previous_entries = pair.get(key, (ZERO, 0))
        pair[key] = (previous_total + to_decimal(total), previous_entries + entries)
    return sums


def _attendance_counts(scope: _Scope) -> dict[tuple[int, int], AttendanceCounts]:
    rows = (
        scope.records(Attendance, "date")
        .values("student_id", "course_id", "status")
        .annotate(records=Count("id"))
        .values_list("student_id", "course_id", "status", "records")
    )
    counts: dict[tuple[int, int], dict[str, int]] = {}
    for student_id, course_id, status, records in rows:
        if status in _STATUSES:
            counts.setdefault((student_id, course_id), {})[status] = records
    return {pair: AttendanceCounts(**by_status) for pair, by_status in counts.items()}


def _bulk_course_results(scope: _Scope) -> dict[tuple[int, int], CourseResult]:
    pairs = list(scope.enrollments().values_list("student_id", "course_id"))
    courses = {
        course_id: (parse_rules(rules), penalty, credits, code)
        for course_id, rules, penalty, credits, code in Course.objects.order_by()
        .filter(id__in=scope.enrollments().values("course_id"))
        .values_list("id", "evaluation_rules", "absence_penalty", "credits", "course_code")
    }
    totals = _grade_totals(scope)
    daily = _daily_sums(scope)
    attendance = _attendance_counts(scope)
    runs = _consecutive_absences(scope)
    results = {}
    for pair in sorted(pairs, key=lambda p: (p[0], courses[p[1]][3], p[1])):
        rules, penalty, credits, code = courses[pair[1]]
        results[pair] = finalise_course_result(
            student_id=pair[0],
            course_id=pair[1],
            rules=rules,
            totals=apply_daily(rules, totals.get(pair, {}), daily.get(pair, {})),
            attendance=attendance.get(pair, AttendanceCounts()),
            absence_penalty=penalty,
            consecutive_absences=runs.get(pair, 0),
            credits=credits,
            course_code=code,
        )
    return results


def course_results(
    *,
    student_ids: Iterable[int] | QuerySet | None = None,
    course_ids: Iterable[int] | QuerySet | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
) -> dict[tuple[int, int], CourseResult]:
    """Results of every counted enrollment in scope, keyed by (student_id, course_id).

    Eight queries however many students; ids may be lists or ``values("id")`` querysets.
    """
    scope = _Scope(_id_list(student_ids), _id_list(course_ids), date_from, date_to)
    return {} if scope.empty else _bulk_course_results(scope)


def student_summaries(
    *,
    student_ids: Iterable[int] | QuerySet | None = None,
    course_ids: Iterable[int] | QuerySet | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
) -> dict[int, StudentSummary]:
    """Summaries keyed by student id, ten queries however many students.

    Without ``course_ids`` every live student in scope is included, also those with no
    courses; with it, the students counted in those courses.
    """
    scope = _Scope(_id_list(student_ids), _id_list(course_ids), date_from, date_to)
    if scope.empty:
        return {}
    results = _bulk_course_results(scope)
    trends = _trend_sums(scope)
    if course_ids is None:
        students = Student.objects.order_by()
        if scope.student_ids is not None:
            students = students.filter(id__in=scope.student_ids)
        student_list = list(students.values_list("id", flat=True))
    else:
        student_list = list(scope.enrollments().values_list("student_id", flat=True).distinct())
    by_student: dict[int, list[CourseResult]] = {student_id: [] for student_id in student_list}
    for (student_id, _course_id), result in results.items():
        by_student.setdefault(student_id, []).append(result)
    return {
        student_id: summarise_student(
            student_id=student_id,
            courses=courses,
            trend=trends.get(student_id, ("insufficient_data", None))[0],
            trend_slope=trends.get(student_id, (None, None))[1],
        )
        for student_id, courses in sorted(by_student.items())
    }
