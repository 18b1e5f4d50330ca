"""The engine's values: frozen dataclasses for its inputs and its results.

Inputs (rules, grade items, daily performance, attendance counts, per-category totals)
carry no database rows, so the rules can be computed and tested without one. Results
(``CourseResult``, ``StudentSummary``) also read like the dicts the API returns.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from apps.academics.grading.decimals import HUNDRED, ONE, ZERO, to_decimal
from apps.academics.grading.keys import category_key
from apps.academics.models import AttendanceStatus

_STATUSES = tuple(AttendanceStatus.values)


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

    @classmethod
    def pooled(cls, counts: Iterable[AttendanceCounts]) -> AttendanceCounts:
        """The sum of ``counts``, added as plain integers: one object per addition
        (``sum`` with ``+``) cost a whole school's students ~0.1 s."""
        present = absent = late = excused = 0
        for each in counts:
            present += each.present
            absent += each.absent
            late += each.late
            excused += each.excused
        return cls(present, absent, late, excused)

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
