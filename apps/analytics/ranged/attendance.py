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


# A float rate this far above the threshold is above it once rounded to 2 decimals
# (rounding moves it by at most 0.005; the float's own error is ~1e-13).
_CLEAR_MARGIN = 0.01


def attendance_standings(
    selection: Selection, threshold: Decimal | None = None, consecutive: int | None = None
) -> list[AttendanceStanding]:
    """The selection's counted enrollments with their attendance in its date range; with
    a ``threshold`` and a ``consecutive`` run, only those that may raise an alert (their
    rate below it, or such a run of absences): the rest are told apart in floats without
    a Decimal rate or a row each (a whole school's day: ~37,000 enrollments with records,
    a few hundred alerts)."""
    pairs = enrollment_pairs(selection)
    if not pairs:
        return []
    selection = selection.narrowed(pairs)
    counts = attendance_counts(selection)
    runs = longest_runs(selection)
    alerts_only = threshold is not None and consecutive is not None
    clear = float(threshold) + _CLEAR_MARGIN if alerts_only else None
    standings = []
    for pair in pairs:
        found = counts.get(pair)
        if found is None:  # no record in the range: no rate, no absence, no alert
            if not alerts_only:
                standings.append(AttendanceStanding(pair[0], pair[1], None, 0, 0))
            continue
        present, absent, late, excused = found
        run = runs.get(pair, 0)
        if alerts_only and run < consecutive:
            countable = present + absent + late
            if not countable or (present + late) * 100 / countable >= clear:
                continue
        standings.append(
            AttendanceStanding(
                pair[0],
                pair[1],
                grading.attendance_rate(present, absent, late, excused),
                absent,
                run,
            )
        )
    return standings
