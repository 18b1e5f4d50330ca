"""Administrators see the current login lockouts and lift them (admin page, user action,
management command)."""

from __future__ import annotations

import io

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.urls import reverse
from rest_framework.test import APIClient

from apps.accounts import lockout
from tests.factories import PASSWORD, AdminFactory, TeacherFactory

pytestmark = pytest.mark.django_db

LOCKOUTS_URL = "/admin/accounts/user/lockouts/"
TOKEN_URL = "/api/v1/auth/token/"


def lock_out(username: str, address: str) -> None:
    for _ in range(lockout.max_failures()):
        lockout.register_failure(username, address)


def sign_in(username: str, address: str) -> int:
    payload = {"username": username, "password": PASSWORD}
    return APIClient().post(TOKEN_URL, payload, format="json", REMOTE_ADDR=address).status_code


def test_lockout_admin_page_lists_current_lockouts(client):
    client.force_login(AdminFactory())
    lock_out("mr-teacher", "203.0.113.9")

    response = client.get(LOCKOUTS_URL)

    content = response.content.decode()
    assert response.status_code == 200
    assert "mr-teacher" in content
    assert "203.0.113.9" in content
    assert "No username or address is locked out" not in content


def test_lockout_admin_page_says_when_nothing_is_locked(client):
    client.force_login(AdminFactory())

    response = client.get(LOCKOUTS_URL)

    assert "No username or address is locked out" in response.content.decode()


def test_lockout_admin_lifting_a_lockout_lets_the_user_sign_in(client):
    teacher = TeacherFactory()
    lock_out(teacher.username, "127.0.0.1")
    lock_out("someone-else", "127.0.0.1")
    client.force_login(AdminFactory())
    [number] = [i.number for i in lockout.current_lockouts() if i.username == teacher.username]
    assert sign_in(teacher.username, "127.0.0.1") == 429

    response = client.post(LOCKOUTS_URL, {"number": [number]}, follow=True)

    assert "1 lockout lifted." in response.content.decode()
    assert sign_in(teacher.username, "127.0.0.1") == 200
    assert [item.username for item in lockout.current_lockouts()] == ["someone-else"]


def test_lockout_admin_lift_all_clears_accounts_and_addresses(client, settings):
    settings.SMS_LOGIN_MAX_FAILURES_PER_IP = 5
    lock_out("ghost", "203.0.113.9")  # each locks its account from there and the address
    lock_out("other", "198.51.100.1")
    client.force_login(AdminFactory())

    response = client.post(LOCKOUTS_URL, {"clear_all": "1"}, follow=True)

    assert "4 lockouts lifted." in response.content.decode()
    assert lockout.current_lockouts() == []
    assert lockout.seconds_locked("new-name", "203.0.113.9") == 0


def test_lockout_admin_action_lifts_the_selected_users_lockouts(client):
    teacher, bystander = TeacherFactory(), TeacherFactory()
    lock_out(teacher.username, "203.0.113.9")
    lock_out(teacher.username, "198.51.100.1")
    lock_out(bystander.username, "203.0.113.9")
    client.force_login(AdminFactory())

    response = client.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "clear_login_lockouts", "_selected_action": [teacher.pk]},
        follow=True,
    )

    assert "2 lockouts lifted." in response.content.decode()
    assert lockout.seconds_locked(teacher.username, "203.0.113.9") == 0
    assert lockout.seconds_locked(bystander.username, "203.0.113.9") > 0


def test_lockout_admin_page_is_linked_from_the_user_list(client):
    client.force_login(AdminFactory())

    response = client.get(reverse("admin:accounts_user_changelist"))

    assert LOCKOUTS_URL in response.content.decode()


def test_lockout_admin_page_refuses_teachers_even_with_staff_status(client):
    lock_out("mr-teacher", "203.0.113.9")
    client.force_login(TeacherFactory(is_staff=True))

    page = client.get(LOCKOUTS_URL)
    lift = client.post(LOCKOUTS_URL, {"clear_all": "1"})

    assert page.status_code == 302
    assert page["Location"].startswith(reverse("admin:login"))
    assert lift.status_code == 302
    assert lockout.seconds_locked("mr-teacher", "203.0.113.9") > 0


def test_clear_lockouts_command_lifts_one_username_from_every_address():
    lock_out("alice", "203.0.113.9")
    lock_out("alice", "198.51.100.1")
    lock_out("bob", "203.0.113.9")
    out = io.StringIO()

    call_command("clear_lockouts", username="Alice", stdout=out)

    assert "2 lockout(s) lifted." in out.getvalue()
    assert lockout.seconds_locked("alice", "198.51.100.1") == 0
    assert lockout.seconds_locked("bob", "203.0.113.9") > 0


def test_clear_lockouts_command_lifts_an_address_missing_from_the_journal(settings):
    settings.SMS_LOGIN_MAX_FAILURES_PER_IP = 2
    lockout.register_failure("a", "203.0.113.9")
    lockout.register_failure("b", "203.0.113.9")
    cache.delete(lockout.SEQUENCE_KEY)  # e.g. Redis restarted: the list starts again empty
    assert lockout.current_lockouts() == []

    call_command("clear_lockouts", address="203.0.113.9", stdout=io.StringIO())

    assert lockout.seconds_locked("c", "203.0.113.9") == 0


def test_lockout_admin_ignores_numbers_that_are_not_lockouts(client):
    lock_out("mr-teacher", "203.0.113.9")
    client.force_login(AdminFactory())

    response = client.post(LOCKOUTS_URL, {"number": ["9" * 5000, "abc", "-1", "77"]})

    assert response.status_code == 302
    assert lockout.seconds_locked("mr-teacher", "203.0.113.9") > 0
