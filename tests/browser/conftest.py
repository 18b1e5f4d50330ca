"""Playwright (sync API) driving Debian's Chromium against pytest-django's live server.

Playwright's sync API runs an event loop in the test thread, which Django would take for
async context and refuse database access; the tests are plain sync code, so allow it.
A failed test leaves a full-page screenshot in test-artifacts/.
"""

import datetime as dt
import os
import re
from decimal import Decimal
from pathlib import Path

import pytest

from tests.chromium import CHROMIUM, launch
from tests.factories import (
    PASSWORD,
    CourseFactory,
    GradeFactory,
    StudentFactory,
    StudentUserFactory,
    TeacherFactory,
    enroll,
)

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"report_{report.when}", report)


@pytest.fixture(scope="package")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip(f"Chromium not found at {CHROMIUM}")
    with sync_api.sync_playwright() as playwright:
        browser = launch(playwright)
        yield browser
        browser.close()


# transactional_db first: the page (its tab, its sockets, its polling) is closed before the
# database is flushed, so no request of the live server holds a table the flush must clear.
@pytest.fixture
def page(request, transactional_db, browser, live_server):
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-GB")
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.base_url = live_server.url
    in_flight = _track_requests(page)
    yield page
    failed = getattr(request.node, "report_call", None)
    if failed is not None and failed.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid)
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    _wait_for_requests(page, in_flight)
    context.close()


def _track_requests(page) -> set:
    """The page's requests that have not had their whole answer yet."""
    in_flight: set = set()

    def started(request) -> None:
        in_flight.add(request)

    def ended(request) -> None:
        in_flight.discard(request)

    page.on("request", started)
    page.on("requestfinished", ended)
    page.on("requestfailed", ended)
    return in_flight


def _wait_for_requests(page, in_flight: set, seconds: float = 10) -> None:
    """Let requests the test did not wait for finish (a card loaded after the page, the
    last htmx swap): closing the tab does not stop the live server's view, which held a
    table the flush then could not clear ("database table is locked")."""
    for _ in range(int(seconds / 0.05)):
        if not in_flight:
            return
        page.wait_for_timeout(50)


def log_in(page, username: str, password: str = PASSWORD) -> None:
    page.goto(page.base_url + "/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_url(page.base_url + "/")


@pytest.fixture
def school(transactional_db):
    """A teacher's course with three students; the first has a midterm and a final."""
    teacher = TeacherFactory(username="mteacher", first_name="Maria", last_name="Papadopoulou")
    course = CourseFactory(
        course_code="NET101",
        course_name="Computer Networks",
        teachers=[teacher],
        evaluation_rules=[
            {"category": "Midterm", "weight": 40},
            {"category": "Final", "weight": 60},
        ],
    )
    students = [
        StudentFactory(first_name=first, last_name=last)
        for first, last in [("Anna", "Alexiou"), ("Babis", "Bekas"), ("Chara", "Christou")]
    ]
    for student in students:
        enroll(student, course)
    for name, category, grade, day in [
        ("Midterm", "Midterm", "80", dt.date(2025, 11, 1)),
        ("Final exam", "Final", "90", dt.date(2026, 1, 20)),
    ]:
        GradeFactory(
            student=students[0],
            course=course,
            assignment_name=name,
            category=category,
            grade=Decimal(grade),
            date_assigned=day,
        )
    student_user = StudentUserFactory(username="astudent")
    students[0].user = student_user
    students[0].save()
    return {
        "teacher": teacher,
        "course": course,
        "students": students,
        "student_user": student_user,
    }
