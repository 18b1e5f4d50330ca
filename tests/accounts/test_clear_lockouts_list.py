"""``manage.py clear_lockouts --list`` shows the lockouts in force and lifts none."""

import io

import pytest
from django.core.management import call_command

from apps.accounts import lockout

pytestmark = pytest.mark.django_db


def test_clear_lockouts_list_shows_each_lockout_and_lifts_nothing():
    for _ in range(lockout.max_failures()):
        lockout.register_failure("alice", "203.0.113.9")
    out = io.StringIO()

    call_command("clear_lockouts", list_only=True, stdout=out)

    lines = out.getvalue().splitlines()
    assert lines, "the lockout is listed"
    assert all("203.0.113.9" in line and "UTC" in line for line in lines)
    assert any(line.startswith("alice\t") for line in lines)
    assert f"{lockout.max_failures()} failures" in lines[0]
    assert lockout.current_lockouts()


def test_clear_lockouts_list_with_no_lockout_prints_nothing():
    out = io.StringIO()

    call_command("clear_lockouts", list_only=True, stdout=out)

    assert out.getvalue() == ""
