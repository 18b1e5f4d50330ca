"""Preferences and the centre offer only the kinds that can reach the user's role."""

from rest_framework.test import APIClient

from tests.factories import AdminFactory


def test_preferences_student_sees_no_import_or_export_kinds(client, student_user):
    client.force_login(student_user)

    page = client.get("/notifications/preferences/").content.decode()

    assert "Grade posted" in page
    assert "Import finished" not in page
    assert "Export ready" not in page


def test_preferences_teacher_sees_import_kinds_but_not_grade_posted(client, teacher_user):
    client.force_login(teacher_user)

    page = client.get("/notifications/preferences/").content.decode()

    assert "Import finished" in page
    assert "Grade posted" not in page


def test_preferences_student_saving_keeps_working(client, student_user):
    client.force_login(student_user)

    response = client.post(
        "/notifications/preferences/",
        {"grade_posted__web": "on", "grade_posted__email": "on", "email_digest": "never"},
    )

    assert response.status_code == 302
    preference = student_user.notification_preference
    assert preference.wants("grade_posted", "email") is True


def test_api_broadcast_to_an_unknown_course_is_a_field_error(db):
    api = APIClient()
    api.force_authenticate(AdminFactory())

    response = api.post(
        "/api/v1/notifications/broadcast/", {"title": "Hi", "course": 99999}, format="json"
    )

    assert response.status_code == 400
    assert list(response.json()) == ["course"]
    assert "99999" in response.json()["course"][0]
