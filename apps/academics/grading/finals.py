"""Final grades and risk levels of many enrollments from plain sums, for figures that show
nothing else (the dashboard's averages, pass rate, letters, course averages, risk counts).

The same steps as ``finalise_course_result`` and ``summarise_student``, through the same
helpers (``rule_average``, ``weighted_final``, ``credit_weighted``, ``risk_level``),
without what these figures do not show: no breakdown, no GPA or Greek grade, no rounding
of figures nobody reads, and a rule's totals built only for the categories it has.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from apps.academics.grading.decimals import HUNDRED, ONE, round2, to_decimal
from apps.academics.grading.keys import ATTENDANCE_KEY, EXAM_KEYS
from apps.academics.grading.model import AttendanceCounts, CategoryTotals, EvaluationRule
from apps.academics.grading.rules import (
    absence_deduction,
    apply_daily,
    credit_weighted,
    parse_rules,
    risk_level,
    risk_level_at_a_glance,
    risk_level_whatever_the_trend,
    rule_average,
    unrounded_attendance_rate,
    weighted_final,
)

# How a rule finds its average (``rule_average``): from its grades and daily performance,
# from the latest exam sitting (else its grades), or from the attendance rate.
_ORDINARY, _EXAM, _ATTENDANCE = range(3)
# A float final grade this close (in cents) to a half cent may round differently from
# the Decimal engine's: the float error is ~1e-10 cents and the engine's settling at 9
# decimals moves a value by up to 5e-8 cents, so anything nearer is finished in Decimal.
_UNSURE_CENTS = 1e-6
_UNSURE = object()  # ``_float_final``'s answer when it cannot be sure of the cents
_NO_CENTS = Decimal("0.00")  # a final grade of zero, as ``round2`` writes it


@dataclass(frozen=True)
class CourseRules:
    """One course's rules, parsed once for all its enrollments."""

    rules: tuple[EvaluationRule, ...]
    absence_penalty: Decimal
    credits: int
    keys: frozenset[str]
    takes_attendance: bool
    # The rules as floats for ``_float_final``: (bit, key, kind, weight, daily multiplier
    # or 0.0 when daily performance does not count towards it).
    steps: tuple[tuple[int, str, int, float, float], ...] = ()
    # Per set of rules with an average (a bit mask of ``steps``): what the weighted sum
    # is multiplied by, from the exact Decimal weight used (filled as masks are met).
    scales: dict[int, float] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def of(cls, raw_rules: Any, absence_penalty: Any, credits: int) -> CourseRules:
        rules = parse_rules(raw_rules)
        return cls(
            rules=rules,
            absence_penalty=to_decimal(absence_penalty),
            credits=credits,
            keys=frozenset(rule.key for rule in rules),
            takes_attendance=any(rule.key == ATTENDANCE_KEY for rule in rules),
            steps=tuple(_step(bit, rule) for bit, rule in enumerate(rules)),
        )

    def scale(self, mask: int) -> float:
        """``weighted_final``'s rescaling as one factor: the weights used add up exactly
        (in Decimal) and are compared with 100 once per set of rules with an average."""
        found = self.scales.get(mask)
        if found is None:
            used = sum(
                (rule.weight for bit, rule in enumerate(self.rules) if mask >> bit & 1),
                Decimal(0),
            )
            found = self.scales[mask] = 1 / 100 if used >= HUNDRED else 1 / float(used)
        return found


def _step(bit: int, rule: EvaluationRule) -> tuple[int, str, int, float, float]:
    if rule.key == ATTENDANCE_KEY:
        kind = _ATTENDANCE
    elif rule.key in EXAM_KEYS:
        kind = _EXAM
    else:
        kind = _ORDINARY
    multiplier = rule.daily_performance_multiplier
    daily = kind == _ORDINARY and rule.include_daily_performance and multiplier > 0
    return (1 << bit, rule.key, kind, float(rule.weight), float(multiplier) if daily else 0.0)


def final_grade(
    course: CourseRules,
    grades: Mapping[str, Sequence],
    exams: Mapping[str, Any],
    daily: Mapping[str, Sequence],
    counts: AttendanceCounts,
) -> Decimal | None:
    """The engine's final grade of one enrollment from the range's sums: ``grades`` per
    category key (weighted sum, weight sum, items), ``exams`` the latest percentage per
    exam key, ``daily`` (total, entries) per key, as floats or Decimals.

    Computed in floats (``_float_final``: ~5 times faster, for the ~100,000 enrollments
    of a whole-school date range) unless the result lies too near a half cent to be sure
    of its rounding; then, and as the reference, in Decimal (``_decimal_final``)."""
    found = _float_final(course, grades, exams, daily, counts)
    if found is not _UNSURE:
        return found
    return _decimal_final(course, grades, exams, daily, counts)


def _float_final(
    course: CourseRules,
    grades: Mapping[str, Sequence],
    exams: Mapping[str, Any],
    daily: Mapping[str, Sequence],
    counts: AttendanceCounts,
) -> Decimal | None | object:
    """``_decimal_final`` in floats, rounded half up to the cent, or ``_UNSURE``."""
    rate = None
    if course.takes_attendance:
        countable = counts.present + counts.absent + counts.late
        if countable > 0:
            rate = (counts.present + counts.late) / countable * 100
    if not (grades or exams or daily) and rate is None:
        return None
    weighted = 0.0
    mask = 0
    for bit, key, kind, weight, multiplier in course.steps:
        if kind == _ATTENDANCE:
            if rate is None:
                continue
            average = rate
        else:
            if kind == _EXAM and key in exams:
                weighted += float(exams[key]) * weight
                mask |= bit
                continue
            part = grades.get(key)
            extra = daily.get(key) if multiplier else None
            if part is None and extra is None:
                continue
            total = weights = 0.0
            if part is not None:
                total, weights = float(part[0]), float(part[1])
            if extra is not None:
                total += float(extra[0]) * multiplier
                weights += multiplier * extra[1]
            if weights <= 0:
                continue
            average = total / weights
        weighted += average * weight
        mask |= bit
    if not mask:
        return None
    value = weighted * course.scale(mask) - float(course.absence_penalty) * counts.absent
    if value <= 0:
        return _NO_CENTS
    cents = value * 100
    if not math.isfinite(cents):
        return _UNSURE
    whole = math.floor(cents)
    fraction = cents - whole
    if abs(fraction - 0.5) < _UNSURE_CENTS:
        return _UNSURE
    return Decimal(whole + (fraction > 0.5)).scaleb(-2)


def _decimal_final(
    course: CourseRules,
    grades: Mapping[str, Sequence],
    exams: Mapping[str, Any],
    daily: Mapping[str, Sequence],
    counts: AttendanceCounts,
) -> Decimal | None:
    """``final_grade`` through the engine's own Decimal steps."""
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
        return risk_level_whatever_the_trend(self.average, self.attendance_rate)


def level_at_a_glance(
    finals: Iterable[tuple[Decimal | None, int]], counts: AttendanceCounts
) -> str | None:
    """``StudentStanding.of(finals, counts).level_without_trend()`` in floats, for a whole
    school's ~10,000 students, or None when the float values cannot tell (near a band's
    limit) or a trend could change the level: then ask the ``StudentStanding``."""
    credits = total = 0.0
    for final, weight in finals:
        if final is not None:
            credits += weight
            total += float(final) * weight
    average = total / credits if credits else None
    countable = counts.present + counts.absent + counts.late
    rate = (counts.present + counts.late) / countable * 100 if countable > 0 else None
    return risk_level_at_a_glance(average, rate)


__all__ = ["CourseRules", "StudentStanding", "final_grade", "level_at_a_glance"]
