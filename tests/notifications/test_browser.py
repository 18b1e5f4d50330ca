"""A real browser: the bell and a toast update live when a grade is posted elsewhere."""

import os

import pytest

from tests import chromium
from tests.integration.conftest import missing_service
from tests.support import livestack

pytestmark = [pytest.mark.browser, pytest.mark.redis]

SETUP = """
import datetime as dt, json
from apps.accounts.models import User
from apps.academics.models import Course, Enrollment, Student
student_user = User(username="browser_student", role="student", email="bs@example.org",
                    first_name="Maria")
student_user.set_password("browser-pass-123")
student_user.save()
teacher = User.objects.create(username="browser_teacher", role="teacher")
course = Course.objects.create(course_code="BRW101", course_name="Browsers", semester="A")
course.teachers.set([teacher])
student = Student.objects.create(student_id="B0001", first_name="Maria", last_name="P",
    email="b0001@example.org", enrollment_date=dt.date(2025, 9, 1), user=student_user)
Enrollment.objects.create(student=student, course=course, enrolled_at=dt.date(2025, 9, 2))
print(json.dumps(True))
"""

POST_GRADE = """
import json
from decimal import Decimal
from apps.accounts.models import User
from apps.academics.models import Course, Student
from apps.academics.services import grade_create
grade_create(student=Student.objects.get(student_id="B0001"),
             course=Course.objects.get(course_code="BRW101"), assignment_name="Lab 3",
             category="Lab", grade=Decimal("92"),
             actor=User.objects.get(username="browser_teacher"))
print(json.dumps(True))
"""


@pytest.fixture
def live_site(tmp_path):
    redis_url = os.environ.get("TEST_REDIS_URL", "")
    if not redis_url:
        missing_service("TEST_REDIS_URL is not set: no real Redis to test against")
    env = livestack.site_env(tmp_path, redis_url, DJANGO_ALLOW_ASYNC_UNSAFE="true")
    livestack.migrate(env)
    livestack.run_python(env, SETUP)
    port = livestack.free_port()
    process = livestack.start_daphne(env, port)
    yield {"env": env, "url": f"http://127.0.0.1:{port}"}
    livestack.stop(process)


def test_browser_badge_and_toast_update_live_when_a_grade_is_posted(live_site):
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser = chromium.launch(playwright)
        page = browser.new_page()
        page.goto(live_site["url"] + "/accounts/login/")
        page.fill("input[name=username]", "browser_student")
        page.fill("input[name=password]", "browser-pass-123")
        page.click("button[type=submit]")
        bell = page.locator("#notif-bell")
        expect(bell).to_have_class("notif-bell is-live", timeout=15000)
        expect(page.locator("[data-notif-badge]")).to_be_hidden()

        livestack.run_python(live_site["env"], POST_GRADE)

        expect(page.locator("[data-notif-badge]")).to_have_text("1", timeout=15000)
        toast = page.locator(".notif-toast")
        expect(toast).to_contain_text("New grade in BRW101: Lab 3 92/100")
        browser.close()
