"""Each school rule has one home, and every surface answers with it.

Who counts (counted enrollments, the teacher's scope), the attendance rate, the pass mark,
the alert thresholds and the filter errors are the same whether asked through the CRUD
API, the teachers' pages, the analytics or the exports.
"""

import datetime as dt

from django.urls import reverse
from rest_framework.test import APIClient

from apps.academics.models import Attendance
from apps.analytics import results
from tests.factories import CourseFactory, StudentFactory, enroll


def _api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _ids(response) -> set[int]:
    return {row["id"] for row in response.json()["results"]}


def test_teacher_lists_pages_and_analytics_agree_that_a_dropped_student_is_not_theirs(
    school, client
):
    # Chloe dropped MATH1, the only course ``teacher`` teaches (she takes PHYS1 elsewhere).
    api = _api(school.teacher)
    client.force_login(school.teacher)
    chloe = school.chloe.pk

    listed = _ids(api.get("/api/v1/students/"))
    analysed = _ids(api.get(reverse("analytics-api:students")))
    roster = client.get(reverse("academics:course_roster", args=[school.math.pk]))
    details = (
        api.get(f"/api/v1/students/{chloe}/").status_code,
        api.get(reverse("analytics-api:student-detail", args=[chloe])).status_code,
        client.get(reverse("academics:student_profile", args=[chloe])).status_code,
        client.get(reverse("analytics:student", args=[chloe])).status_code,
    )

    assert listed == analysed == {school.ana.pk, school.ben.pk}
    assert "Gamma" not in roster.content.decode()
    assert details == (404, 404, 404, 404)


def test_attendance_rate_is_the_engines_everywhere_rounded_half_up(admin_user):
    # 1 present of 32 countable records: 3.125 %, which the engine rounds to 3.13.
    course = CourseFactory(evaluation_rules=[{"category": "Final", "weight": 100}])
    student = StudentFactory()
    enroll(student, course)
    days = [dt.date(2025, 10, 6) + dt.timedelta(days=offset) for offset in range(4)]
    Attendance.objects.bulk_create(
        Attendance(
            student=student,
            course=course,
            date=day,
            period_number=period,
            status="present" if (day, period) == (days[0], 1) else "absent",
        )
        for day in days
        for period in range(1, 9)
    )
    results.rebuild_results()
    api = _api(admin_user)

    report = api.get(reverse("analytics-api:attendance"), {"course": course.pk}).json()
    detail = api.get(reverse("analytics-api:student-detail", args=[student.pk])).json()
    listed = api.get(reverse("analytics-api:students")).json()["results"]

    assert report["rate"] == 3.13
    assert [row["rate"] for row in report["by_course"]] == [3.13]
    assert detail["attendance_rate"] == detail["courses"][0]["attendance_rate"] == 3.13
    assert [row["attendance_rate"] for row in listed] == [3.13]


def test_pass_mark_comes_from_the_setting_in_the_engine_and_the_analytics(
    school, admin_user, settings
):
    # Final grades: ana MATH1 86, ben MATH1 46, ana PHYS1 80, chloe PHYS1 70.
    settings.SMS_PASS_MARK = 75
    api = _api(admin_user)

    dashboard = api.get(reverse("analytics-api:dashboard")).json()
    courses = api.get(reverse("analytics-api:courses")).json()["results"]
    chloe = api.get(reverse("analytics-api:student-detail", args=[school.chloe.pk])).json()

    assert dashboard["pass_rate"] == 50.0
    assert {row["course_code"]: row["pass_rate"] for row in courses} == {
        "MATH1": 50.0,
        "PHYS1": 50.0,
    }
    assert [course["passed"] for course in chloe["courses"]] == [False]


def test_attendance_alert_defaults_are_the_notification_settings(school, admin_user, settings):
    settings.SMS_NOTIFY_ATTENDANCE_THRESHOLD = 20
    settings.SMS_NOTIFY_CONSECUTIVE_ABSENCES = 3

    body = _api(admin_user).get(reverse("analytics-api:attendance")).json()

    # Chloe is under 20 %; Ben is not, but has 3 absences in a row.
    assert (body["threshold"], body["consecutive"]) == (20.0, 3)
    assert [alert["name"] for alert in body["alerts"]] == ["Gamma Chloe", "Beta Ben"]


def test_exports_and_analytics_answer_a_bad_filter_alike(school, admin_user):
    api = _api(admin_user)

    analytics = api.get(reverse("analytics-api:dashboard"), {"course": "1,abc"})
    streamed = api.get("/api/v1/exports/students.csv", {"course": "1,abc"})
    queued = api.post(
        "/api/v1/exports/",
        {"resource": "students", "format": "csv", "filters": {"course": "1,abc"}},
        format="json",
    )

    expected = {"course": ["Enter a whole number."]}
    assert (analytics.status_code, streamed.status_code, queued.status_code) == (400, 400, 400)
    assert analytics.json() == streamed.json() == expected
    assert queued.json() == {"filters": expected}


def test_students_export_by_course_leaves_out_dropped_enrollments(school, admin_user):
    response = _api(admin_user).get(
        "/api/v1/exports/students.csv", {"course": school.math.pk, "columns": "last_name"}
    )

    names = b"".join(response.streaming_content).decode("utf-8-sig").split()
    assert names == ["last_name", "Alpha", "Beta"]
