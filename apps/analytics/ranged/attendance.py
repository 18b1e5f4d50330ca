"""Each enrollment's attendance over a date range from the daily attendance rollups alone:
what the attendance alerts show (rate, unexcused absences, the longest run), without
finishing any grade."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from apps.academics import grading
from apps.analytics.ranged.reading import Selection, enrollment_pairs
from apps.analytics.ranged.sums import attendance_counts, longest_runs


@dataclass(frozen=True, slots=True)
class AttendanceStanding:
    """The attendance fields of one enrollment's ``CourseResult``, and nothing else."""

    student_id: int
    course_id: int
    attendance_rate: Decimal | None
    unexcused_absences: int
    consecutive_absences: int


def attendance_standings(selection: Selection) -> list[AttendanceStanding]:
    """The selection's counted enrollments with their attendance in its date range."""
    pairs = enrollment_pairs(selection)
    if not pairs:
        return []
    selection = selection.narrowed(pairs)
    counts = attendance_counts(selection)
    runs = longest_runs(selection)
    standings = []
    for pair in pairs:
        found = counts.get(pair)
        if found is None:  # no record in the range: no rate, no absence
            standings.append(AttendanceStanding(pair[0], pair[1], None, 0, 0))
            continue
        present, absent, late, excused = found
        standings.append(
            AttendanceStanding(
                pair[0],
                pair[1],
                grading.attendance_rate(present, absent, late, excused),
                absent,
                runs.get(pair, 0),
            )
        )
    return standings
