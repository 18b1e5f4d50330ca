"""The Content-Security-Policy in a real browser: every main page, as each role, with no
console error and no policy violation; links never become javascript: hrefs.

The site runs under daphne (the production ASGI stack, with its WebSocket) on a throw-away
SQLite database, one process and the in-memory channel layer, so the notification socket
really connects under ``connect-src``. Violations are caught twice: as console errors
(Chromium logs every refusal) and through ``securitypolicyviolation`` events.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests import chromium
from tests.support import livestack

pytestmark = pytest.mark.browser

PASSWORD = "csp-browser-pass-123"  # noqa: S105 - throw-away site

SETUP = f"""
import datetime as dt, json
from decimal import Decimal
from apps.notifications.models import Notification
from apps.notifications.services import notify
from tests.factories import (AdminFactory, AttendanceFactory, CourseFactory, GradeFactory,
    StudentFactory, StudentUserFactory, TeacherFactory, enroll)
admin = AdminFactory(username="csp_admin", password={PASSWORD!r})
teacher = TeacherFactory(username="csp_teacher", password={PASSWORD!r})
student_user = StudentUserFactory(username="csp_student", password={PASSWORD!r})
course = CourseFactory(course_code="CSP101", teachers=[teacher], evaluation_rules=[
    {{"category": "Midterm", "weight": 40}}, {{"category": "Lab", "weight": 60}}])
students = [StudentFactory() for _ in range(3)]
students[0].user = student_user
students[0].save()
for index, student in enumerate(students):
    enroll(student, course)
    GradeFactory(student=student, course=course, assignment_name="Midterm", category="Midterm",
                 grade=Decimal(60 + 10 * index), date_assigned=dt.date(2025, 11, 3))
    GradeFactory(student=student, course=course, assignment_name="Lab 1", category="Lab",
                 grade=Decimal(70 + 5 * index), date_assigned=dt.date(2025, 11, 10))
    AttendanceFactory(student=student, course=course, date=dt.date(2025, 11, 3),
                      status="absent" if index == 1 else "present")
users = [admin, teacher, student_user]
rows = notify(user_ids=[u.pk for u in users], kind="system", title="Timetable",
              link="/courses/")
# As stored before the link rule: written straight to the table.
Notification.objects.bulk_create([
    Notification(recipient=u, kind="broadcast", title="Legacy evil link",
                 link="javascript:alert(document.cookie)") for u in users])
print(json.dumps({{"course": course.pk, "student": students[0].pk,
                  "notification": rows[0].pk}}))
"""

ADMIN_PAGES = [
    "/",
    "/analytics/",
    "/analytics/students/{student}/",
    "/courses/",
    "/courses/{course}/",
    "/courses/{course}/grades/",
    "/courses/{course}/attendance/",
    "/students/{student}/",
    "/notifications/",
    "/notifications/preferences/",
    "/notifications/broadcast/",
    "/bulk/imports/new/",
    "/bulk/imports/",
    "/bulk/exports/",
    "/api/docs/",
    "/api/v1/notifications/",
    "/admin/",
    "/admin/academics/student/",
    "/admin/academics/student/{student}/change/",
    "/admin/academics/student/import/",
    "/admin/academics/student/export/",
    "/admin/academics/grade/",
    "/admin/notifications/notification/",
    "/admin/notifications/notification/{notification}/change/",
    "/admin/accounts/user/",
]
TEACHER_PAGES = [
    "/",
    "/courses/",
    "/courses/{course}/",
    "/courses/{course}/grades/",
    "/courses/{course}/attendance/",
    "/students/{student}/",
    "/analytics/",
    "/notifications/",
    "/bulk/imports/new/",
    "/bulk/exports/",
]
STUDENT_PAGES = ["/", "/students/{student}/", "/notifications/", "/notifications/preferences/"]

# Chromium's wording when it refuses something, whichever directive it was.
REFUSED = re.compile(r"Content Security Policy|Refused to", re.IGNORECASE)

# Waits are written as functions: Playwright polls a bare expression with eval(), which the
# policy refuses (and reports) like any other eval.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (event) {
  window.__cspViolations.push(event.violatedDirective + " " + (event.blockedURI || "inline"));
});
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    if not Path(chromium.CHROMIUM).exists():
        pytest.skip(f"Chromium not found at {chromium.CHROMIUM}")
    var_dir = tmp_path_factory.mktemp("csp-site")
    # No REDIS_URL: one daphne process, the in-memory channel layer is enough for a socket.
    env = livestack.site_env(var_dir, "", DJANGO_ALLOW_ASYNC_UNSAFE="true")
    livestack.migrate(env)
    ids = livestack.run_python(env, SETUP)
    port = livestack.free_port()
    process = livestack.start_daphne(env, port)
    yield {"url": f"http://127.0.0.1:{port}", "ids": ids}
    livestack.stop(process)


@pytest.fixture(scope="module")
def chromium_browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = chromium.launch(playwright)
        yield browser
        browser.close()


class Watched:
    """A logged-in page that records console errors, page errors and CSP violations."""

    def __init__(self, browser, site, username: str):
        self.site = site
        self.context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 800})
        self.context.set_default_timeout(15_000)
        self.context.add_init_script(RECORD_VIOLATIONS)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on(
            "console",
            lambda message: message.type == "error" and self.errors.append(message.text),
        )
        self.page.on("pageerror", lambda error: self.errors.append(f"page error: {error}"))
        self.log_in(username)

    def url(self, path: str) -> str:
        return self.site["url"] + path.format(**self.site["ids"])

    def log_in(self, username: str) -> None:
        self.page.goto(self.url("/accounts/login/"))
        self.page.fill("#id_username", username)
        self.page.fill("#id_password", PASSWORD)
        self.page.click("button[type=submit]")
        self.page.wait_for_url(self.url("/"))

    def visit(self, path: str) -> list[str]:
        """Open a page, let its scripts settle; what went wrong on it."""
        self.errors.clear()
        response = self.page.goto(self.url(path))
        assert response is not None and response.status == 200, path
        self.settle(path)
        violations = self.page.evaluate("window.__cspViolations || []")
        return [*self.errors, *violations]

    def settle(self, path: str) -> None:
        page = self.page
        if page.locator("#notif-bell").count():
            # The socket is open: connect-src let ws://<host> through.
            page.wait_for_selector("#notif-bell.is-live")
        if path.startswith("/analytics/") and page.locator("canvas").count():
            page.wait_for_function("() => window.Chart && Object.keys(Chart.instances).length")
        if path == "/api/docs/":
            page.wait_for_selector(".swagger-ui .opblock")
        page.wait_for_timeout(300)

    def close(self) -> None:
        self.context.close()


@pytest.mark.parametrize(
    ("username", "pages"),
    [("csp_admin", ADMIN_PAGES), ("csp_teacher", TEACHER_PAGES), ("csp_student", STUDENT_PAGES)],
    ids=["admin", "teacher", "student"],
)
def test_csp_main_pages_pass_with_no_console_error(site, chromium_browser, username, pages):
    watched = Watched(chromium_browser, site, username)

    problems = {path: watched.visit(path) for path in pages}

    watched.close()
    assert {path: found for path, found in problems.items() if found} == {}


def test_csp_pages_are_served_with_the_policy(site, chromium_browser):
    watched = Watched(chromium_browser, site, "csp_teacher")

    response = watched.page.goto(watched.url("/"))

    policy = response.headers["content-security-policy"]
    watched.close()
    # The directives come in no fixed order; compare them one by one.
    assert "script-src 'self'" in {directive.strip() for directive in policy.split(";")}
    assert "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy


def test_csp_stored_javascript_link_is_plain_text_in_the_notification_centre(
    site, chromium_browser
):
    watched = Watched(chromium_browser, site, "csp_student")

    watched.visit("/notifications/")

    page = watched.page
    hrefs = page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)")
    legacy = page.locator(".notif-item", has_text="Legacy evil link").locator(".notif-title")
    legacy_tag = legacy.evaluate("element => element.tagName")
    good_href = page.get_by_role("link", name="Timetable").get_attribute("href")
    watched.close()
    assert not [href for href in hrefs if href.lower().startswith("javascript:")]
    assert legacy_tag == "SPAN"
    assert good_href == "/courses/"


def test_csp_toast_never_gets_a_javascript_href(site, chromium_browser):
    watched = Watched(chromium_browser, site, "csp_student")
    page = watched.page
    pushed = [
        {"id": 10**6 + 1, "title": "Evil toast", "link": "javascript:alert(1)"},
        {"id": 10**6 + 2, "title": "Tabbed toast", "link": "java\tscript:alert(1)"},
        {"id": 10**6 + 3, "title": "Elsewhere toast", "link": "//evil.example/"},
        {"id": 10**6 + 4, "title": "Good toast", "link": "/courses/"},
    ]

    def fake_server(socket):
        socket.send('{"type": "hello", "unread_count": 0}')
        for item in pushed:
            notification = {**item, "kind": "broadcast", "message": "", "data": {}}
            notification.update(created_at="2026-01-01T00:00:00+00:00", is_read=False)
            socket.send(json.dumps({"type": "notification", "notification": notification}))

    page.route_web_socket(re.compile(r".*/ws/notifications/.*"), fake_server)
    page.goto(watched.url("/notifications/"))
    page.wait_for_selector(".notif-toast >> text=Good toast")

    toasts = page.eval_on_selector_all(
        ".notif-toast-title",
        "titles => titles.map(t => [t.textContent, t.tagName, t.getAttribute('href')])",
    )
    watched.close()
    assert sorted(toasts) == [
        ["Elsewhere toast", "STRONG", None],
        ["Evil toast", "STRONG", None],
        ["Good toast", "A", "/courses/"],
        ["Tabbed toast", "STRONG", None],
    ]


def test_csp_toast_link_rule_matches_the_server_rule(site, chromium_browser):
    from tests.notifications.test_links import SAFE, UNSAFE

    watched = Watched(chromium_browser, site, "csp_teacher")
    watched.visit("/notifications/")

    verdicts = watched.page.evaluate(
        "links => links.map(link => window.SMSNotifications.safeLink(link))", SAFE + UNSAFE
    )

    watched.close()
    # The toast shows no link for "" either: there is nothing to follow.
    assert verdicts == [link != "" for link in SAFE] + [False] * len(UNSAFE)


def settle_htmx(page) -> None:
    """Wait for the request htmx started to finish (leaving mid-request logs an abort)."""
    page.wait_for_timeout(100)
    page.wait_for_function("() => !document.querySelector('.htmx-request')")


def test_csp_interactions_work_under_the_policy(site, chromium_browser):
    """htmx swaps, Chart.js, the language switch (once an inline onchange) and the
    import rollback confirmation (once an inline onsubmit) run with no violation."""
    watched = Watched(chromium_browser, site, "csp_admin")
    page = watched.page

    assert watched.visit("/courses/{course}/grades/") == []
    cell = page.locator("input.grade-input").first
    cell.fill("88")
    cell.press("Tab")
    settle_htmx(page)
    assert watched.visit("/courses/{course}/attendance/") == []
    page.locator("button.status-btn", has_text="Late").first.click()
    settle_htmx(page)
    # Each switch is a navigation; the next one may only start once the new page's
    # deferred app.js has bound the select (the html lang is set before it runs).
    with page.expect_navigation(wait_until="load"):
        page.select_option("select[name=language]", "el")
    assert page.evaluate("document.documentElement.lang") == "el"
    with page.expect_navigation(wait_until="load"):
        page.select_option("select[name=language]", "en")
    assert page.evaluate("document.documentElement.lang") == "en"
    found = [*watched.errors, *page.evaluate("window.__cspViolations || []")]

    watched.close()
    assert found == []


def test_csp_import_rollback_asks_first(site, chromium_browser, tmp_path):
    watched = Watched(chromium_browser, site, "csp_admin")
    page = watched.page
    upload = tmp_path / "students.csv"
    upload.write_text(
        "student_id,first_name,last_name,email,study_year,enrollment_date\n"
        "CSP-9001,Eleni,Nikolaou,eleni.csp@example.org,1,2025-09-01\n",
        encoding="utf-8",
    )
    questions = []

    def answer(dialog):
        questions.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", answer)
    page.goto(watched.url("/bulk/imports/new/"))
    page.select_option("select[name=resource]", "students")
    page.set_input_files("input[type=file]", str(upload))
    page.click("#import-upload button[type=submit]")
    # Until the new page's deferred script has run, nothing asks before a form submits:
    # the button was clicked as soon as it was in the page, and rolled the import back.
    with page.expect_navigation():
        page.click("#confirm-import")
    page.wait_for_selector("#rollback-import")
    page.click("#rollback-import")
    page.wait_for_timeout(500)
    status = page.locator("[data-status]").get_attribute("data-status")
    found = [*watched.errors, *page.evaluate("window.__cspViolations || []")]

    watched.close()
    assert questions == ["Undo this import?"]
    assert status == "applied"
    assert found == []
