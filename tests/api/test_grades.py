"""The grades endpoint, including every kind of bad input the issue lists."""

from __future__ import annotations

from apps.academics.models import Grade
from tests.api.conftest import client_for
from tests.factories import GradeFactory

URL = "/api/v1/grades/"


def payload(side, **overrides) -> dict:
    data = {
        "student": side.student.pk,
        "course": side.course.pk,
        "assignment_name": "Essay 1",
        "category": "Final",
        "grade": "17.5",
        "max_grade": "20",
        "date_assigned": "2025-10-01",
    }
    return {**data, **overrides}


def test_grades_teacher_records_grade_in_own_course(school):
    response = client_for(school.own.teacher).post(URL, payload(school.own), format="json")

    assert response.status_code == 201, response.content
    assert response.json()["percentage"] == "87.50"
    grade = Grade.objects.get(assignment_name="Essay 1")
    assert grade.history.first().history_user == school.own.teacher


def test_grades_teacher_cannot_grade_in_a_course_they_do_not_teach(school):
    response = client_for(school.own.teacher).post(URL, payload(school.other), format="json")

    assert response.status_code == 400
    assert "does not exist" in response.json()["course"][0]
    assert not Grade.objects.filter(assignment_name="Essay 1").exists()


def test_grades_above_max_is_400_with_grade_message(school):
    response = client_for(school.admin).post(URL, payload(school.own, grade="21"), format="json")

    assert response.status_code == 400
    assert "higher than the maximum grade" in response.json()["grade"][0]
    assert not Grade.objects.filter(assignment_name="Essay 1").exists()


def test_grades_for_student_not_enrolled_in_course_is_400(school):
    mixed = {**payload(school.own), "student": school.other.student.pk}

    response = client_for(school.admin).post(URL, mixed, format="json")

    assert response.status_code == 400
    assert "not enrolled" in response.json()["student"][0]


def test_grades_submission_before_assignment_is_400(school):
    response = client_for(school.admin).post(
        URL, payload(school.own, date_submitted="2025-09-01"), format="json"
    )

    assert response.status_code == 400
    assert "date_submitted" in response.json()


def test_grades_wrong_types_and_invalid_dates_are_400_per_field(school):
    response = client_for(school.admin).post(
        URL,
        payload(school.own, grade="ninety", weight=[1], date_assigned="2025-02-30"),
        format="json",
    )

    assert response.status_code == 400
    assert set(response.json()) == {"grade", "weight", "date_assigned"}
    assert not Grade.objects.filter(assignment_name="Essay 1").exists()


def test_grades_malformed_json_is_400(school):
    response = client_for(school.admin).post(
        URL, data='{"grade": 5,', content_type="application/json"
    )

    assert response.status_code == 400
    assert "JSON parse error" in response.json()["detail"]


def test_grades_json_array_body_is_400(school):
    response = client_for(school.admin).post(URL, [1, 2], format="json")

    assert response.status_code == 400
    assert "non_field_errors" in response.json()


def test_grades_duplicate_assignment_is_400_and_keeps_original(school):
    client = client_for(school.admin)
    existing = school.own.grade

    response = client.post(
        URL, payload(school.own, assignment_name=existing.assignment_name), format="json"
    )

    assert response.status_code == 400
    assert "already has a grade" in str(response.json())
    existing.refresh_from_db()
    assert existing.grade == 80


def test_grades_partial_update_above_max_writes_nothing(school):
    url = f"{URL}{school.own.grade.pk}/"

    response = client_for(school.own.teacher).patch(url, {"grade": "150"}, format="json")

    assert response.status_code == 400
    school.own.grade.refresh_from_db()
    assert school.own.grade.grade == 80


def test_grades_filters_by_date_range_category_and_course(school):
    late = GradeFactory(
        student=school.own.student,
        course=school.own.course,
        category="Final",
        date_assigned="2026-01-20",
    )
    client = client_for(school.admin)

    def ids(**params):
        return {row["id"] for row in client.get(URL, params).json()["results"]}

    assert ids(date_from="2026-01-01") == {late.pk}
    assert ids(date_to="2025-12-31", course=school.own.course.pk) == {school.own.grade.pk}
    assert ids(category="final") == {late.pk}
    assert ids(student=school.other.student.pk) == {school.other.grade.pk}


def test_grades_student_reads_only_own_grades(school):
    response = client_for(school.own.student_user).get(URL)

    assert [row["id"] for row in response.json()["results"]] == [school.own.grade.pk]


def test_grades_course_filter_outside_scope_gives_empty_page(school):
    response = client_for(school.own.teacher).get(URL, {"course": school.other.course.pk})

    assert response.status_code == 200
    assert response.json()["count"] == 0
