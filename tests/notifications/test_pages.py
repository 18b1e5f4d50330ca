from apps.notifications.models import Notification, NotificationPreference
from tests.factories import TeacherFactory
from tests.notifications.conftest import make_notifications


def test_page_bell_shows_unread_count_on_every_page(client, teacher_user):
    make_notifications(teacher_user, 4)
    client.force_login(teacher_user)

    response = client.get("/")

    html = response.content.decode()
    assert 'id="notif-bell"' in html
    assert "data-notif-badge>4</span>" in html
    assert "js/notifications.js" in html


def test_page_anonymous_login_page_has_no_bell(client, db):
    response = client.get("/accounts/login/")

    assert 'id="notif-bell"' not in response.content.decode()


def test_page_centre_filters_by_kind_and_unread(client, teacher_user):
    make_notifications(teacher_user, 2, kind="alert")
    make_notifications(teacher_user, 3, kind="system", read=True)
    client.force_login(teacher_user)

    alerts = client.get("/notifications/", {"kind": "alert"})
    unread = client.get("/notifications/", {"unread": "1"})

    assert alerts.content.decode().count("data-notification-id=") == 2
    assert unread.content.decode().count('class="notif-item is-unread"') == 2
    assert unread.content.decode().count("data-notification-id=") == 2


def test_page_centre_paginates(client, teacher_user):
    make_notifications(teacher_user, 25)
    client.force_login(teacher_user)

    second = client.get("/notifications/", {"page": 2})

    assert second.content.decode().count("data-notification-id=") == 5
    assert "Page 2 of 2" in second.content.decode()


def test_page_mark_read_unread_delete_and_read_all(client, teacher_user):
    first, second, third = make_notifications(teacher_user, 3)
    client.force_login(teacher_user)

    client.post(f"/notifications/{first.pk}/read/")
    client.post(f"/notifications/{second.pk}/delete/")
    client.post("/notifications/read-all/")
    client.post(f"/notifications/{third.pk}/unread/")

    states = dict(Notification.objects.values_list("pk", "read_at"))
    assert second.pk not in states
    assert states[first.pk] is not None
    assert states[third.pk] is None


def test_page_acting_on_someone_elses_notification_is_404(client, teacher_user):
    (theirs,) = make_notifications(TeacherFactory(), 1)
    client.force_login(teacher_user)

    response = client.post(f"/notifications/{theirs.pk}/delete/")

    assert response.status_code == 404
    assert Notification.objects.filter(pk=theirs.pk).exists()


def test_page_preferences_save(client, teacher_user):
    client.force_login(teacher_user)
    form = {
        "quiet_hours_start": "21:30",
        "quiet_hours_end": "06:30",
        "email_digest": "daily",
        "attendance_alert__web": "on",
        "attendance_alert__email": "on",
    }

    response = client.post("/notifications/preferences/", form, follow=True)

    preference = NotificationPreference.objects.get(user=teacher_user)
    assert "Notification preferences saved." in response.content.decode()
    assert preference.wants("attendance_alert", "email") is True
    assert preference.wants("system", "web") is False
    assert preference.email_digest == "daily"
    assert str(preference.quiet_hours_start) == "21:30:00"
