"""Notification links: relative or http(s) only, refused everywhere else, never an unsafe href."""

import pytest
from django.core import mail
from django.test import Client
from rest_framework.test import APIClient

from apps.notifications import services
from apps.notifications.links import is_safe_link
from apps.notifications.models import Notification
from apps.notifications.tasks import send_due_emails
from tests.factories import AdminFactory, StudentUserFactory, TeacherFactory

SAFE = [
    "",
    "/",
    "/courses/3/",
    "/bulk/imports/7/?page=2#rows",
    "http://example.org",
    "https://example.org/files/a.csv?x=1",
    "HTTPS://Example.org/",
]
UNSAFE = [
    "javascript:alert(1)",
    "JavaScript:alert(1)",
    " javascript:alert(1)",
    "java\tscript:alert(1)",
    "java\nscript:alert(1)",
    "\x01javascript:alert(1)",
    "javascript\x00:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    "//evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "https:/evil.example",
    "https://",
    "http:///evil.example",
    "ftp://files.example.org/a.csv",
    "mailto:someone@example.org",
    "courses/3/",
    "?page=2",
    "/courses/ 3/",
    "/courses/\u00a03/",
    "/courses/\x853/",
    "/courses/\u20283/",
    "/" + "a" * 500,
]
INVALID_LINK = (
    "Enter a path on this site starting with “/” or an address starting with http:// or https://."
)


@pytest.mark.parametrize("link", SAFE)
def test_is_safe_link_accepts_site_paths_and_http_urls(link):
    assert is_safe_link(link) is True


@pytest.mark.parametrize("link", UNSAFE)
def test_is_safe_link_refuses_scripts_other_schemes_and_character_tricks(link):
    assert is_safe_link(link) is False


# --- notify() from code -------------------------------------------------------------------
@pytest.mark.parametrize("link", ["javascript:alert(1)", "//evil.example", "java\tscript:x"])
def test_notify_with_an_unsafe_link_raises_and_stores_nothing(db, link):
    user = TeacherFactory()

    with pytest.raises(ValueError, match="Unsafe notification link"):
        services.notify(user_ids=[user.pk], kind="system", title="Hi", link=link)

    assert Notification.objects.count() == 0


def test_notify_with_a_site_path_stores_the_link(db):
    user = TeacherFactory()

    (row,) = services.notify(user_ids=[user.pk], kind="system", title="Hi", link="/courses/1/")

    assert row.link == "/courses/1/"


# --- the broadcast API --------------------------------------------------------------------
@pytest.fixture
def admin_api(db):
    client = APIClient()
    client.force_authenticate(AdminFactory())
    return client


@pytest.mark.parametrize("link", ["javascript:alert(1)", " javascript:alert(1)", "//evil.org"])
def test_api_broadcast_with_an_unsafe_link_is_a_400_on_the_field(admin_api, link):
    StudentUserFactory()

    response = admin_api.post(
        "/api/v1/notifications/broadcast/",
        {"title": "Closed", "roles": ["student"], "link": link},
        format="json",
    )

    assert response.status_code == 400
    assert response.json() == {"link": [INVALID_LINK]}
    assert Notification.objects.count() == 0


def test_api_broadcast_with_a_site_path_reaches_the_students(admin_api):
    student = StudentUserFactory()

    response = admin_api.post(
        "/api/v1/notifications/broadcast/",
        {"title": "Closed", "roles": ["student"], "link": "/courses/"},
        format="json",
    )

    assert response.status_code == 201
    assert Notification.objects.get(recipient=student).link == "/courses/"


# --- the admin ----------------------------------------------------------------------------
def _admin_post(client, notification, link):
    return client.post(
        f"/admin/notifications/notification/{notification.pk}/change/",
        {
            "recipient": notification.recipient_id,
            "kind": notification.kind,
            "title": notification.title,
            "message": "",
            "data": "{}",
            "link": link,
            "origin": "",
            "read_at_0": "",
            "read_at_1": "",
            "email_state": "",
        },
    )


@pytest.fixture
def admin_client_and_row(db):
    client = Client()
    client.force_login(AdminFactory())
    (row,) = services.notify(user_ids=[TeacherFactory().pk], kind="system", title="Hello")
    return client, row


def test_admin_form_refuses_an_unsafe_link_with_a_message(admin_client_and_row):
    client, row = admin_client_and_row

    response = _admin_post(client, row, "javascript:alert(1)")

    assert response.status_code == 200
    assert INVALID_LINK in response.content.decode()
    row.refresh_from_db()
    assert row.link == ""


def test_admin_form_saves_a_safe_link(admin_client_and_row):
    client, row = admin_client_and_row

    response = _admin_post(client, row, "https://example.org/timetable")

    assert response.status_code == 302
    row.refresh_from_db()
    assert row.link == "https://example.org/timetable"


# --- what is rendered ---------------------------------------------------------------------
def _legacy_rows(user):
    """Rows stored before the link rule, written straight to the table."""
    return Notification.objects.bulk_create(
        [
            Notification(
                recipient=user, kind="broadcast", title="Evil", link="javascript:alert(1)"
            ),
            Notification(recipient=user, kind="broadcast", title="Sneaky", link="//evil.example"),
            Notification(recipient=user, kind="broadcast", title="Fine", link="/courses/"),
        ]
    )


def test_notification_centre_shows_a_stored_unsafe_link_as_plain_text(db):
    user = TeacherFactory()
    _legacy_rows(user)
    client = Client()
    client.force_login(user)

    html = client.get("/notifications/").content.decode()

    assert "javascript:" not in html
    assert "//evil.example" not in html
    assert '<span class="notif-title">Evil</span>' in html
    assert '<span class="notif-title">Sneaky</span>' in html
    assert '<a href="/courses/" class="notif-title">Fine</a>' in html


def test_api_list_withholds_a_stored_unsafe_link(db):
    user = TeacherFactory()
    _legacy_rows(user)
    client = APIClient()
    client.force_authenticate(user)

    results = client.get("/api/v1/notifications/").json()["results"]

    assert {row["title"]: row["link"] for row in results} == {
        "Evil": "",
        "Sneaky": "",
        "Fine": "/courses/",
    }


def test_websocket_payload_withholds_a_stored_unsafe_link(db):
    user = TeacherFactory()
    rows = _legacy_rows(user)

    payloads = [services.serialize(row) for row in rows]

    assert [payload["link"] for payload in payloads] == ["", "", "/courses/"]


def test_email_leaves_out_an_unsafe_link_and_completes_a_site_path(db, settings):
    settings.SMS_SITE_URL = "https://sms.example.org"
    user = TeacherFactory()
    _legacy_rows(user)
    Notification.objects.create(
        recipient=user, kind="broadcast", title="Out", link="https://example.org/x"
    )
    Notification.objects.update(email_state="pending")

    send_due_emails()

    (message,) = mail.outbox
    assert "javascript:" not in message.body
    assert "//evil.example" not in message.body
    assert "https://sms.example.org/courses/" in message.body
    assert "https://example.org/x" in message.body
    assert "https://sms.example.orghttps://" not in message.body
