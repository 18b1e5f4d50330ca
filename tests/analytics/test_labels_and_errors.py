"""Analytics pages show translated labels; the API's filter errors are ``{field: [messages]}``."""

from django.urls import reverse
from rest_framework.test import APIClient

from tests.factories import AttendanceFactory, CourseFactory, StudentFactory, enroll


def test_api_bad_course_filter_is_a_flat_list_of_messages(school, admin_user):
    api = APIClient()
    api.force_authenticate(admin_user)

    response = api.get(reverse("analytics-api:dashboard"), {"course": "abc"})

    assert response.status_code == 400
    assert response.json() == {"course": ["Enter a whole number."]}


def test_api_bad_student_filter_on_the_students_report_is_flat_too(school, admin_user):
    api = APIClient()
    api.force_authenticate(admin_user)

    response = api.get(reverse("analytics-api:students"), {"student": ["1", "0"]})

    assert response.status_code == 400
    assert response.json() == {"student": ["Ensure this value is greater than or equal to 1."]}


def test_page_student_shows_translated_trend_and_risk(client, school, admin_user):
    client.force_login(admin_user)

    page = client.get(reverse("analytics:student", args=[school.ben.pk])).content.decode()

    assert "High (75)" in page
    assert "high (75)" not in page


def test_page_dashboard_at_risk_list_shows_translated_levels(client, school, admin_user):
    client.force_login(admin_user)

    page = client.get(reverse("analytics:dashboard")).content.decode()

    assert "High (75)" in page
    assert "Medium (45)" in page
    assert 'data-average-final="Average final grade"' in page


def test_page_dashboard_bad_filter_names_the_field_by_its_label(client, school, admin_user):
    client.force_login(admin_user)

    page = client.get(reverse("analytics:dashboard"), {"course": "abc"}).content.decode()

    assert "Course: Enter a whole number." in page


def test_page_student_course_without_rules_says_so_and_deducts_nothing(client, admin_user):
    student, course = StudentFactory(), CourseFactory(evaluation_rules=[], absence_penalty=5)
    enroll(student, course)
    AttendanceFactory(student=student, course=course, status="absent")
    client.force_login(admin_user)

    page = client.get(reverse("analytics:student", args=[student.pk])).content.decode()

    assert "No evaluation rules" in page
    assert "5.0</td>" not in page
