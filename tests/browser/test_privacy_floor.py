"""A student's own report in a real browser: the comparison with a course of five shows the
course average and their percentile; a course of three shows only why it is hidden. With
``SMS_SCREENSHOTS=1`` the test also rewrites docs/img/student-comparison.png."""

from __future__ import annotations

import datetime as dt
import os
from decimal import Decimal
from pathlib import Path

import pytest

from tests.browser.conftest import log_in
from tests.factories import CourseFactory, GradeFactory, StudentFactory, StudentUserFactory, enroll

pytestmark = pytest.mark.browser

DOCS_IMG = Path(__file__).resolve().parents[2] / "docs" / "img"


def _course(code: str, name: str, finals: list[int], me):
    course = CourseFactory(
        course_code=code,
        course_name=name,
        evaluation_rules=[{"category": "Homework", "weight": 100}],
    )
    for index, final in enumerate(finals):
        student = me if index == 0 else StudentFactory()
        enroll(student, course)
        GradeFactory(
            student=student,
            course=course,
            assignment_name="H1",
            grade=Decimal(final),
            date_assigned=dt.date(2025, 10, 1),
        )
    return course


@pytest.fixture
def student(transactional_db):
    user = StudentUserFactory(username="cstudent")
    me = StudentFactory(user=user, first_name="Anna", last_name="Alexiou")
    _course("NET101", "Computer Networks", [80, 40, 50, 60, 70], me)
    _course("DB201", "Databases", [70, 90, 30], me)
    return me


def test_privacy_floor_student_sees_the_comparison_only_for_the_big_enough_course(page, student):
    from playwright.sync_api import expect

    log_in(page, "cstudent")
    page.get_by_role("link", name="My report").click()
    page.wait_for_url(f"{page.base_url}/analytics/students/{student.pk}/")

    big = page.locator("tr", has_text="NET101")
    small = page.locator("tr", has_text="DB201")
    # Finals 80 (hers), 40, 50, 60, 70: the course average is 60; four below her, none
    # equal but herself (counting half): the 90th percentile.
    expect(big.locator("td").nth(8)).to_have_text("60.0")
    expect(big.locator("td").nth(9)).to_have_text("90")
    expect(small.locator("[data-comparison-hidden]")).to_contain_text(
        "Shown when at least 5 students have a final grade"
    )
    expect(page.locator("main")).not_to_contain_text("63.33")  # DB201's average stays hidden
    # A student has no dashboard to go back to, and the wide table scrolls in its card.
    expect(page.get_by_role("link", name="← Analytics")).to_have_count(0)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    if os.environ.get("SMS_SCREENSHOTS"):
        DOCS_IMG.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(DOCS_IMG / "student-comparison.png"), full_page=True)
