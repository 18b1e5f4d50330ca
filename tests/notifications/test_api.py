import pytest
from rest_framework.test import APIClient

from apps.notifications.models import Notification
from tests.factories import AdminFactory, CourseFactory, TeacherFactory
from tests.notifications.conftest import make_notifications

API = "/api/v1/notifications/"


@pytest.fixture
def api(teacher_user):
    client = APIClient()
    client.force_authenticate(teacher_user)
    return client


def test_api_list_shows_only_my_notifications_newest_first(api, teacher_user):
    make_notifications(teacher_user, 3)
    make_notifications(TeacherFactory(), 2)

    response = api.get(API)

    assert response.status_code == 200
    assert response.json()["count"] == 3
    assert [row["title"] for row in response.json()["results"]] == ["Note 2", "Note 1", "Note 0"]


def test_api_list_filters_unread(api, teacher_user):
    make_notifications(teacher_user, 2)
    make_notifications(teacher_user, 4, read=True)

    response = api.get(API, {"unread": "true"})

    assert response.json()["count"] == 2
    assert all(row["is_read"] is False for row in response.json()["results"])


def test_api_unread_count(api, teacher_user):
    make_notifications(teacher_user, 5)

    response = api.get(API + "unread-count/")

    assert response.json() == {"unread_count": 5}


def test_api_read_then_read_all(api, teacher_user):
    first, *_rest = make_notifications(teacher_user, 3)

    read = api.post(f"{API}{first.pk}/read/")
    read_all = api.post(API + "read-all/")

    assert read.status_code == 200 and read.json()["is_read"] is True
    assert read_all.json() == {"marked": 2}
    assert api.get(API + "unread-count/").json() == {"unread_count": 0}


@pytest.mark.parametrize(
    ("method", "suffix"), [("post", "read/"), ("post", "unread/"), ("delete", ""), ("get", "")]
)
def test_api_someone_elses_notification_is_404(api, method, suffix):
    (theirs,) = make_notifications(TeacherFactory(), 1)

    response = getattr(api, method)(f"{API}{theirs.pk}/{suffix}")

    assert response.status_code == 404
    assert Notification.objects.filter(pk=theirs.pk, read_at__isnull=True).exists()


def test_api_delete_removes_my_notification(api, teacher_user):
    (mine,) = make_notifications(teacher_user, 1)

    response = api.delete(f"{API}{mine.pk}/")

    assert response.status_code == 204
    assert not Notification.objects.filter(pk=mine.pk).exists()


def test_api_preferences_round_trip(api):
    payload = {
        "kinds": {"grade_posted": {"web": False, "email": True}},
        "quiet_hours_start": "22:00",
        "quiet_hours_end": "07:00",
        "email_digest": "weekly",
    }

    put = api.put(API + "preferences/", payload, format="json")
    got = api.get(API + "preferences/").json()

    assert put.status_code == 200
    assert got["kinds"]["grade_posted"] == {"web": False, "email": True}
    assert got["kinds"]["system"] == {"web": True, "email": False}
    assert (got["quiet_hours_start"], got["quiet_hours_end"]) == ("22:00:00", "07:00:00")
    assert got["email_digest"] == "weekly"


def test_api_preferences_reject_half_quiet_hours(api):
    response = api.put(API + "preferences/", {"quiet_hours_start": "22:00"}, format="json")

    assert response.status_code == 400
    assert "quiet_hours_end" in response.json()


def test_api_broadcast_is_admin_only(api):
    response = api.post(API + "broadcast/", {"title": "Hi", "roles": ["student"]}, format="json")

    assert response.status_code == 403
    assert not Notification.objects.exists()


def test_api_broadcast_to_a_course_and_a_role(db, student_user):
    admin = AdminFactory()
    teacher = TeacherFactory()
    course = CourseFactory(teachers=[teacher])
    client = APIClient()
    client.force_authenticate(admin)

    response = client.post(
        API + "broadcast/",
        {"title": "Room change", "message": "Lab 2", "course": course.pk, "roles": ["student"]},
        format="json",
    )

    assert response.status_code == 201
    assert response.json() == {"recipients": 2}
    assert set(Notification.objects.values_list("recipient_id", flat=True)) == {
        teacher.pk,
        student_user.pk,
    }


def test_api_anonymous_is_refused(db):
    response = APIClient().get(API)

    assert response.status_code == 401
