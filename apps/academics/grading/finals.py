"""Final grades and risk levels of many enrollments from plain sums, for figures that show
nothing else (the dashboard's averages, pass rate, letters, course averages, risk counts).

The same steps as ``finalise_course_result`` and ``summarise_student``, through the same
helpers (``rule_average``, ``weighted_final``, ``credit_weighted``, ``risk_level``),
without what these figures do not show: no breakdown, no GPA or Greek grade, no rounding
of figures nobody reads, and a rule's totals built only for the categories it has.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from apps.academics.grading.decimals import ONE, round2, to_decimal
from apps.academics.grading.keys import ATTENDANCE_KEY
from apps.academics.grading.model import AttendanceCounts, CategoryTotals, EvaluationRule
from apps.academics.grading.rules import (
    absence_deduction,
    apply_daily,
    credit_weighted,
    parse_rules,
    risk_level,
    rule_average,
    unrounded_attendance_rate,
    weighted_final,
)

# The trends that move the risk score furthest down and up: the score only rises with a
# trend's points and the level with the score, so when both give one level every trend does.
_TREND_EXTREMES = ("improving", "declining")


@dataclass(frozen=True)
class CourseRules:
    """One course's rules, parsed once for all its enrollments."""

    rules: tuple[EvaluationRule, ...]
    absence_penalty: Decimal
    credits: int
    keys: frozenset[str]
    takes_attendance: bool

    @classmethod
    def of(cls, raw_rules: Any, absence_penalty: Any, credits: int) -> CourseRules:
        rules = parse_rules(raw_rules)
        return cls(
            rules=rules,
            absence_penalty=to_decimal(absence_penalty),
            credits=credits,
            keys=frozenset(rule.key for rule in rules),
            takes_attendance=any(rule.key == ATTENDANCE_KEY for rule in rules),
        )


def final_grade(
    course: CourseRules,
    grades: Mapping[str, Sequence],
    exams: Mapping[str, Any],
    daily: Mapping[str, Sequence],
    counts: AttendanceCounts,
) -> Decimal | None:
    """The engine's final grade of one enrollment from the range's sums: ``grades`` per
    category key (weighted sum, weight sum, items), ``exams`` the latest percentage per
    exam key, ``daily`` (total, entries) per key, as floats or Decimals."""
    rate = unrounded_attendance_rate(counts) if course.takes_attendance else None
    if not (grades or exams or daily) and rate is None:
        # No rule has an item (most enrollments over a single day): no average, no grade.
        return None
    keys = course.keys
    totals = {
        key: CategoryTotals(to_decimal(weighted), to_decimal(weights), items)
        for key, (weighted, weights, items) in grades.items()
        if key in keys
    }
    for key, percentage in exams.items():
        if key in keys:
            totals[key] = CategoryTotals(to_decimal(percentage), ONE, 1)
    if daily:
        sums = {
            key: (to_decimal(total), entries)
            for key, (total, entries) in daily.items()
            if key in keys
        }
        totals = apply_daily(course.rules, totals, sums)
    averages = [rule_average(rule, totals, rate)[0] for rule in course.rules]
    deduction = absence_deduction(course.absence_penalty, counts.absent)
    return weighted_final(course.rules, averages, deduction)[0]


@dataclass(frozen=True)
class StudentStanding:
    """What a student's risk level needs: the credit-weighted average of their graded
    courses and the pooled attendance rate."""

    average: Decimal | None
    attendance_rate: Decimal | None

    @classmethod
    def of(
        cls, finals: Iterable[tuple[Decimal | None, int]], counts: AttendanceCounts
    ) -> StudentStanding:
        graded = [(final, credits) for final, credits in finals if final is not None]
        return cls(credit_weighted(graded), round2(unrounded_attendance_rate(counts)))

    def level(self, trend: str) -> str:
        return risk_level(self.average, self.attendance_rate, trend)

    def level_without_trend(self) -> str | None:
        """The risk level when no trend could change it, else None (the trend is needed)."""
        levels = {self.level(trend) for trend in _TREND_EXTREMES}
        return levels.pop() if len(levels) == 1 else None


__all__ = ["CourseRules", "StudentStanding", "final_grade"]
