"""Manual grade posting in a real browser: a teacher sees the hidden grades marked in the
grid, clicks "Post grades", and the student signed in elsewhere gets the toast and then
sees the grade on their page.

As in test_broadcast_page.py the site runs under daphne (one process, the in-memory channel
layer) on a throw-away SQLite database, so the student's socket is live and the push is
real. With ``SMS_SCREENSHOTS=1`` the test also rewrites docs/img/grade-posting.png.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests import chromium
from tests.support.livesite import live_site, signed_in

pytestmark = pytest.mark.browser

PASSWORD = "posting-browser-pass-123"  # noqa: S105 - throw-away site
DOCS_IMG = Path(__file__).resolve().parents[2] / "docs" / "img"

SETUP = f"""
import datetime as dt
import json
from decimal import Decimal
from apps.academics import services
from tests.factories import (CourseFactory, StudentFactory, StudentUserFactory, TeacherFactory,
    enroll)
teacher = TeacherFactory(username="mteacher", first_name="Maria", last_name="Papadopoulou",
                         password={PASSWORD!r})
course = CourseFactory(course_code="NET101", course_name="Computer Networks", teachers=[teacher],
                       grade_posting="manual",
                       evaluation_rules=[{{"category": "Midterm", "weight": 40}},
                                         {{"category": "Final", "weight": 60}}])
student_user = StudentUserFactory(username="astudent", first_name="Anna", password={PASSWORD!r})
names = [("Anna", "Alexiou"), ("Babis", "Bekas"), ("Chara", "Christou")]
students = [StudentFactory(first_name=first, last_name=last) for first, last in names]
students[0].user = student_user
students[0].save()
for student, midterm, final in zip(students, ("80", "65", "72.5"), ("90", "58", "88")):
    enroll(student, course)
    for name, value, day in (("Midterm", midterm, dt.date(2025, 11, 3)),
                             ("Final", final, dt.date(2026, 1, 19))):
        services.grade_record(student=student, course=course, assignment_name=name,
                              category=name, grade=Decimal(value), date_assigned=day,
                              actor=teacher)
print(json.dumps({{"course": course.pk}}))
"""


@pytest.fixture
def site(tmp_path):
    with live_site(tmp_path, SETUP) as site:
        yield site


def _signed_in(browser, url: str, username: str):
    return signed_in(browser, url, username, PASSWORD)


def test_grade_posting_teacher_posts_and_the_student_sees_it_live(site):
    from playwright.sync_api import expect, sync_playwright

    url = site["url"]
    grid_url = f"{url}/courses/{site['ids']['course']}/grades/"
    with sync_playwright() as playwright:
        browser = chromium.launch(playwright)
        student_context, student, student_errors = _signed_in(browser, url, "astudent")
        expect(student.locator("#notif-bell")).to_have_class("notif-bell is-live")
        my_course = student.locator("tbody tr", has_text="NET101")
        expect(my_course).not_to_contain_text("86.00")
        teacher_context, teacher, teacher_errors = _signed_in(browser, url, "mteacher")

        teacher.goto(grid_url)
        expect(teacher.locator("#grade-posting")).to_contain_text("6 hidden grades")
        expect(teacher.locator(".cell-hidden")).to_have_count(6)
        if os.environ.get("SMS_SCREENSHOTS"):
            teacher.wait_for_load_state("networkidle")
            DOCS_IMG.mkdir(parents=True, exist_ok=True)
            # caret="initial": hiding the caret injects a style the CSP refuses (console error).
            teacher.screenshot(
                path=str(DOCS_IMG / "grade-posting.png"), full_page=True, caret="initial"
            )
        teacher.once("dialog", lambda dialog: dialog.accept())
        teacher.get_by_role("button", name="Post grades").click()

        expect(teacher.locator(".posting-message")).to_have_text(
            "6 grades posted. 1 student notified."
        )
        expect(teacher.locator(".cell-hidden")).to_have_count(0)
        expect(teacher.locator("#grade-posting")).to_contain_text("No hidden grades")
        expect(student.locator(".notif-toast")).to_contain_text("2 new grades in NET101")
        student.reload()
        expect(my_course).to_contain_text("86.00")
        teacher_context.close()
        student_context.close()
        browser.close()
    assert teacher_errors == []
    assert student_errors == []
