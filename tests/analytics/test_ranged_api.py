"""Date-filtered and teacher-scoped analytics through the API: served from the stored
results and daily rollups, and current as soon as a write commits (issue 10)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from apps.academics import grading, services
from apps.analytics import ranged, results
from apps.analytics.models import AttendanceDay, GradeDay, TrendSegment
from tests.factories import CourseFactory, enroll

D = dt.date


def _client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _dashboard(user, **params) -> dict:
    response = _client(user).get(reverse("analytics-api:dashboard"), params)
    assert response.status_code == 200
    return response.json()


@pytest.mark.postgres
def test_ranged_dashboard_changes_at_once_after_a_grade_in_the_range(
    school, admin_user, django_capture_on_commit_callbacks
):
    # Wednesday to Wednesday: days of three weeks.
    october = {"date_from": "2025-09-24", "date_to": "2025-10-08"}
    before = _dashboard(admin_user, **october)

    with django_capture_on_commit_callbacks(execute=True):
        services.grade_create(
            student=school.ben,
            course=school.math,
            assignment_name="Midterm retake",
            category="Midterm",
            grade=Decimal("100"),
            date_assigned=D(2025, 10, 7),
            actor=admin_user,
        )
    after = _dashboard(admin_user, **october)

    # In the range ben's Midterm was 40; the retake (latest sitting) replaces it.
    # Final grades in range: ana MATH1 80, ben MATH1 40 → 100, ana and chloe PHYS1 70.
    assert before["average_grade"] == 65.0
    assert after["average_grade"] == 80.0
    assert after["totals"]["grades"] == before["totals"]["grades"] + 1


@pytest.mark.postgres
def test_ranged_dashboard_ignores_a_grade_outside_the_range(school, admin_user):
    october = {"date_from": "2025-09-24", "date_to": "2025-10-08"}
    before = _dashboard(admin_user, **october)

    services.grade_create(
        student=school.ben,
        course=school.math,
        assignment_name="Late retake",
        category="Midterm",
        grade=Decimal("100"),
        date_assigned=D(2025, 11, 20),
        actor=admin_user,
    )
    after = _dashboard(admin_user, **october)

    assert after["average_grade"] == before["average_grade"]


@pytest.mark.postgres
def test_ranged_attendance_alert_counts_a_run_across_a_week_boundary(school, admin_user):
    # ben: absent Mon–Wed 6–8 Oct, present Mon 13 Oct; add Friday 10 Oct and Sunday 12 Oct.
    for day in (D(2025, 10, 10), D(2025, 10, 12)):
        services.attendance_create(
            student=school.ben, course=school.math, date=day, status="absent", actor=admin_user
        )
    # Runs join across days (and across the weekend, which has no records in between).
    response = _client(admin_user).get(
        reverse("analytics-api:attendance"),
        {"date_from": "2025-10-07", "date_to": "2025-10-19", "consecutive": 4},
    )

    alerts = {row["student_id"]: row for row in response.json()["alerts"]}
    assert alerts[school.ben.student_id]["consecutive_absences"] == 4


@pytest.mark.postgres
@pytest.mark.parametrize(("threshold", "alerted"), [("66.67", False), ("66.68", True)])
def test_ranged_alert_tests_the_rate_rounded_as_shown(school, admin_user, threshold, alerted):
    """Ana's mathematics, Monday to Wednesday: present, late, absent and excused, so 2 of
    3 countable records, 66.666… % shown as 66.67. Below a threshold of 66.68 it alerts;
    at 66.67 it does not, though the unrounded rate is below it, as the engine decides."""
    params = {
        "date_from": "2025-10-06",
        "date_to": "2025-10-08",
        "threshold": threshold,
        "consecutive": 100,  # no run alerts: only the rate decides
    }
    response = _client(admin_user).get(reverse("analytics-api:attendance"), params)

    alerts = {(row["student_id"], row["course_code"]): row for row in response.json()["alerts"]}
    ana_math = alerts.get((school.ana.student_id, "MATH1"))
    assert (ana_math is not None) is alerted
    if alerted:
        assert ana_math["rate"] == 66.67
    assert (school.ben.student_id, "MATH1") in alerts  # 0 %: below either


@pytest.mark.postgres
def test_ranged_rollups_follow_a_grade_write(school, admin_user):
    services.grade_create(
        student=school.ana,
        course=school.physics,
        assignment_name="HW3",
        category="Homework",
        grade=Decimal("50"),
        date_assigned=D(2025, 11, 6),
        actor=admin_user,
    )
    ranged_view = _dashboard(admin_user, date_from="2025-11-03", date_to="2025-11-09")

    day = GradeDay.objects.get(student=school.ana, course=school.physics, day=D(2025, 11, 6))
    assert (day.items, day.all_items, day.weighted_sum) == (1, 1, 50.0)  # HW3 (50)
    assert ranged_view["average_grade"] == 70.0  # with HW2 (90) on another day of the week
    absences = AttendanceDay.objects.filter(
        student=school.ben, day__range=(D(2025, 10, 6), D(2025, 10, 12))
    )
    assert sum(row.absent for row in absences) == 3
    assert TrendSegment.objects.filter(student=school.ana, whole=True).count() == 2


def test_ranged_teacher_students_trend_reads_segments_not_rows(school):
    response = _client(school.teacher).get(reverse("analytics-api:students"))

    rows = {row["student_id"]: row for row in response.json()["results"]}
    assert rows[school.ana.student_id]["average_grade"] == 86.0
    assert rows[school.ben.student_id]["risk_level"] == "high"
    # Ben's only course is in scope: his row is his stored result. Ana's trend over the
    # one course of hers in scope is concatenated from stored segments.
    assert ranged.LAST_TREND_STATS.from_rows == 0
    assert ranged.LAST_TREND_STATS.from_segments == 1


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("course-detail", {"date_from": "2025-09-01", "date_to": "2025-12-31"}),
        ("course-detail", {}),
        ("courses", {"class_division": "A1"}),
    ],
)
def test_ranged_attendance_counts_of_one_course_or_class_read_the_daily_rollups(
    school, admin_user, name, params
):
    """A course's students, a class: attendance the per-course slots cannot give is
    counted from the attendance days (dated) or the stored results, not from the marks."""
    args = [school.math.pk] if name == "course-detail" else []
    results.flush_pending()  # the fixture's writes refresh from their rows first
    with CaptureQueriesContext(connection) as queries:
        response = _client(admin_user).get(reverse(f"analytics-api:{name}", args=args), params)

    assert response.status_code == 200
    assert not [q["sql"] for q in queries if 'FROM "academics_attendance"' in q["sql"]]


def _students_report(user, **params) -> dict:
    response = _client(user).get(reverse("analytics-api:students"), params)
    assert response.status_code == 200
    return {row["student_id"]: row for row in response.json()["results"]}


def _enroll_ana_outside_the_filter(school) -> None:
    """Ana also takes a course without grades, so a filter on mathematics and physics no
    longer holds every course of hers and her trend is computed, not read from her
    stored result."""
    enroll(school.ana, CourseFactory(course_code="CHEM1", evaluation_rules=[]))
    results.flush_pending()


def test_trend_over_courses_taken_side_by_side_reads_day_segments_not_rows(school, admin_user):
    """Ana's mathematics (1 October to 1 December) spans her physics (5 October to
    5 November): their whole-enrollment segments interleave, their day segments do not."""
    _enroll_ana_outside_the_filter(school)
    both = {"course": f"{school.math.pk},{school.physics.pk}"}

    stored = _students_report(admin_user, **both)
    from_segments = (ranged.LAST_TREND_STATS.from_segments, ranged.LAST_TREND_STATS.from_rows)
    live = grading.student_summaries(
        student_ids=[school.ana.pk], course_ids=[school.math.pk, school.physics.pk]
    )[school.ana.pk]

    # Ana from her day segments, nobody from the raw rows; Ben and Chloe, whose every
    # course is in the filter, have their stored rows.
    assert from_segments == (1, 0)
    assert stored[school.ana.student_id]["trend"] == live.trend == "improving"  # 80 70 90 90


def test_trend_whose_day_segments_interleave_still_equals_the_engine(school, admin_user):
    """Two grades of one day in two courses, entered math, physics, math: even the day
    segments interleave, so Ana's trend comes from her rows, and equals the engine's."""
    _enroll_ana_outside_the_filter(school)
    for course, name, value in (
        (school.math, "Quiz A", "60"),
        (school.physics, "HW3", "95"),
        (school.math, "Quiz B", "20"),
    ):
        services.grade_create(
            student=school.ana,
            course=course,
            assignment_name=name,
            category="Midterm" if course == school.math else "Homework",
            grade=Decimal(value),
            date_assigned=D(2025, 12, 2),
            actor=admin_user,
        )
    results.flush_pending()
    both = {"course": f"{school.math.pk},{school.physics.pk}"}

    stored = _students_report(admin_user, **both)
    from_rows = ranged.LAST_TREND_STATS.from_rows
    live = grading.student_summaries(
        student_ids=[school.ana.pk], course_ids=[school.math.pk, school.physics.pk]
    )[school.ana.pk]

    assert from_rows == 1
    assert stored[school.ana.student_id]["trend"] == live.trend
    assert stored[school.ana.student_id]["average_grade"] == float(live.average_grade)


def test_trend_of_students_whose_every_course_is_in_the_filter_reads_no_segment(school, admin_user):
    """Ana takes mathematics and physics, Ben mathematics: with both courses in the filter
    their items in scope are all their items, so their trends are those of their stored
    results, equal to the engine's, and no trend segment is read."""
    both = [school.math.pk, school.physics.pk]
    results.flush_pending()

    with CaptureQueriesContext(connection) as queries:
        stored = _students_report(admin_user, course=f"{both[0]},{both[1]}")
    live = grading.student_summaries(course_ids=both)

    assert not [q["sql"] for q in queries if "analytics_trendsegment" in q["sql"]]
    assert stored[school.ana.student_id]["trend"] == live[school.ana.pk].trend == "improving"
    assert stored[school.ben.student_id]["trend"] == live[school.ben.pk].trend


@pytest.mark.postgres
@pytest.mark.parametrize("courses", [("math",), ("math", "physics"), ("physics",)])
def test_trends_of_a_course_filter_equal_the_engine_whether_stored_or_computed(
    school, admin_user, courses
):
    """Whether the filter holds every course of a student (Ana with both, Chloe with
    physics) or some (Ana with one), each trend and risk level equals the engine's over
    the filter's courses."""
    course_ids = [getattr(school, name).pk for name in courses]
    by_pk = {student.pk: student.student_id for student in (school.ana, school.ben, school.chloe)}

    stored = _students_report(admin_user, course=",".join(map(str, course_ids)))
    live = grading.student_summaries(course_ids=course_ids)

    assert live
    for pk, summary in live.items():
        row = stored[by_pk[pk]]
        assert (row["trend"], row["risk_level"]) == (summary.trend, summary.risk.level)


@pytest.mark.postgres
@pytest.mark.parametrize("outside", [False, True])
@pytest.mark.parametrize("courses", [("math",), ("math", "physics"), ("physics",)])
def test_risk_levels_of_a_course_filter_equal_the_engine(school, courses, outside):
    """The dashboard's at-risk counts: a student whose every course is in the filter has
    their stored level, the others' is computed over the filter's courses; each equals
    the engine's over those courses."""
    if outside:
        _enroll_ana_outside_the_filter(school)
    services.grade_create(
        student=school.ben,
        course=school.math,
        assignment_name="Failed final",
        category="Final",
        grade=Decimal("5"),
        actor=None,
    )
    results.flush_pending()
    course_ids = [getattr(school, name).pk for name in courses]

    levels = ranged.risk_levels(course_ids=course_ids)
    live = grading.student_summaries(course_ids=course_ids)

    assert {summary.risk.level for summary in live.values()} - {"low"}
    for pk, summary in live.items():
        assert levels.get(pk, "low") == summary.risk.level


def test_risk_levels_of_students_wholly_in_the_filter_read_no_final_grade(school):
    both = [school.math.pk, school.physics.pk]
    results.flush_pending()

    with CaptureQueriesContext(connection) as queries:
        levels = ranged.risk_levels(course_ids=both)

    assert not [q["sql"] for q in queries if '"final_grade"' in q["sql"]]
    live = grading.student_summaries(course_ids=both)
    assert levels == {pk: summary.risk.level for pk, summary in live.items()}
    assert {school.ana.pk, school.ben.pk} <= set(levels)
