"""Screenshots for docs/user-guide.md, taken from the small demo school.

Not part of the normal run: ``SMS_SCREENSHOTS=1 pytest tests/browser/test_screenshots.py``
rewrites docs/img/*.png (laptop 1280×800 and phone 390×844).
"""

import io
import os
from pathlib import Path

import pytest
from django.core.management import call_command

from apps.academics.models import Course, Enrollment
from apps.accounts.models import User
from tests.browser.conftest import log_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.environ.get("SMS_SCREENSHOTS"), reason="set SMS_SCREENSHOTS=1"),
]

DOCS_IMG = Path(__file__).resolve().parents[2] / "docs" / "img"


def shoot(page, name: str, full_page: bool = False) -> None:
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(DOCS_IMG / f"{name}.png"), full_page=full_page)


def test_screenshots_for_the_user_guide(browser, live_server, transactional_db):
    call_command("seed_demo", size="small", seed=42, stdout=io.StringIO())
    DOCS_IMG.mkdir(parents=True, exist_ok=True)
    teacher = User.objects.get(username="teacher")
    course = Course.objects.filter(teachers=teacher).exclude(evaluation_rules=[]).first()
    student_id = Enrollment.objects.filter(course=course).values_list("student_id", flat=True)[0]
    base = live_server.url

    laptop = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-GB")
    page = laptop.new_page()
    page.base_url = base
    page.goto(base + "/accounts/login/")
    shoot(page, "login")
    log_in(page, "teacher", "teacher")
    shoot(page, "home")
    page.goto(f"{base}/courses/{course.pk}/")
    shoot(page, "roster")
    page.goto(f"{base}/courses/{course.pk}/grades/")
    cell = page.locator("input.grade-input").nth(1)
    cell.fill("abc")
    cell.press("Tab")
    page.locator("td.has-error").wait_for()
    shoot(page, "grade-grid")
    page.goto(f"{base}/courses/{course.pk}/attendance/")
    rows = page.locator("tbody tr")
    rows.nth(1).get_by_role("button", name="Absent").click()
    rows.nth(3).get_by_role("button", name="Late").click()
    page.locator("#attendance-counts", has_text="Late 1").wait_for()
    shoot(page, "attendance")
    page.goto(f"{base}/students/{student_id}/")
    shoot(page, "student-profile")
    with page.expect_navigation():
        page.select_option("select[name=language]", "el")
    page.goto(f"{base}/courses/{course.pk}/attendance/")
    shoot(page, "attendance-el")
    page.goto(f"{base}/courses/{course.pk}/grades/")
    shoot(page, "grade-grid-el")
    with page.expect_navigation():
        page.select_option("select[name=language]", "en")
    laptop.close()

    phone = browser.new_context(
        viewport={"width": 390, "height": 844}, locale="en-GB", is_mobile=True, has_touch=True
    )
    page = phone.new_page()
    page.base_url = base
    log_in(page, "teacher", "teacher")
    page.goto(f"{base}/courses/{course.pk}/attendance/")
    shoot(page, "phone-attendance")
    page.goto(f"{base}/courses/{course.pk}/grades/")
    shoot(page, "phone-grade-grid")
    phone.close()
