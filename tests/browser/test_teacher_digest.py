"""The teachers' weekly digest in a real browser: from the analytics dashboard to the
digest, then to a student it names. With ``SMS_SCREENSHOTS=1`` the test also rewrites
docs/img/teacher-digest.png."""

from __future__ import annotations

import datetime as dt
import os
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.conftest import log_in
from tests.factories import (
    AttendanceFactory,
    CourseFactory,
    GradeFactory,
    StudentFactory,
    TeacherFactory,
    enroll,
)

pytestmark = pytest.mark.browser

DOCS_IMG = Path(__file__).resolve().parents[2] / "docs" / "img"


def _days_ago(days: int) -> dt.date:
    return timezone.localdate() - dt.timedelta(days=days)


@pytest.fixture
def digest_school(transactional_db):
    """NET101: Anna falls below 50 this week (newly at risk, a grade drop), Babis misses
    three lessons, Chara has no grade for the second lab yet."""
    teacher = TeacherFactory(username="mteacher", first_name="Maria", last_name="Papadopoulou")
    course = CourseFactory(
        course_code="NET101",
        course_name="Computer Networks",
        teachers=[teacher],
        evaluation_rules=[{"category": "Lab", "weight": 100}],
    )
    CourseFactory(course_code="DB201", course_name="Databases", teachers=[teacher])
    anna, babis, chara = (
        StudentFactory(first_name=first, last_name=last)
        for first, last in [("Anna", "Alexiou"), ("Babis", "Bekas"), ("Chara", "Christou")]
    )
    for student in (anna, babis, chara):
        enroll(student, course)
    for student, first, second in ((anna, "85", "5"), (babis, "75", "80"), (chara, "90", None)):
        for name, grade, days in (("Lab 1", first, 20), ("Lab 2", second, 3)):
            if grade is not None:
                GradeFactory(
                    student=student,
                    course=course,
                    assignment_name=name,
                    category="Lab",
                    grade=Decimal(grade),
                    date_assigned=_days_ago(days),
                )
    for day in range(10, 40, 3):
        AttendanceFactory(student=babis, course=course, date=_days_ago(day), status="present")
    for day in (1, 2, 3):
        AttendanceFactory(student=babis, course=course, date=_days_ago(day), status="absent")
    return {"anna": anna}


def test_teacher_opens_the_digest_and_follows_a_student_link(page, digest_school):
    log_in(page, "mteacher")
    page.goto(page.base_url + "/analytics/")

    page.locator("#digest-link").click()
    page.wait_for_url(page.base_url + "/analytics/digest/")

    course = page.locator("section.digest-course", has_text="NET101")
    expect(course.locator(".digest-at-risk")).to_contain_text("Alexiou Anna")
    expect(course.locator(".digest-at-risk")).to_contain_text("Average grade 45.00 is below 50.")
    expect(course.locator(".digest-slips")).to_contain_text("Bekas Babis: 3 unexcused absences")
    expect(course.locator(".digest-missing")).to_contain_text("Lab 2")
    expect(course.locator(".digest-missing")).to_contain_text("1 grade missing")
    quiet = page.locator("section.digest-course", has_text="DB201")
    expect(quiet).to_contain_text("Nothing to report this week.")
    if os.environ.get("SMS_SCREENSHOTS"):
        DOCS_IMG.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(DOCS_IMG / "teacher-digest.png"), full_page=True)

    course.locator(".digest-at-risk").get_by_role("link", name="Alexiou Anna").click()

    page.wait_for_url(f"{page.base_url}/analytics/students/{digest_school['anna'].pk}/")
    expect(page.locator("h1")).to_contain_text("Alexiou Anna")
