"""The admins' broadcast page: who may use it, what it sends, and that it refuses what the
API refuses, in the API's words."""

import datetime as dt

import pytest
from django.contrib.messages import get_messages
from rest_framework.test import APIClient

from apps.academics.models import Enrollment, Student
from apps.accounts.models import Role, User
from apps.notifications import services
from apps.notifications.links import INVALID_LINK_MESSAGE
from apps.notifications.models import Notification, NotificationKind, NotificationPreference
from apps.notifications.views import recent_broadcasts
from tests.factories import (
    AdminFactory,
    CourseFactory,
    StudentFactory,
    StudentUserFactory,
    TeacherFactory,
    enroll,
)

PAGE = "/notifications/broadcast/"
API = "/api/v1/notifications/broadcast/"
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def _api_errors(admin, payload: dict) -> dict:
    api = APIClient()
    api.force_authenticate(admin)
    response = api.post(API, payload, format="json")
    assert response.status_code == 400
    return response.json()


def _bulk_students(count: int) -> list[User]:
    """Student accounts with student records, three inserts whatever the count."""
    users = User.objects.bulk_create(
        [User(username=f"bulk{index}", role=Role.STUDENT) for index in range(count)]
    )
    Student.objects.bulk_create(
        [
            Student(
                student_id=f"B{index:05d}",
                first_name="Bulk",
                last_name=f"Student{index}",
                email=f"bulk{index}@example.org",
                enrollment_date=dt.date(2025, 9, 1),
                user=user,
            )
            for index, user in enumerate(users)
        ]
    )
    return users


@pytest.mark.parametrize("factory", [TeacherFactory, StudentUserFactory])
def test_broadcast_page_is_forbidden_to_teachers_and_students(client, db, factory):
    client.force_login(factory())

    shown = client.get(PAGE)
    sent = client.post(PAGE, {"title": "Hi", "roles": ["student"]})
    counted = client.get(PAGE, {"roles": "student"}, **HTMX)

    assert (shown.status_code, sent.status_code, counted.status_code) == (403, 403, 403)
    assert not Notification.objects.exists()


def test_broadcast_page_sends_anonymous_to_login(client, db):
    response = client.get(PAGE)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/notifications/broadcast/")


def test_broadcast_page_shows_the_form_to_admins(admin_client):
    CourseFactory(course_code="NET101", course_name="Networks")

    response = admin_client.get(PAGE)

    html = response.content.decode()
    assert response.status_code == 200
    for name in ("title", "message", "roles", "course", "people", "link"):
        assert f'name="{name}"' in html
    assert "NET101 — Networks" in html
    assert "No broadcasts yet." in html


def test_broadcast_page_to_roles_reaches_each_active_user_once(admin_client, admin_user):
    teachers = [TeacherFactory() for _ in range(2)]
    students = [StudentUserFactory() for _ in range(3)]
    StudentUserFactory(is_active=False)

    response = admin_client.post(
        PAGE, {"title": "School closed", "message": "Friday", "roles": ["teacher", "student"]}
    )

    assert response.status_code == 302
    assert response["Location"] == PAGE
    received = list(
        Notification.objects.filter(kind=NotificationKind.BROADCAST).values_list(
            "recipient_id", flat=True
        )
    )
    assert sorted(received) == sorted(user.pk for user in [*teachers, *students])
    assert [str(m) for m in get_messages(response.wsgi_request)] == ["Sent to 5 people."]


def test_broadcast_page_success_message_after_redirect(admin_client):
    StudentUserFactory()

    response = admin_client.post(PAGE, {"title": "Hello", "roles": ["student"]}, follow=True)

    assert "Sent to 1 person." in response.content.decode()
    assert "<td>Hello</td>" in response.content.decode()


@pytest.mark.postgres
def test_broadcast_page_to_a_course_reaches_its_teachers_and_students(admin_client):
    teacher = TeacherFactory()
    course = CourseFactory(teachers=[teacher])
    inside, outside = StudentUserFactory(), StudentUserFactory()
    enroll(StudentFactory(user=inside), course)
    StudentFactory(user=outside)

    admin_client.post(PAGE, {"title": "Room change", "course": str(course.pk)})

    recipients = set(Notification.objects.values_list("recipient_id", flat=True))
    assert recipients == {teacher.pk, inside.pk}


def test_broadcast_page_people_by_username_and_student_id(admin_client):
    by_name, by_id = StudentUserFactory(username="maria"), StudentUserFactory()
    StudentFactory(student_id="S77777", user=by_id)

    admin_client.post(PAGE, {"title": "See me", "people": "maria,\nS77777"})

    recipients = set(Notification.objects.values_list("recipient_id", flat=True))
    assert recipients == {by_name.pk, by_id.pk}


def test_broadcast_page_unknown_people_are_named_and_nothing_is_sent(admin_client):
    StudentUserFactory(username="maria")
    StudentFactory(student_id="S00042", user=None)

    response = admin_client.post(
        PAGE, {"title": "See me", "people": "maria nobody S00042", "roles": ["teacher"]}
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "No user or student has these usernames or student IDs: nobody." in html
    assert "These students have no login account, so nothing can reach them: S00042." in html
    assert "maria nobody S00042</textarea>" in html
    assert 'value="See me"' in html
    assert not Notification.objects.exists()


def test_broadcast_page_without_audience_says_what_the_api_says(admin_client, admin_user):
    payload = {"title": "To nobody"}

    response = admin_client.post(PAGE, payload)

    api_message = _api_errors(admin_user, payload)["roles"][0]
    assert api_message == "Choose at least one audience: roles, a course or users."
    assert response.status_code == 200
    assert api_message in response.content.decode()
    assert 'value="To nobody"' in response.content.decode()
    assert not Notification.objects.exists()


def test_broadcast_page_refuses_a_javascript_link_as_the_api_does(admin_client, admin_user):
    StudentUserFactory()
    payload = {"title": "Click", "roles": ["student"], "link": "javascript:alert(1)"}

    response = admin_client.post(PAGE, payload)

    api_message = _api_errors(admin_user, payload)["link"][0]
    assert api_message == str(INVALID_LINK_MESSAGE)
    assert response.status_code == 200
    assert api_message in response.content.decode()
    assert 'value="javascript:alert(1)"' in response.content.decode()
    assert not Notification.objects.exists()


@pytest.mark.postgres
def test_broadcast_page_unknown_course_and_role_as_the_api_says(admin_client, admin_user):
    page = admin_client.post(PAGE, {"title": "Hi", "course": "999999", "roles": ["janitor"]})

    api = _api_errors(admin_user, {"title": "Hi", "course": 999999, "roles": ["janitor"]})
    html = page.content.decode().replace("&quot;", '"')
    assert api["course"] == ["There is no course with id 999999."]
    assert api["course"][0] in html
    assert api["roles"]["0"][0] in html
    assert not Notification.objects.exists()


@pytest.mark.postgres
def test_broadcast_page_huge_course_id_is_refused_not_a_server_error(admin_client):
    huge = "9" * 30

    sent = admin_client.post(PAGE, {"title": "Hi", "course": huge})
    counted = admin_client.get(PAGE, {"course": huge}, **HTMX)
    superscript = admin_client.get(PAGE, {"course": "²"}, **HTMX)

    assert sent.status_code == 200
    assert f"There is no course with id {huge}." in sent.content.decode()
    assert counted.status_code == 200
    assert "Choose who should receive it" in counted.content.decode()
    assert superscript.status_code == 200
    assert not Notification.objects.exists()


def test_broadcast_page_refuses_more_than_500_names(admin_client):
    StudentUserFactory(username="maria")
    names = " ".join(["maria", *(f"name{index}" for index in range(500))])

    response = admin_client.post(PAGE, {"title": "Everyone", "people": names})

    assert "Name at most 500 people here; choose a role or a course for more." in (
        response.content.decode()
    )
    assert not Notification.objects.exists()


def test_broadcast_page_audience_count_fragment(admin_client):
    teacher = TeacherFactory()
    course = CourseFactory(teachers=[teacher])
    students = _bulk_students(200)
    Enrollment.objects.bulk_create(
        [
            Enrollment(student=student, course=course, enrolled_at=dt.date(2025, 9, 2))
            for student in Student.objects.all()[:150]
        ]
    )

    by_role = admin_client.get(PAGE, {"roles": "student"}, **HTMX)
    by_course = admin_client.get(PAGE, {"course": course.pk}, **HTMX)
    nobody = admin_client.get(PAGE, **HTMX)
    named = admin_client.get(PAGE, {"people": f"{students[0].username} B00199 ghost"}, **HTMX)

    assert "This will reach 200 people." in by_role.content.decode()
    assert "This will reach 151 people." in by_course.content.decode()
    assert "Choose who should receive it" in nobody.content.decode()
    assert "This will reach 2 people." in named.content.decode()
    assert "Not found: ghost" in named.content.decode()
    assert "<html" not in by_role.content.decode()


@pytest.mark.postgres
def test_broadcast_page_audience_count_takes_few_queries(
    admin_client, django_assert_max_num_queries
):
    course = CourseFactory(teachers=[TeacherFactory()])
    _bulk_students(200)
    Enrollment.objects.bulk_create(
        [
            Enrollment(student=student, course=course, enrolled_at=dt.date(2025, 9, 2))
            for student in Student.objects.all()
        ]
    )
    names = " ".join(f"bulk{index}" for index in range(100)) + " B00150 B00151"
    query = {"roles": ["student", "teacher"], "course": course.pk, "people": names}

    with django_assert_max_num_queries(8):
        response = admin_client.get(PAGE, query, **HTMX)

    assert "This will reach 201 people." in response.content.decode()


def test_broadcast_page_count_matches_what_is_sent(admin_client):
    course = CourseFactory(teachers=[TeacherFactory()])
    enroll(StudentFactory(user=StudentUserFactory()), course)
    TeacherFactory()
    audience = {"roles": ["teacher"], "course": str(course.pk)}

    counted = admin_client.get(PAGE, audience, **HTMX)
    admin_client.post(PAGE, {"title": "Count me", **audience})

    assert "This will reach 3 people." in counted.content.decode()
    assert Notification.objects.count() == 3


@pytest.mark.postgres
def test_broadcast_page_lists_recent_broadcasts(admin_client, admin_user):
    sender = AdminFactory(first_name="Eleni", last_name="Kosta")
    students = [StudentUserFactory() for _ in range(3)]
    services.broadcast(actor=sender, title="Exams start", roles=[Role.STUDENT])
    NotificationPreference.objects.create(
        user=students[0], kinds={"broadcast": {"web": False, "email": False}}
    )
    services.broadcast(actor=sender, title="Exams moved", roles=[Role.STUDENT])

    response = admin_client.get(PAGE)

    rows = response.context["broadcasts"]
    assert [(row["title"], row["sender"], row["recipients"]) for row in rows] == [
        ("Exams moved", "Eleni Kosta", 2),
        ("Exams start", "Eleni Kosta", 3),
    ]
    assert "Eleni Kosta" in response.content.decode()


@pytest.mark.postgres
def test_broadcast_page_recent_broadcasts_are_the_last_20_in_two_queries(
    admin_user, django_assert_num_queries
):
    StudentUserFactory()
    TeacherFactory()
    for _ in range(22):
        services.broadcast(actor=admin_user, title="Same title", roles=[Role.STUDENT])
    services.broadcast(actor=admin_user, title="Last", roles=[Role.STUDENT, Role.TEACHER])

    with django_assert_num_queries(2):
        rows = recent_broadcasts()

    assert len(rows) == 20
    assert [row["title"] for row in rows[:2]] == ["Last", "Same title"]
    assert [row["recipients"] for row in rows[:2]] == [2, 1]


def test_broadcast_page_is_linked_for_admins_only(client, admin_user, teacher_user):
    client.force_login(admin_user)
    admin_home = client.get("/").content.decode()
    admin_centre = client.get("/notifications/").content.decode()
    client.force_login(teacher_user)
    teacher_home = client.get("/").content.decode()
    teacher_centre = client.get("/notifications/").content.decode()

    assert f'href="{PAGE}"' in admin_home
    assert f'href="{PAGE}"' in admin_centre
    assert f'href="{PAGE}"' not in teacher_home
    assert f'href="{PAGE}"' not in teacher_centre
