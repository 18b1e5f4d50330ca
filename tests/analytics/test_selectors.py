"""Every figure of the analytics against the hand-built school in conftest.py."""

import datetime as dt

from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.academics.filtering import RecordFilters
from apps.analytics import results, selectors
from tests.factories import CourseFactory, GradeFactory, StudentFactory, enroll


def _context(user, **filters):
    return selectors.AnalyticsContext(user, RecordFilters(**filters))


def test_dashboard_totals_and_rates_for_admin(school, admin_user):
    context = _context(admin_user)

    data = selectors.dashboard(context)

    assert data["totals"] == {
        "students": 3,
        "active_students": 3,
        "courses": 2,
        "enrollments": 4,
        "grades": 7,
        "attendance_records": 10,
    }
    assert data["average_grade"] == 70.5  # (86 + 46 + 80 + 70) / 4
    assert data["pass_rate"] == 75.0
    assert data["attendance_rate"] == 44.44  # (3 present + 1 late) / (10 − 1 excused)
    assert data["at_risk"] == {"high": 1, "medium": 1}
    assert data["attendance_trend"] == [
        {"week_start": "2025-10-06", "rate": 33.33},
        {"week_start": "2025-10-13", "rate": 66.67},
    ]
    assert [c["course_code"] for c in data["top_courses"]] == ["PHYS1", "MATH1"]
    assert data["bottom_courses"][0]["average_final_grade"] == 66.0


def test_dashboard_grade_distribution_counts_final_grades_by_letter(school, admin_user):
    context = _context(admin_user)

    buckets = {b["label"]: b for b in selectors.dashboard(context)["grade_distribution"]}

    assert {label: b["count"] for label, b in buckets.items() if b["count"]} == {
        "B": 1,
        "B-": 1,
        "C": 1,
        "F": 1,
    }
    assert buckets["F"]["percent"] == 25.0


def test_grades_statistics_of_item_percentages(school, admin_user):
    context = _context(admin_user)

    data = selectors.grades(context)

    # Items (dropped enrollment left out): 40 50 70 70 80 90 90.
    assert data["count"] == 7
    assert (data["mean"], data["median"], data["min"], data["max"]) == (70.0, 70.0, 40.0, 90.0)
    assert (data["p25"], data["p75"]) == (60.0, 85.0)
    assert data["stdev"] == 17.73
    assert data["pass_rate"] == 85.71
    assert [b["count"] for b in data["histogram"]] == [0, 0, 0, 0, 1, 1, 0, 2, 1, 2]
    assert data["by_category"] == [
        {"category": "final", "count": 2, "mean": 70.0},
        {"category": "homework", "count": 3, "mean": 76.67},
        {"category": "midterm", "count": 2, "mean": 60.0},
    ]


def test_grades_statistics_over_a_range_of_every_item_equal_the_stored_ones(school, admin_user):
    stored = selectors.grades(_context(admin_user))
    # A date filter reads the raw items (one grouped read by category and percentage).
    ranged = selectors.grades(
        _context(admin_user, date_from=dt.date(2000, 1, 1), date_to=dt.date(2100, 1, 1))
    )

    assert {k: v for k, v in ranged.items() if k != "generated_at"} == {
        k: v for k, v in stored.items() if k != "generated_at"
    }
    assert ranged["by_category"][1] == {"category": "homework", "count": 3, "mean": 76.67}


def test_attendance_breakdowns_and_alerts(school, admin_user):
    context = _context(admin_user)

    data = selectors.attendance(context)

    assert data["records"] == 10
    assert data["by_status"] == {"present": 3, "absent": 5, "late": 1, "excused": 1}
    assert [(d["name"], d["records"], d["rate"]) for d in data["by_weekday"]] == [
        ("Monday", 5, 80.0),
        ("Tuesday", 3, 0.0),
        ("Wednesday", 2, 0.0),
    ]
    assert [(p["period"], p["rate"]) for p in data["by_period"]] == [(1, 37.5), (2, 100.0)]
    assert {(c["weekday"], c["period"]): c["rate"] for c in data["heatmap"]}[(1, 1)] == 75.0
    assert [(c["course_code"], c["rate"]) for c in data["by_course"]] == [
        ("MATH1", 42.86),
        ("PHYS1", 50.0),
    ]
    assert [
        (a["name"], a["course_code"], a["rate"], a["consecutive_absences"]) for a in data["alerts"]
    ] == [
        ("Gamma Chloe", "PHYS1", 0.0, 1),
        ("Beta Ben", "MATH1", 25.0, 3),
        ("Alpha Ana", "MATH1", 66.67, 1),
    ]


def test_attendance_alerts_follow_threshold_and_consecutive(school, admin_user):
    context = _context(admin_user, threshold=20, consecutive=3)

    alerts = selectors.attendance(context)["alerts"]

    # Chloe is under 20 %; Ben is not, but has 3 absences in a row.
    assert [a["name"] for a in alerts] == ["Gamma Chloe", "Beta Ben"]


def test_courses_compare_final_grades_attendance_and_risk(school, admin_user):
    context = _context(admin_user)

    rows = {row["course_code"]: row for row in selectors.courses(context)["results"]}

    assert rows["MATH1"] == {
        "course_id": school.math.pk,
        "course_code": "MATH1",
        "course_name": "Mathematics",
        "enrolled": 2,
        "average_final_grade": 66.0,
        "median_final_grade": 66.0,
        "pass_rate": 50.0,
        "attendance_rate": 42.86,
        "stdev": 20.0,
        "at_risk": 1,
    }
    assert (rows["PHYS1"]["average_final_grade"], rows["PHYS1"]["stdev"]) == (75.0, 5.0)


def test_course_detail_compares_each_student_with_the_average(school, admin_user):
    context = selectors.AnalyticsContext(admin_user, focus_course=school.math.pk)

    data = selectors.course_detail(context, school.math.pk)

    assert [
        (s["name"], s["final_grade"], s["difference_from_average"]) for s in data["students"]
    ] == [
        ("Alpha Ana", 86.0, 20.0),
        ("Beta Ben", 46.0, -20.0),
    ]
    assert [b["count"] for b in data["histogram"]][4] == 1


def test_students_rows_carry_risk_and_reasons(school, admin_user):
    context = _context(admin_user)

    rows = {row["name"]: row for row in selectors.students(context)["results"]}

    assert rows["Alpha Ana"]["average_grade"] == 83.0
    assert rows["Alpha Ana"]["gpa"] == 3.32
    assert rows["Alpha Ana"]["trend"] == "improving"
    assert (rows["Alpha Ana"]["risk_level"], rows["Alpha Ana"]["risk_score"]) == ("low", 10)
    assert (rows["Beta Ben"]["risk_level"], rows["Beta Ben"]["risk_score"]) == ("high", 75)
    assert rows["Beta Ben"]["unexcused_absences"] == 3
    assert len(rows["Beta Ben"]["risk_reasons"]) == 2
    assert rows["Gamma Chloe"]["risk_level"] == "medium"


def test_order_students_puts_missing_values_last():
    rows = [
        {"id": 1, "name": "A", "gpa": None},
        {"id": 2, "name": "B", "gpa": 2.0},
        {"id": 3, "name": "C", "gpa": 3.5},
    ]

    ordered = selectors.order_students(rows, "-gpa")

    assert [row["id"] for row in ordered] == [3, 2, 1]


def test_student_detail_breaks_down_each_course(school, admin_user):
    context = _context(admin_user)

    data = selectors.student_detail(context, school.ana.pk)

    math = data["courses"][0]
    assert (math["course_code"], math["final_grade"], math["letter_grade"]) == ("MATH1", 86.0, "B")
    assert math["greek_grade"] == 17.2
    assert math["category_breakdown"]["final"]["contribution"] == 54.0
    assert data["risk"]["level"] == "low"


def test_teacher_figures_cover_only_their_courses(school):
    context = _context(school.teacher)

    data = selectors.dashboard(context)

    assert data["totals"]["courses"] == 1
    assert data["totals"]["students"] == 2
    assert data["totals"]["attendance_records"] == 8
    assert data["average_grade"] == 66.0


def test_filters_narrow_the_figures(school, admin_user):
    context = _context(admin_user, class_division="B2")

    data = selectors.dashboard(context)

    assert data["totals"]["students"] == 1
    assert data["average_grade"] == 70.0
    assert data["totals"]["attendance_records"] == 1


def test_date_filter_limits_attendance(school, admin_user):
    import datetime as dt

    context = _context(admin_user, date_from=dt.date(2025, 10, 13))

    data = selectors.attendance(context)

    assert data["records"] == 3
    assert data["rate"] == 66.67


def _dashboard_queries(user) -> int:
    results.flush_pending()  # the stored results catch up with the writes first
    with CaptureQueriesContext(connection) as queries:
        selectors.dashboard(_context(user))
    return len(queries)


def test_dashboard_query_count_does_not_grow_with_students(school, admin_user):
    before = _dashboard_queries(admin_user)
    course = CourseFactory()
    for _ in range(15):
        student = StudentFactory()
        enroll(student, course)
        GradeFactory(student=student, course=course, category="Midterm")

    after = _dashboard_queries(admin_user)

    assert after == before
