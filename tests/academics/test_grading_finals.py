"""The lean finisher (``grading.finals``) gives the final grade and risk level that
``finalise_course_result`` and ``summarise_student`` give for the same sums."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from apps.academics import grading
from apps.academics.grading import finals
from apps.academics.grading import rules as grading_rules
from apps.academics.grading.finals import CourseRules, StudentStanding, final_grade

RULES = (
    [{"category": "Midterm", "weight": 40}, {"category": "Final", "weight": 60}],
    [
        {"category": "Homework", "weight": 50, "daily_performance_multiplier": 2},
        {"category": "Lab", "weight": 30, "include_daily_performance": False},
        {"category": "Attendance", "weight": 20},
    ],
    [{"category": "Homework", "weight": 60}, {"category": "Quiz", "weight": 30}],
    [],
)
KEYS = ("midterm", "homework", "lab", "quiz", "attendance", "other")
EXAMS = ("final", "midterm")
amount = st.floats(min_value=0, max_value=100, allow_nan=False).map(lambda x: round(x, 3))
sums = st.dictionaries(
    st.sampled_from(KEYS), st.tuples(amount, st.integers(1, 5), st.integers(1, 5)), max_size=4
)
counts = st.tuples(*(st.integers(0, 6) for _ in range(4)))


@given(
    rules=st.sampled_from(RULES),
    penalty=st.sampled_from((0, 2, Decimal("0.5"))),
    grades=sums,
    exams=st.dictionaries(st.sampled_from(EXAMS), amount, max_size=2),
    daily=st.dictionaries(st.sampled_from(KEYS), st.tuples(amount, st.integers(1, 3)), max_size=2),
    attendance=counts,
)
def test_final_grade_equals_the_engines_finishing(rules, penalty, grades, exams, daily, attendance):
    course = CourseRules.of(rules, penalty, 3)
    grade_sums = {key: (total * weights, weights, n) for key, (total, weights, n) in grades.items()}
    counted = grading.AttendanceCounts(*attendance)
    totals = {
        key: grading.CategoryTotals(grading.to_decimal(w), grading.to_decimal(ws), n)
        for key, (w, ws, n) in grade_sums.items()
    }
    totals.update(
        {
            key: grading.CategoryTotals(grading.to_decimal(p), grading.ONE, 1)
            for key, p in exams.items()
        }
    )
    engine = grading.finalise_course_result(
        student_id=1,
        course_id=1,
        rules=course.rules,
        totals=grading.apply_daily(
            course.rules,
            totals,
            {key: (grading.to_decimal(t), n) for key, (t, n) in daily.items()},
        ),
        attendance=counted,
        absence_penalty=penalty,
    )

    lean = final_grade(course, grade_sums, exams, daily, counted)

    assert lean == engine.final_grade


@given(
    finals=st.lists(
        st.tuples(st.one_of(st.none(), amount.map(grading.to_decimal)), st.integers(1, 5)),
        max_size=4,
    ),
    attendance=counts,
    trend=st.sampled_from(("insufficient_data", "stable", "declining", "improving")),
)
def test_student_standing_gives_the_summarys_risk_level(finals, attendance, trend):
    courses = [
        grading.CourseResult(
            student_id=1,
            course_id=n,
            final_grade=None if final is None else grading.round2(final),
            gpa=grading.gpa_points(None if final is None else grading.round2(final)),
            greek_grade=None,
            letter_grade=None,
            total_weight_used=grading.ZERO,
            category_breakdown={},
            attendance_rate=None,
            unexcused_absences=0,
            absence_deduction=grading.ZERO,
            consecutive_absences=0,
            reason=None,
            passed=None,
            credits=credits,
            attendance_counts=grading.AttendanceCounts(*attendance)
            if n == 0
            else grading.AttendanceCounts(),
        )
        for n, (final, credits) in enumerate(finals)
    ]
    summary = grading.summarise_student(student_id=1, courses=courses, trend=trend)

    standing = StudentStanding.of(
        [(c.final_grade, c.credits) for c in courses],
        sum((c.attendance_counts for c in courses), grading.AttendanceCounts()),
    )

    assert standing.level(trend) == summary.risk.level
    assert standing.level_without_trend() in (None, summary.risk.level)


WEIGHTED_RULES = (
    # Weights that add up to 100 only in Decimal (0.1 + 0.2 ≠ 0.3 in floats), below and
    # above 100, a multiplier with a fraction.
    [
        {"category": "Homework", "weight": "33.33"},
        {"category": "Quiz", "weight": "33.33"},
        {"category": "Lab", "weight": "33.34", "daily_performance_multiplier": "0.5"},
    ],
    [{"category": "Homework", "weight": "0.1"}, {"category": "Final", "weight": "0.2"}],
    [{"category": "Homework", "weight": 70}, {"category": "Attendance", "weight": 45}],
)


@given(
    rules=st.sampled_from(RULES + WEIGHTED_RULES),
    penalty=st.sampled_from((0, 2, Decimal("0.5"), Decimal("0.25"))),
    grades=sums,
    exams=st.dictionaries(st.sampled_from(EXAMS), amount, max_size=2),
    daily=st.dictionaries(st.sampled_from(KEYS), st.tuples(amount, st.integers(1, 3)), max_size=2),
    attendance=counts,
)
def test_the_float_finish_equals_the_decimal_one_or_defers_to_it(
    rules, penalty, grades, exams, daily, attendance
):
    course = CourseRules.of(rules, penalty, 3)
    counted = grading.AttendanceCounts(*attendance)
    args = (course, grades, exams, daily, counted)

    fast = finals._float_final(*args)

    assert fast is finals._UNSURE or fast == finals._decimal_final(*args)
    if fast is not finals._UNSURE and fast is not None:
        assert fast.as_tuple().exponent == -2  # shown as "85.40", like the engine's


@pytest.mark.parametrize(
    ("average", "expected"),
    [
        ("85.005", Decimal("85.01")),  # 85.00499… in floats: half up in Decimal
        ("84.995", Decimal("85.00")),
        ("0.005", Decimal("0.01")),
        ("85.004", Decimal("85.00")),
    ],
)
def test_a_final_on_a_half_cent_rounds_up_as_the_engine_does(average, expected):
    course = CourseRules.of([{"category": "Homework", "weight": 100}], 0, 3)
    grades = {"homework": (float(average), 1.0, 1)}

    assert final_grade(course, grades, {}, {}, grading.AttendanceCounts()) == expected


@pytest.mark.parametrize(
    "average",
    [
        None,
        Decimal("39.99"),
        Decimal("50"),
        Decimal("64.99"),
        Decimal("65"),
        Decimal("74.99"),
        Decimal("80"),
    ],
)
@pytest.mark.parametrize(
    "rate", [None, Decimal("69.99"), Decimal("70"), Decimal("79.99"), Decimal("95")]
)
def test_a_level_no_trend_could_change_is_the_level_of_every_trend(average, rate):
    """Without a trend the dashboard's risk counts read no trend segment: only when the
    level is the same whatever the trend, which one pass over the bands decides."""
    trends = ("improving", "stable", "insufficient_data", "declining")
    levels = {grading.risk_assessment(average, rate, trend).level for trend in trends}

    found = grading_rules.risk_level_whatever_the_trend(average, rate)

    assert found == (levels.pop() if len(levels) == 1 else None)


@given(
    enrolled=st.lists(
        st.tuples(st.one_of(st.none(), amount.map(grading.to_decimal)), st.integers(0, 5)),
        max_size=4,
    ),
    attendance=counts,
)
def test_the_level_at_a_glance_is_the_standings_or_defers_to_it(enrolled, attendance):
    graded = [
        (None if final is None else grading.round2(final), credits) for final, credits in enrolled
    ]
    pooled = grading.AttendanceCounts(*attendance)

    glance = finals.level_at_a_glance(graded, pooled)

    assert glance in (None, StudentStanding.of(graded, pooled).level_without_trend())


@pytest.mark.parametrize(
    ("average", "rate", "expected"),
    [
        # Far from every limit: told in floats.
        ("40.00", "95.00", "medium"),  # 40 points, whatever the trend
        ("90.00", "60.00", "medium"),  # 35 points
        ("90.00", "95.00", "low"),
        # Within a cent of a limit: rounded to cents they reach it (high in floats, medium
        # or high with the trend in Decimal), so the engine's steps decide.
        ("49.996", "60.00", None),
        ("40.00", "69.996", None),
        # A trend could change it (25 points: low, or medium when declining).
        ("60.00", "95.00", None),
    ],
)
def test_the_level_at_a_glance_defers_near_a_limit(average, rate, expected):
    """One course of one credit; the rate from 1,000,000 countable records."""
    present = round(float(rate) * 10_000)
    pooled = grading.AttendanceCounts(present=present, absent=1_000_000 - present)

    assert finals.level_at_a_glance([(Decimal(average), 1)], pooled) == expected
