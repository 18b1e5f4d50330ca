"""The broadcast page in a real browser: an admin composes, watches the audience count
follow the choices, sends, and a student signed in elsewhere gets the toast and the bell.

As in test_csp.py the site runs under daphne (one process, the in-memory channel layer) on
a throw-away SQLite database, so the student's socket is live and the push is real. With
``SMS_SCREENSHOTS=1`` the test also rewrites docs/img/broadcast-page.png.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests import chromium
from tests.support.livesite import live_site, signed_in

pytestmark = pytest.mark.browser

PASSWORD = "broadcast-browser-pass-123"  # noqa: S105 - throw-away site
DOCS_IMG = Path(__file__).resolve().parents[2] / "docs" / "img"

SETUP = f"""
import json
from apps.accounts.models import Role
from apps.notifications.services import broadcast
from tests.factories import (AdminFactory, CourseFactory, StudentFactory, StudentUserFactory,
    TeacherFactory, enroll)
admin = AdminFactory(username="office", first_name="Eleni", last_name="Kosta",
                     password={PASSWORD!r})
teacher = TeacherFactory(username="mteacher", first_name="Maria", last_name="Papadopoulou")
TeacherFactory(username="gteacher", first_name="Giorgos", last_name="Nikolaou")
course = CourseFactory(course_code="NET101", course_name="Computer Networks", semester="Fall",
                       teachers=[teacher])
CourseFactory(course_code="DB201", course_name="Databases", semester="Spring")
student_user = StudentUserFactory(username="astudent", first_name="Anna", password={PASSWORD!r})
students = [StudentFactory(user=student_user)]
students += [StudentFactory(user=StudentUserFactory()) for _ in range(4)]
for student in students[:3]:
    enroll(student, course)
broadcast(actor=admin, title="Welcome back", message="Term starts on Monday.",
          roles=[Role.STUDENT, Role.TEACHER])
print(json.dumps({{"course": course.pk}}))
"""


@pytest.fixture
def site(tmp_path):
    with live_site(tmp_path, SETUP) as site:
        yield site


def _signed_in(browser, url: str, username: str):
    return signed_in(browser, url, username, PASSWORD)


def test_broadcast_page_sends_and_the_student_sees_it_live(site):
    from playwright.sync_api import expect, sync_playwright

    url = site["url"]
    with sync_playwright() as playwright:
        browser = chromium.launch(playwright)
        student_context, student, _ = _signed_in(browser, url, "astudent")
        expect(student.locator("#notif-bell")).to_have_class("notif-bell is-live")
        expect(student.locator("[data-notif-badge]")).to_have_text("1")
        admin_context, admin, admin_errors = _signed_in(browser, url, "office")

        admin.get_by_role("link", name="Broadcast").click()
        admin.wait_for_url(url + "/notifications/broadcast/")
        count = admin.locator("#broadcast-count")
        expect(count).to_contain_text("Choose who should receive it")
        admin.fill("#id_title", "Lab moved to room 204")
        admin.fill("#id_message", "Thursday's lab takes place in room 204.")
        admin.get_by_label("Teachers", exact=True).check()
        expect(count).to_have_text("This will reach 2 people.")
        admin.select_option("#id_course", str(site["ids"]["course"]))
        expect(count).to_have_text("This will reach 5 people.")
        admin.fill("#id_people", "nobody")
        expect(count).to_contain_text("Not found: nobody")
        admin.fill("#id_people", "")
        expect(count).to_have_text("This will reach 5 people.")
        admin.click("#broadcast-send")

        expect(admin.locator(".message.success")).to_have_text("Sent to 5 people.")
        expect(admin.locator("#broadcast-history tbody tr").first).to_contain_text(
            "Lab moved to room 204"
        )
        expect(admin.locator("#broadcast-history tbody tr").first).to_contain_text("5")
        expect(student.locator(".notif-toast")).to_contain_text("Lab moved to room 204")
        expect(student.locator("[data-notif-badge]")).to_have_text("2")
        if os.environ.get("SMS_SCREENSHOTS"):
            _screenshot(admin, expect)
        admin_context.close()
        student_context.close()
        browser.close()
    assert admin_errors == []


def _screenshot(page, expect) -> None:
    """The page as the admin guide shows it: last send confirmed, the next one drafted."""
    page.fill("#id_title", "Parents' evening on Friday")
    page.fill("#id_message", "Teachers meet parents from 17:00 in the main hall.")
    page.get_by_label("Teachers", exact=True).check()
    page.get_by_label("Students", exact=True).check()
    expect(page.locator("#broadcast-count")).to_have_text("This will reach 7 people.")
    page.wait_for_load_state("networkidle")
    DOCS_IMG.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(DOCS_IMG / "broadcast-page.png"), full_page=True)
