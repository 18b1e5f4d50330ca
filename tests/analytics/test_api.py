"""Analytics API: role scopes, filters, caching with ETags, invalidation on writes."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from apps.academics import changes, services
from tests.factories import StudentUserFactory


def _client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _url(name, *args) -> str:
    return reverse(f"analytics-api:{name}", args=args)


def test_dashboard_api_returns_figures_and_generated_at(school, admin_user):
    response = _client(admin_user).get(_url("dashboard"))

    assert response.status_code == 200
    body = response.json()
    assert body["average_grade"] == 70.5
    assert body["generated_at"]
    assert response["ETag"]


def test_dashboard_api_filters_by_repeated_course(school, admin_user):
    response = _client(admin_user).get(
        _url("dashboard"), {"course": [school.math.pk, school.physics.pk], "semester": "B"}
    )

    assert response.json()["totals"]["courses"] == 1
    assert response.json()["average_grade"] == 75.0


def test_analytics_api_rejects_bad_filters_with_field_messages(school, admin_user):
    response = _client(admin_user).get(
        _url("grades"), {"date_from": "2025-13-01", "study_year": "9", "course": "x"}
    )

    assert response.status_code == 400
    assert set(response.json()) == {"date_from", "study_year", "course"}


def test_analytics_api_rejects_reversed_dates(school, admin_user):
    response = _client(admin_user).get(
        _url("attendance"), {"date_from": "2025-11-01", "date_to": "2025-10-01"}
    )

    assert response.status_code == 400
    assert "date_to" in response.json()


def test_teacher_sees_only_their_courses(school):
    client = _client(school.teacher)

    courses = client.get(_url("courses")).json()["results"]
    other = client.get(_url("course-detail", school.physics.pk))
    outsider = client.get(_url("student-detail", school.chloe.pk))

    assert [row["course_code"] for row in courses] == ["MATH1"]
    assert other.status_code == 404
    assert outsider.status_code == 404


def test_teacher_student_detail_covers_only_their_courses(school):
    response = _client(school.teacher).get(_url("student-detail", school.ana.pk))

    body = response.json()
    assert [course["course_code"] for course in body["courses"]] == ["MATH1"]
    assert body["average_grade"] == 86.0


def test_student_sees_only_their_own_detail(school):
    client = _client(school.ana_user)

    own = client.get(_url("student-detail", school.ana.pk))
    other = client.get(_url("student-detail", school.ben.pk))
    dashboard = client.get(_url("dashboard"))

    assert own.status_code == 200
    assert own.json()["student"]["name"] == "Alpha Ana"
    assert other.status_code == 404
    assert dashboard.status_code == 403


def test_students_api_paginates_and_orders(school, admin_user):
    response = _client(admin_user).get(
        _url("students"), {"ordering": "-risk_score", "page_size": 2}
    )

    body = response.json()
    assert body["count"] == 3
    assert [row["name"] for row in body["results"]] == ["Beta Ben", "Gamma Chloe"]
    assert "page=2" in body["next"]
    assert body["previous"] is None


def test_students_api_rejects_unknown_ordering(school, admin_user):
    response = _client(admin_user).get(_url("students"), {"ordering": "shoe_size"})

    assert response.status_code == 400
    assert "ordering" in response.json()


def test_anonymous_request_is_refused(school, client):
    response = client.get(_url("dashboard"))

    assert response.status_code in (401, 403)


def test_matching_etag_answers_not_modified(school, admin_user):
    client = _client(admin_user)
    first = client.get(_url("grades"))

    second = client.get(_url("grades"), HTTP_IF_NONE_MATCH=first["ETag"])

    assert second.status_code == 304
    assert second["ETag"] == first["ETag"]


def test_grade_write_shows_in_next_read_and_changes_etag(school, admin_user):
    client = _client(admin_user)
    before = client.get(_url("dashboard"))

    services.grade_create(
        student=school.ben,
        course=school.math,
        assignment_name="Final resit",
        category="Final",
        grade=Decimal("100"),
        date_assigned=dt.date(2025, 12, 20),
        actor=admin_user,
    )
    after = client.get(_url("dashboard"), HTTP_IF_NONE_MATCH=before["ETag"])

    # Ben's latest final is now 100: 0.4·40 + 0.6·100 = 76 → mean (86+76+80+70)/4 = 78.
    assert after.status_code == 200
    assert after.json()["average_grade"] == 78.0
    assert after["ETag"] != before["ETag"]


def test_attendance_write_changes_the_rate(school, admin_user):
    client = _client(admin_user)
    client.get(_url("attendance"))

    services.attendance_mark(
        student=school.ana,
        course=school.physics,
        date=dt.date(2025, 10, 14),
        status="present",
        actor=admin_user,
    )
    body = client.get(_url("attendance")).json()

    assert body["records"] == 11
    assert body["rate"] == 50.0  # 5 / 10


def test_enrollment_drop_removes_the_student_from_course_figures(school, admin_user):
    client = _client(admin_user)
    client.get(_url("courses"))
    enrollment = school.ben.enrollments.get(course=school.math)

    services.enrollment_drop(enrollment=enrollment, actor=admin_user)
    rows = {row["course_code"]: row for row in client.get(_url("courses")).json()["results"]}

    assert rows["MATH1"]["enrolled"] == 1
    assert rows["MATH1"]["average_final_grade"] == 86.0


def test_teacher_assignment_changes_the_teacher_scope(school, admin_user):
    client = _client(school.teacher)
    client.get(_url("courses"))

    school.physics.teachers.add(school.teacher)
    rows = client.get(_url("courses")).json()["results"]

    assert [row["course_code"] for row in rows] == ["MATH1", "PHYS1"]


def test_bulk_update_is_seen_once_recorded_in_the_change_hook(school, admin_user):
    client = _client(admin_user)
    client.get(_url("dashboard"))

    school.ana.__class__.objects.filter(pk=school.ana.pk).update(is_active=False)
    stale = client.get(_url("dashboard")).json()["totals"]["active_students"]
    changes.record_change(kinds=[changes.STUDENT], student_ids=[school.ana.pk])
    fresh = client.get(_url("dashboard")).json()["totals"]["active_students"]

    assert (stale, fresh) == (3, 2)


@pytest.mark.parametrize("name", ["dashboard", "students", "grades", "attendance", "courses"])
def test_every_list_endpoint_carries_generated_at(school, admin_user, name):
    response = _client(admin_user).get(_url(name))

    assert response.status_code == 200
    assert "generated_at" in response.json()


def test_student_without_profile_gets_404_for_any_detail(school):
    response = _client(StudentUserFactory()).get(_url("student-detail", school.ana.pk))

    assert response.status_code == 404
