"""Marking every notice of one kind read leaves the others unread; a broadcast to the
administrators reaches the site's superusers too, and no account that is switched off."""

from rest_framework.test import APIClient

from apps.notifications.models import Notification
from tests.factories import AdminFactory, TeacherFactory
from tests.notifications.conftest import make_notifications

API = "/api/v1/notifications/"


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_read_all_of_one_kind_leaves_the_other_kinds_unread(teacher_user):
    make_notifications(teacher_user, 3, kind="grade_posted")
    make_notifications(teacher_user, 2, kind="system")
    api = client_for(teacher_user)

    marked = api.post(API + "read-all/", {"kind": "grade_posted"}, format="json")
    count = api.get(API + "unread-count/")

    assert marked.json() == {"marked": 3}
    assert count.json() == {"unread_count": 2}
    unread = Notification.objects.filter(recipient=teacher_user, read_at__isnull=True)
    assert set(unread.values_list("kind", flat=True)) == {"system"}


def test_broadcast_to_administrators_reaches_superusers_and_no_inactive_account(admin_user):
    superuser = TeacherFactory(is_superuser=True)
    retired = AdminFactory(is_active=False)
    teacher = TeacherFactory()

    response = client_for(admin_user).post(
        API + "broadcast/", {"title": "Staff meeting", "roles": ["admin"]}, format="json"
    )

    reached = set(Notification.objects.values_list("recipient_id", flat=True))
    assert response.status_code == 201
    assert {admin_user.pk, superuser.pk} <= reached
    assert retired.pk not in reached
    assert teacher.pk not in reached
    assert response.json()["recipients"] == len(reached)
