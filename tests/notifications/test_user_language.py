"""A language per user: notification texts and every email in the recipient's language,
rendered once per language; chosen on the preferences page and through the API."""

import datetime as dt
from unittest import mock

from channels.layers import get_channel_layer
from django.conf import settings
from django.core import mail
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.test import APIClient

from apps.notifications import escalation, events, services, tasks
from apps.notifications.models import Notification, NotificationPreference
from tests.factories import StudentUserFactory, TeacherFactory

API = "/api/v1/notifications/preferences/"


def _student(language: str, **preferences):
    user = StudentUserFactory()
    services.preferences_update(user=user, language=language, **preferences)
    return user


def _absence_title():
    return services.in_each_language(
        lambda: (
            _("Absence recorded in %(course)s on %(date)s")
            % {"course": "NET101", "date": "2026-11-03"}
        )
    )


def test_notify_writes_each_recipient_in_their_language_from_the_same_event(db):
    greek, english, site = _student("el"), _student("en"), StudentUserFactory()

    services.notify(
        user_ids=[greek.pk, english.pk, site.pk], kind="attendance_alert", title=_absence_title()
    )

    titles = dict(Notification.objects.values_list("recipient_id", "title"))
    assert titles[greek.pk] == "Καταχωρίστηκε απουσία στο NET101 στις 2026-11-03"
    assert titles[english.pk] == "Absence recorded in NET101 on 2026-11-03"
    assert titles[site.pk] == titles[english.pk]  # blank: the site language (English here)


def test_notify_follows_the_site_language_when_the_user_chose_none(db, settings):
    settings.LANGUAGE_CODE = "el"
    user = StudentUserFactory()

    services.notify(user_ids=[user.pk], kind="attendance_alert", title=_absence_title())

    assert Notification.objects.get().title.startswith("Καταχωρίστηκε απουσία")


def test_notify_renders_once_per_language_not_per_recipient(db):
    greeks = [_student("el") for _ in range(3)]
    english = [_student("en") for _ in range(2)]
    render = mock.Mock(side_effect=lambda: _("Attendance alert"))

    services.notify(
        user_ids=[u.pk for u in greeks + english],
        kind="alert",
        title=services.in_each_language(render),
    )

    assert render.call_count == 2
    assert Notification.objects.filter(title="Ειδοποίηση παρουσιών").count() == 3
    assert Notification.objects.filter(title="Attendance alert").count() == 2


def test_notify_fanout_sends_each_language_its_own_text(
    db, settings, django_capture_on_commit_callbacks
):
    settings.SMS_NOTIFY_FANOUT_MIN = 2
    greeks = [_student("el") for _ in range(3)]
    english = [_student("en") for _ in range(3)]
    layer = get_channel_layer()

    with (
        mock.patch.object(layer, "group_send", wraps=layer.group_send) as group_send,
        django_capture_on_commit_callbacks(execute=True),
    ):
        services.notify(
            user_ids=[u.pk for u in greeks + english], kind="alert", title=_absence_title()
        )

    seen = {}
    for call in group_send.call_args_list:
        for user in greeks + english:
            entry = services.fanout_entry(call.args[1], user.pk)
            if entry is not None:
                seen[user.pk] = entry[0]["title"]
    assert len(group_send.call_args_list) == 2  # one fan-out per language
    assert {seen[u.pk] for u in greeks} == {"Καταχωρίστηκε απουσία στο NET101 στις 2026-11-03"}
    assert {seen[u.pk] for u in english} == {"Absence recorded in NET101 on 2026-11-03"}


def test_notify_plain_text_is_stored_as_typed_for_everyone(db):
    greek, english = _student("el"), _student("en")

    services.notify(user_ids=[greek.pk, english.pk], kind="broadcast", title="Snow day")

    assert set(Notification.objects.values_list("title", flat=True)) == {"Snow day"}


def test_export_ready_message_is_in_the_requesters_language(db):
    greek, english = TeacherFactory(), TeacherFactory()
    services.preferences_update(user=greek, language="el")

    for user in (greek, english):
        events.export_ready(user=user, title="Export", link="/exports/1/")

    messages = dict(Notification.objects.values_list("recipient_id", "message"))
    assert messages[greek.pk] == "Το αρχείο σας είναι έτοιμο για λήψη."
    assert messages[english.pk] == "Your file is ready to download."


def test_email_per_kind_is_in_each_recipients_language(db, django_capture_on_commit_callbacks):
    channels = {"attendance_alert": {"web": True, "email": True}}
    greek, english = _student("el", kinds=channels), _student("en", kinds=channels)

    with django_capture_on_commit_callbacks(execute=True):
        services.notify(
            user_ids=[greek.pk, english.pk], kind="attendance_alert", title=_absence_title()
        )

    by_address = {message.to[0]: message for message in mail.outbox}
    assert by_address[greek.email].subject.startswith("Καταχωρίστηκε απουσία")
    assert "Γεια σας" in by_address[greek.email].body
    assert by_address[english.email].subject.startswith("Absence recorded")
    assert "Hello" in by_address[english.email].body


def test_email_digest_is_in_the_users_language(db):
    user = _student("el", kinds={"system": {"web": True, "email": True}}, email_digest="daily")
    services.notify(user_ids=[user.pk], kind="system", title="Πρώτο")
    services.notify(user_ids=[user.pk], kind="system", title="Δεύτερο")

    sent = tasks.send_email_digests()

    assert sent == 1
    assert "Γεια σας" in mail.outbox[0].body
    assert "Ρυθμίστε αυτά τα email" in mail.outbox[0].body


def test_escalation_email_is_in_the_users_language(db):
    greek = _student("el", escalate_after_minutes=15, escalate_kinds=["attendance_alert"])
    english = _student("en", escalate_after_minutes=15, escalate_kinds=["attendance_alert"])
    services.notify(
        user_ids=[greek.pk, english.pk], kind="attendance_alert", title=_absence_title()
    )

    sent = escalation.escalate_due(now=timezone.now() + dt.timedelta(minutes=16))

    by_address = {message.to[0]: message.body for message in mail.outbox}
    assert sent == 2
    assert "Γεια σας" in by_address[greek.email]
    assert "Καταχωρίστηκε απουσία στο NET101" in by_address[greek.email]
    assert "Hello" in by_address[english.email]
    assert "Absence recorded in NET101" in by_address[english.email]


# --- Preferences: API --------------------------------------------------------------------------
def _api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_api_preferences_language_and_escalation_round_trip(teacher_user):
    api = _api(teacher_user)
    payload = {
        "language": "el",
        "escalate_after_minutes": 45,
        "escalate_kinds": ["attendance_alert", "alert"],
    }

    put = api.put(API, payload, format="json")
    got = api.get(API).json()

    assert put.status_code == 200
    assert got["language"] == "el"
    assert got["escalate_after_minutes"] == 45
    assert got["escalate_kinds"] == ["alert", "attendance_alert"]


def test_api_preferences_default_language_is_the_site_language(teacher_user):
    got = _api(teacher_user).get(API).json()

    assert got["language"] == ""
    assert got["escalate_after_minutes"] is None
    assert got["escalate_kinds"] == []


def test_api_preferences_escalation_can_be_turned_off_with_null(teacher_user):
    api = _api(teacher_user)
    api.put(API, {"escalate_after_minutes": 30}, format="json")

    response = api.put(API, {"escalate_after_minutes": None}, format="json")

    assert response.status_code == 200
    assert response.json()["escalate_after_minutes"] is None


def test_api_preferences_refuse_an_unknown_language(teacher_user):
    response = _api(teacher_user).put(API, {"language": "fr"}, format="json")

    assert response.status_code == 400
    assert response.json()["language"] == ['"fr" is not a valid choice.']
    assert not NotificationPreference.objects.filter(user=teacher_user, language="fr").exists()


def test_api_preferences_refuse_unknown_escalation_kinds(teacher_user):
    response = _api(teacher_user).put(API, {"escalate_kinds": ["birthday"]}, format="json")

    assert response.status_code == 400
    assert response.json()["escalate_kinds"] == ["Unknown kinds: birthday"]


def test_api_preferences_refuse_a_delay_out_of_range(teacher_user):
    api = _api(teacher_user)

    zero = api.put(API, {"escalate_after_minutes": 0}, format="json")
    too_long = api.put(API, {"escalate_after_minutes": 7 * 24 * 60 + 1}, format="json")

    assert (zero.status_code, too_long.status_code) == (400, 400)
    assert "escalate_after_minutes" in zero.json()


def test_api_preferences_need_a_login(db):
    response = APIClient().put(API, {"language": "el"}, format="json")

    assert response.status_code == 401


# --- Preferences: page ---------------------------------------------------------------------------
def test_page_preferences_save_language_and_escalation(client, teacher_user):
    client.force_login(teacher_user)
    form = {
        "email_digest": "never",
        "language": "el",
        "escalate_after_minutes": "20",
        "alert__web": "on",
        "alert__escalate": "on",
        "attendance_alert__web": "on",
        "attendance_alert__escalate": "on",
    }

    response = client.post("/notifications/preferences/", form, follow=True)

    preference = NotificationPreference.objects.get(user=teacher_user)
    assert "Οι προτιμήσεις ειδοποιήσεων αποθηκεύτηκαν." in response.content.decode()
    assert response.redirect_chain[-1][1] == 302
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "el"
    assert preference.language == "el"
    assert preference.escalate_after_minutes == 20
    assert preference.escalate_kinds == ["alert", "attendance_alert"]


def test_page_preferences_refuse_a_zero_delay(client, teacher_user):
    client.force_login(teacher_user)

    response = client.post(
        "/notifications/preferences/", {"email_digest": "never", "escalate_after_minutes": "0"}
    )

    assert response.status_code == 200
    assert "Ensure this value is greater than or equal to 1." in response.content.decode()
    assert not NotificationPreference.objects.filter(escalate_after_minutes=0).exists()


def test_page_preferences_keep_escalation_kinds_the_page_does_not_show(client, student_user):
    services.preferences_update(user=student_user, escalate_kinds=["export_ready"])
    client.force_login(student_user)

    client.post(
        "/notifications/preferences/",
        {"email_digest": "never", "grade_posted__web": "on", "grade_posted__escalate": "on"},
    )

    preference = NotificationPreference.objects.get(user=student_user)
    assert preference.escalate_kinds == ["grade_posted", "export_ready"]
