"""Escalation on PostgreSQL: the due query uses its partial index, and workers running at
the same moment each claim different rows (``FOR UPDATE SKIP LOCKED``), so every due
notification is emailed exactly once."""

import datetime as dt
import os
import threading

import pytest
from django.core import mail
from django.db import connection, connections
from django.utils import timezone

from apps.notifications import escalation, services
from apps.notifications.models import EmailState, Notification
from tests.factories import TeacherFactory

pytestmark = pytest.mark.postgres


@pytest.fixture
def on_postgres():
    """Skips on SQLite; the PostgreSQL run (``SMS_REQUIRE_POSTGRES=1``) fails instead."""
    if connection.vendor == "postgresql":
        return
    if os.environ.get("SMS_REQUIRE_POSTGRES") == "1":
        pytest.fail(f"expected PostgreSQL, got {connection.vendor}", pytrace=False)
    pytest.skip(f"needs PostgreSQL, running on {connection.vendor}")


def _escalating_teachers(count: int) -> list:
    users = [TeacherFactory() for _ in range(count)]
    for user in users:
        services.preferences_update(
            user=user, escalate_after_minutes=5, escalate_kinds=["alert", "attendance_alert"]
        )
    return users


def test_escalation_due_query_uses_the_partial_index(on_postgres, db):
    # A school's table: many rows that never escalate (read, or of other kinds), a few due.
    (user,) = _escalating_teachers(1)
    now = timezone.now()
    rows = [
        Notification(recipient=user, kind="system", title=f"Old {index}", read_at=now)
        for index in range(20_000)
    ]
    rows += [
        Notification(recipient=user, kind="system", title=f"Unread {index}")
        for index in range(2_000)
    ]
    rows += [
        Notification(recipient=user, kind="alert", title=f"Due {index}", escalate_at=now)
        for index in range(20)
    ]
    Notification.objects.bulk_create(rows, batch_size=5_000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE notifications_notification")

    plan = escalation.due(now).order_by("recipient_id", "id").explain()

    assert "notif_escalate_due_idx" in plan
    assert escalation.due(now).count() == 20


def test_escalation_concurrent_workers_send_each_notification_once(on_postgres, transactional_db):
    users = _escalating_teachers(6)
    for index in range(5):
        services.notify(user_ids=[u.pk for u in users], kind="alert", title=f"Alert {index}")
    later = timezone.now() + dt.timedelta(minutes=6)
    start = threading.Barrier(4)
    results, errors = [], []

    def worker():
        try:
            start.wait()
            results.append(escalation.escalate_due(now=later, batch=4))
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    listed = [line for message in mail.outbox for line in message.body.splitlines()]
    assert errors == []
    assert sum(results) == len(mail.outbox)
    assert sorted(line for line in listed if line.startswith("- Alert ")) == sorted(
        f"- Alert {index}" for index in range(5) for _user in users
    )
    assert set(Notification.objects.values_list("email_state", flat=True)) == {EmailState.SENT}
