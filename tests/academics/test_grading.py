"""The grade engine's rules (SPEC §2.1), each with the exact numbers of docs/grading.md."""

import datetime as dt
from decimal import Decimal

import pytest

from apps.academics.grading import (
    AttendanceCounts,
    DailyItem,
    GradeItem,
    attendance_rate,
    category_key,
    compute_course_result,
    course_result,
    least_squares_slope,
    letter_grade,
    parse_rules,
    risk_assessment,
    student_summary,
    summarise_student,
    trend_label,
)
from tests.factories import (
    AttendanceFactory,
    CourseFactory,
    DailyPerformanceFactory,
    GradeFactory,
    StudentFactory,
    enroll,
)

D = Decimal
MIDTERM_FINAL = parse_rules(
    [{"category": "Midterm", "weight": 40}, {"category": "Final", "weight": 60}]
)


NO_ATTENDANCE = AttendanceCounts()


def _result(rules, grades=(), daily=(), attendance=NO_ATTENDANCE, penalty=0, credits=3):
    return compute_course_result(
        student_id=1,
        course_id=1,
        rules=parse_rules(rules) if isinstance(rules, list) else rules,
        grades=grades,
        daily=daily,
        attendance=attendance,
        absence_penalty=penalty,
        credits=credits,
    )


def _grade(category, grade, max_grade=100, weight=1, submitted=None, assigned=None, id=0):
    return GradeItem(
        category=category,
        grade=D(str(grade)),
        max_grade=D(str(max_grade)),
        weight=D(str(weight)),
        date_assigned=assigned or dt.date(2025, 10, 1),
        date_submitted=submitted,
        id=id,
    )


# --- Categories -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("Τελική Εξέταση", "final"),
        ("Final Exam", "final"),
        ("final", "final"),
        ("FINAL-EXAMINATION", "final"),
        ("Final Project", "final project"),
        ("Ενδιάμεση εξέταση", "midterm"),
        ("Mid-term", "midterm"),
        ("Εργασίες", "homework"),
        ("Assignments", "homework"),
        ("Continuous Assessment", "continuous"),
        ("Παρουσίες", "attendance"),
    ],
)
def test_category_key_matches_greek_and_english_synonyms(name, key):
    assert category_key(name) == key


def test_compute_course_result_counts_greek_and_english_final_as_one_category():
    rules = [{"category": "Τελική Εξέταση", "weight": 60}, {"category": "Εργασίες", "weight": 40}]
    grades = [
        _grade("Final Exam", 80, submitted=dt.date(2026, 1, 10), id=1),
        _grade("final", 90, submitted=dt.date(2026, 1, 20), id=2),
        _grade("Homework", 70, id=3),
        _grade("Final Project", 100, id=4),
    ]

    result = _result(rules, grades)

    assert result.final_grade == D("82.00")
    assert set(result.category_breakdown) == {"final", "homework"}
    assert result.category_breakdown["final"]["label"] == "Τελική Εξέταση"
    assert result.category_breakdown["final"]["average"] == D("90.00")
    assert result.category_breakdown["final"]["contribution"] == D("54.00")
    assert result.category_breakdown["homework"]["contribution"] == D("28.00")


def test_compute_course_result_gives_final_project_its_own_category():
    rules = [{"category": "Final Project", "weight": 50}, {"category": "Final", "weight": 50}]
    grades = [_grade("Final Project", 100, id=1), _grade("Final Exam", 60, id=2)]

    result = _result(rules, grades)

    assert result.category_breakdown["final project"]["average"] == D("100.00")
    assert result.category_breakdown["final"]["average"] == D("60.00")
    assert result.final_grade == D("80.00")


# --- Exams: latest only -----------------------------------------------------------------------
def test_compute_course_result_counts_only_latest_exam_sitting():
    grades = [
        _grade("Midterm", 70, submitted=dt.date(2025, 11, 15), id=1),
        _grade("Final", 50, submitted=dt.date(2026, 1, 20), id=2),
        _grade("Final", 90, submitted=dt.date(2026, 2, 10), id=3),
    ]

    result = _result(MIDTERM_FINAL, grades)

    assert result.final_grade == D("82.00")
    assert result.category_breakdown["final"]["items"] == 1
    assert result.letter_grade == "B-"


def test_compute_course_result_uses_date_assigned_then_highest_id_for_exams():
    grades = [
        _grade("Final", 40, assigned=dt.date(2026, 2, 1), id=7),
        _grade("Final", 95, assigned=dt.date(2026, 2, 1), id=9),
        _grade("Final", 10, assigned=dt.date(2026, 1, 1), submitted=dt.date(2026, 1, 31), id=12),
    ]

    result = _result([{"category": "Final", "weight": 100}], grades)

    assert result.final_grade == D("95.00")


def test_compute_course_result_ignores_daily_performance_for_exams():
    daily = [DailyItem("Final", D("2"), D("10"))]

    result = _result(MIDTERM_FINAL, [_grade("Final", 90, id=1)], daily)

    assert result.final_grade == D("90.00")


# --- Weighted categories and daily performance ------------------------------------------------
HOMEWORK_FINAL = [
    {"category": "Homework", "weight": 50, "daily_performance_multiplier": 2},
    {"category": "Final", "weight": 50},
]
HOMEWORK_GRADES = [
    _grade("Homework", 60, weight=1, id=1),
    _grade("Homework", 90, weight=2, id=2),
    _grade("Final", 70, id=3),
]


def test_compute_course_result_weights_daily_performance_by_multiplier():
    daily = [DailyItem("Εργασία", D("5"), D("10"))]

    result = _result(HOMEWORK_FINAL, HOMEWORK_GRADES, daily)

    assert result.category_breakdown["homework"]["average"] == D("68.00")
    assert result.category_breakdown["homework"]["items"] == 3
    assert result.final_grade == D("69.00")
    assert result.letter_grade == "D"


def test_compute_course_result_leaves_out_daily_performance_when_rule_excludes_it():
    rules = [dict(HOMEWORK_FINAL[0], include_daily_performance=False), HOMEWORK_FINAL[1]]
    daily = [DailyItem("Homework", D("5"), D("10"))]

    result = _result(rules, HOMEWORK_GRADES, daily)

    assert result.category_breakdown["homework"]["average"] == D("80.00")
    assert result.final_grade == D("75.00")


def test_compute_course_result_ignores_grades_of_weight_zero():
    grades = [_grade("Homework", 100, weight=0, id=1), _grade("Homework", 40, weight=1, id=2)]

    result = _result([{"category": "Homework", "weight": 100}], grades)

    assert result.final_grade == D("40.00")
    assert result.category_breakdown["homework"]["items"] == 1


def test_compute_course_result_has_no_grade_when_all_weights_are_zero():
    grades = [_grade("Homework", 100, weight=0, id=1)]

    result = _result([{"category": "Homework", "weight": 100}], grades)

    assert result.final_grade is None
    assert result.reason == "no_grades"
    assert result.category_breakdown["homework"]["average"] is None


def test_compute_course_result_uses_percentages_of_max_grade():
    grades = [_grade("Quiz", 15, max_grade=20, id=1), _grade("Quiz", 2, max_grade=3, id=2)]

    result = _result([{"category": "Quiz", "weight": 100}], grades)

    assert result.final_grade == D("70.83")


def test_compute_course_result_rounds_half_up():
    grades = [_grade("Lab", "34.45", max_grade=40, id=1)]

    result = _result([{"category": "Lab", "weight": 100}], grades)

    assert result.final_grade == D("86.13")


# --- Rescaling and penalties ------------------------------------------------------------------
def test_compute_course_result_rescales_when_weights_used_below_100():
    rules = [
        {"category": "Homework", "weight": 20},
        {"category": "Midterm", "weight": 30},
        {"category": "Final", "weight": 50},
    ]
    grades = [_grade("Homework", 90, id=1), _grade("Midterm", 60, id=2)]

    result = _result(rules, grades)

    assert result.total_weight_used == D("50.00")
    assert result.final_grade == D("72.00")
    assert result.category_breakdown["final"]["average"] is None


def test_compute_course_result_subtracts_absence_penalty_per_unexcused_absence():
    grades = [_grade("Midterm", 70, id=1), _grade("Final", 90, id=2)]
    attendance = AttendanceCounts(present=10, absent=3, late=1, excused=2)

    result = _result(MIDTERM_FINAL, grades, attendance=attendance, penalty=D("2.5"))

    assert result.unexcused_absences == 3
    assert result.absence_deduction == D("7.50")
    assert result.final_grade == D("74.50")
    assert result.letter_grade == "C"


def test_compute_course_result_floors_penalised_grade_at_zero():
    grades = [_grade("Midterm", 70, id=1), _grade("Final", 90, id=2)]

    result = _result(MIDTERM_FINAL, grades, attendance=AttendanceCounts(absent=4), penalty=30)

    assert result.absence_deduction == D("120.00")
    assert result.final_grade == D("0.00")
    assert result.letter_grade == "F"
    assert result.passed is False


def test_compute_course_result_uses_attendance_rate_for_attendance_rule():
    rules = [{"category": "Παρουσίες", "weight": 10}, {"category": "Final", "weight": 90}]
    attendance = AttendanceCounts(present=7, absent=1, late=1, excused=1)

    result = _result(rules, [_grade("Final", 80, id=1)], attendance=attendance)

    assert result.category_breakdown["attendance"]["average"] == D("88.89")
    assert result.final_grade == D("80.89")


# --- Missing data -----------------------------------------------------------------------------
def test_compute_course_result_without_rules_has_null_grade_and_reason():
    result = _result([], [_grade("Final", 90, id=1)])

    assert result.final_grade is None
    assert result.gpa is None
    assert result.letter_grade is None
    assert result.reason == "no_evaluation_rules"


def test_compute_course_result_without_grades_has_null_grade_and_reason():
    result = _result(MIDTERM_FINAL, [])

    assert result.final_grade is None
    assert result.reason == "no_grades"
    assert result.passed is None


# --- Conversions ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("final", "letter"),
    [
        ("100", "A+"), ("97", "A+"), ("96.99", "A"), ("93", "A"), ("92.99", "A-"),
        ("90", "A-"), ("89.99", "B+"), ("87", "B+"), ("86.99", "B"), ("83", "B"),
        ("82.99", "B-"), ("80", "B-"), ("79.99", "C+"), ("77", "C+"), ("76.99", "C"),
        ("70", "C"), ("69.99", "D"), ("60", "D"), ("59.99", "F"), ("0", "F"),
    ],
)  # fmt: skip
def test_letter_grade_boundaries(final, letter):
    assert letter_grade(D(final)) == letter


@pytest.mark.parametrize(
    ("grade", "gpa", "greek", "passed"),
    [
        ("82", D("3.28"), D("16.40"), True),
        ("50", D("2.00"), D("10.00"), True),
        ("49.99", D("2.00"), D("10.00"), False),
        ("87.5", D("3.50"), D("17.50"), True),
    ],
)
def test_compute_course_result_converts_final_to_gpa_greek_and_pass(grade, gpa, greek, passed):
    result = _result([{"category": "Final", "weight": 100}], [_grade("Final", grade, id=1)])

    assert (result.gpa, result.greek_grade, result.passed) == (gpa, greek, passed)


# --- Attendance -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("present", "absent", "late", "excused", "rate"),
    [
        (7, 1, 1, 1, D("88.89")),
        (3, 1, 0, 0, D("75.00")),
        (0, 2, 2, 6, D("50.00")),
        (0, 0, 0, 3, None),
        (0, 0, 0, 0, None),
    ],
)
def test_attendance_rate_counts_late_as_present_and_leaves_out_excused(
    present, absent, late, excused, rate
):
    assert attendance_rate(present, absent, late, excused) == rate


# --- Trend ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("values", "label"),
    [
        (["10", "50", "90"], "insufficient_data"),
        (["60", "60", "60", "60"], "stable"),
        (["70", "70.5", "71", "71.5"], "stable"),
        (["70", "70.6", "71.2", "71.8"], "improving"),
        (["80", "79.5", "79", "78.5"], "stable"),
        (["80", "79.4", "78.8", "78.2"], "declining"),
        (["50", "90", "40", "80", "30"], "declining"),
    ],
)
def test_trend_label_thresholds(values, label):
    assert trend_label([D(value) for value in values]) == label


def test_least_squares_slope_per_item():
    assert least_squares_slope([D(50), D(90), D(40), D(80), D(30)]) == D("-5.000000")


# --- Risk -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("average", "rate", "trend", "score", "level", "codes"),
    [
        ("45", "65", "declining", 90, "high",
         ["average_below_50", "attendance_below_70", "trend_declining"]),
        ("50", "90", "stable", 25, "low", ["average_below_65"]),
        ("60", "75", "improving", 35, "medium",
         ["average_below_65", "attendance_below_80", "trend_improving"]),
        ("74.99", "69.99", "stable", 45, "medium", ["average_below_75", "attendance_below_70"]),
        ("48", "79", "stable", 55, "medium", ["average_below_50", "attendance_below_80"]),
        ("40", "60", "stable", 75, "high", ["average_below_50", "attendance_below_70"]),
        ("75", "80", "stable", 0, "low", []),
        ("90", "95", "improving", 0, "low", ["trend_improving"]),
        (None, None, "insufficient_data", 0, "low", []),
    ],
)  # fmt: skip
def test_risk_assessment_bands_and_reasons(average, rate, trend, score, level, codes):
    risk = risk_assessment(
        None if average is None else D(average), None if rate is None else D(rate), trend
    )

    assert (risk.score, risk.level) == (score, level)
    assert [reason.code for reason in risk.reasons] == codes


def test_risk_assessment_explains_each_reason():
    risk = risk_assessment(D("45.00"), D("65.00"), "declining")

    assert [(reason.points, reason.message) for reason in risk.reasons] == [
        (40, "Average grade 45.00 is below 50."),
        (35, "Attendance rate 65.00% is below 70%."),
        (15, "Grades are declining."),
    ]


# --- Student summary --------------------------------------------------------------------------
def test_summarise_student_weights_gpa_and_average_by_credits():
    final_only = [{"category": "Final", "weight": 100}]
    courses = [
        _result(final_only, [_grade("Final", 90, id=1)], credits=6),
        _result(final_only, [_grade("Final", 60, id=2)], credits=2),
        _result(final_only, [], credits=12),
    ]

    summary = summarise_student(student_id=1, courses=courses, trend="stable")

    assert summary.average_grade == D("82.50")
    assert summary.gpa == D("3.30")


def test_summarise_student_pools_attendance_across_courses():
    courses = [
        _result([], attendance=AttendanceCounts(present=9, absent=1)),
        _result([], attendance=AttendanceCounts(present=1, absent=1, late=2, excused=4)),
    ]

    summary = summarise_student(student_id=1, courses=courses, trend="insufficient_data")

    assert summary.attendance_rate == D("85.71")
    assert summary.average_grade is None
    assert summary.risk.level == "low"


# --- Loading one student from the database ----------------------------------------------------
@pytest.fixture
def course(db):
    return CourseFactory(
        course_code="NET101",
        credits=4,
        absence_penalty=D("1.5"),
        evaluation_rules=[
            {"category": "Τελική Εξέταση", "weight": 60},
            {"category": "Εργασίες", "weight": 40, "daily_performance_multiplier": 0.5},
        ],
    )


def test_course_result_reads_grades_daily_performance_and_attendance(course):
    student = StudentFactory()
    enroll(student, course)
    GradeFactory(
        student=student,
        course=course,
        category="Final Exam",
        grade=50,
        date_submitted=dt.date(2026, 1, 10),
    )
    GradeFactory(
        student=student,
        course=course,
        category="final",
        grade=88,
        date_submitted=dt.date(2026, 2, 1),
    )
    GradeFactory(student=student, course=course, category="Homework", grade=70, weight=2)
    DailyPerformanceFactory(student=student, course=course, category="εργασίες", score=10)
    for day, period, status in [
        (1, 2, "absent"),
        (1, 1, "present"),
        (2, 1, "absent"),
        (3, 1, "late"),
        (4, 1, "absent"),
        (4, 2, "absent"),
        (5, 1, "absent"),
        (6, 1, "excused"),
    ]:
        AttendanceFactory(student=student, course=course, date=dt.date(2025, 10, day),
                          period_number=period, status=status)  # fmt: skip

    result = course_result(student, course)

    assert result.category_breakdown["homework"]["average"] == D("76.00")
    assert result.final_grade == D("75.70")
    assert result.unexcused_absences == 5
    assert result.absence_deduction == D("7.50")
    assert result.attendance_rate == D("28.57")
    assert result.consecutive_absences == 3
    assert result.course_code == "NET101"


def test_course_result_of_dropped_enrollment_has_no_grade(course):
    student = StudentFactory()
    enroll(student, course, status="dropped")
    GradeFactory(student=student, course=course, category="Final", grade=90)

    result = course_result(student, course)

    assert result.final_grade is None
    assert result.reason == "not_enrolled"


def test_student_summary_leaves_out_dropped_and_deleted_courses(course):
    student = StudentFactory()
    enroll(student, course)
    GradeFactory(student=student, course=course, category="Final", grade=80)
    dropped, deleted = CourseFactory(credits=6), CourseFactory(credits=6)
    enroll(student, dropped, status="dropped")
    enroll(student, deleted, status="completed")
    deleted.deleted_at = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    deleted.save()
    for other in (dropped, deleted):
        GradeFactory(student=student, course=other, category="Final", grade=20)
        AttendanceFactory(student=student, course=other, status="absent")
    AttendanceFactory(student=student, course=course, status="present")

    summary = student_summary(student)

    assert [result.course_id for result in summary.courses] == [course.pk]
    assert summary.average_grade == D("80.00")
    assert summary.gpa == D("3.20")
    assert summary.attendance_rate == D("100.00")


def test_student_summary_trend_follows_submission_order_across_courses(course):
    student = StudentFactory()
    other = CourseFactory(evaluation_rules=[{"category": "Quiz", "weight": 100}], credits=2)
    enroll(student, course)
    enroll(student, other)
    # Submitted in the order 90, 75, 70, 60: declining, although assigned the other way.
    for target, grade, submitted in [
        (course, 60, dt.date(2025, 12, 1)),
        (other, 70, dt.date(2025, 11, 20)),
        (other, 75, None),
        (course, 90, dt.date(2025, 10, 5)),
    ]:
        GradeFactory(student=student, course=target, category="Homework", grade=grade,
                     date_assigned=dt.date(2025, 10, 1) if submitted else dt.date(2025, 11, 1),
                     date_submitted=submitted)  # fmt: skip

    summary = student_summary(student)

    assert summary.trend == "declining"
    assert summary.trend_slope == D("-9.500000")
    assert summary.risk.score == 15
    assert [reason.code for reason in summary.risk.reasons] == ["trend_declining"]
