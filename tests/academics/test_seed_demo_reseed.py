"""Seeding again: the term the demo falls on, accounts that already exist, and a reset run
outside a transaction (as ``manage.py seed_demo --reset`` runs) on SQLite."""

import datetime as dt
from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.db import connection

from apps.academics.demo.term import build_term
from apps.academics.models import Course, Grade, Student
from tests.factories import PASSWORD, StudentFactory, UserFactory


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def seed(*args: str) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def sqlite_setting(name: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"PRAGMA {name}")
        return cursor.fetchone()[0]


def test_build_term_in_the_first_days_of_september_uses_the_previous_school_year():
    term = build_term(dt.date(2026, 9, 4))

    assert term.academic_year == "2025-2026"
    assert term.days[0] == dt.date(2025, 9, 1)
    assert term.days[-1] == dt.date(2026, 9, 3)
    assert len(term.days) > 150


def test_build_term_leaves_out_the_christmas_break():
    term = build_term(dt.date(2027, 2, 1))

    holidays = [day for day in term.days if dt.date(2026, 12, 24) <= day <= dt.date(2027, 1, 6)]
    assert term.academic_year == "2026-2027"
    assert holidays == []
    assert dt.date(2026, 12, 23) in term.days
    assert dt.date(2027, 1, 7) in term.days


def test_seed_demo_keeps_an_existing_admin_account_and_says_so(db):
    UserFactory(username="admin", email="head@school.example.org", role="admin")

    output = seed("--size", "tiny")

    assert "These accounts existed already and were left unchanged" in output
    assert output.rstrip().endswith("admin")
    assert authenticate(username="admin", password=PASSWORD) is not None
    assert Student.objects.count() == 40


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's write settings")
def test_seed_demo_reset_outside_a_transaction_restores_sqlite_write_settings():
    StudentFactory(student_id="OLD0001")
    synchronous, cache_size = sqlite_setting("synchronous"), sqlite_setting("cache_size")

    output = seed("--size", "tiny", "--reset")

    assert "reset" in output
    assert not Student.all_objects.filter(student_id="OLD0001").exists()
    assert Student.objects.count() == 40
    assert Course.objects.exists() and Grade.objects.exists()
    assert (sqlite_setting("synchronous"), sqlite_setting("cache_size")) == (
        synchronous,
        cache_size,
    )
