"""The import wizard in a real browser: upload → preview → confirm → result → history →
rollback, by an office that imported the students and their enrollments before (and whose
history also lists the attendance a teacher imported).

With ``SMS_SCREENSHOTS=1`` the test also rewrites docs/img/import-upload.png,
import-preview-errors.png, import-applied.png and import-history.png.
"""

import datetime as dt

import pytest
from django.utils import timezone

from apps.academics.models import Grade
from apps.bulkio.importing import jobs
from apps.bulkio.models import ImportJob
from tests import chromium
from tests.browser.docs_images import docs_screenshot
from tests.factories import AdminFactory, CourseFactory, TeacherFactory

pytestmark = pytest.mark.browser

STUDENTS = [
    ("N2026-001", "Anna", "Alexiou", "Nikos"),
    ("N2026-002", "Babis", "Bekas", "Giorgos"),
    ("N2026-003", "Chara", "Christou", "Petros"),
    ("N2026-004", "Dimitris", "Doukas", "Stavros"),
    ("N2026-005", "Eva", "Efthymiou", "Kostas"),
]
# Four good rows; a grade above the maximum, a mistyped course code, an unknown student.
GRADES = """student_id,course_code,assignment_name,category,grade,max_grade,date_assigned
N2026-001,NET101,Lab 1,Lab,17,20,20/11/2025
N2026-002,NET101,Lab 1,Lab,14.5,20,20/11/2025
N2026-003,NET101,Lab 1,Lab,23,20,20/11/2025
N2026-004,NET101,Lab 1,Lab,16,20,20/11/2025
N2026-005,NET110,Lab 1,Lab,12,20,20/11/2025
N2099-999,NET101,Lab 1,Lab,11,20,20/11/2025
N2026-005,NET101,Lab 1,Lab,18,20,20/11/2025
"""


@pytest.fixture
def browser_context():
    # The guides' laptop size, so the pictures this test takes match the others.
    with chromium.browser_context(viewport={"width": 1280, "height": 800}, locale="en-GB") as ctx:
        ctx.set_default_timeout(15_000)
        yield ctx


def _import_earlier(user, resource: str, filename: str, text: str, days_ago: int) -> None:
    job = jobs.start_import(
        user=user, resource=resource, filename=filename, data=text.encode(), mode="skip_invalid"
    )
    jobs.confirm_import(job, actor=user)
    ImportJob.objects.filter(pk=job.pk).update(
        created_at=timezone.now() - dt.timedelta(days=days_ago, hours=2)
    )


def _school_imported_by(admin) -> None:
    teacher = TeacherFactory(username="mpapadopoulou", first_name="Maria", last_name="Papa")
    CourseFactory(
        course_code="NET101",
        course_name="Computer Networks",
        evaluation_rules=[{"category": "Lab", "weight": 100}],
        teachers=[teacher],
    )
    students = "student_id,first_name,last_name,father_name,email\n" + "".join(
        f"{sid},{first},{last},{father},{first.lower()}.{last.lower()}@example.org\n"
        for sid, first, last, father in STUDENTS
    )
    _import_earlier(admin, "students", "students-2025.csv", students, days_ago=30)
    enrollments = "student_id,course_code\n" + "".join(f"{s[0]},NET101\n" for s in STUDENTS)
    _import_earlier(admin, "enrollments", "net101-enrollments.csv", enrollments, days_ago=29)
    attendance = "student_id,course_code,date,status\n" + "".join(
        f"{s[0]},NET101,17/11/2025,{'absent' if n == 2 else 'present'}\n"
        for n, s in enumerate(STUDENTS)
    )
    _import_earlier(teacher, "attendance", "net101-week47.csv", attendance, days_ago=3)


def _logged_in_page(browser_context, client, live_server, settings, user):
    client.force_login(user)
    browser_context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    page = browser_context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    return page


def test_wizard_imports_and_rolls_back_grades(
    transactional_db, live_server, client, browser_context, tmp_path, settings
):
    settings.MEDIA_ROOT = tmp_path / "media"
    admin = AdminFactory(username="office", first_name="Eleni", last_name="Kosta")
    _school_imported_by(admin)
    file = tmp_path / "net101-lab1.csv"
    file.write_text(GRADES, encoding="utf-8")
    page = _logged_in_page(browser_context, client, live_server, settings, admin)

    page.goto(live_server.url + "/bulk/imports/new/")
    page.select_option("select[name=resource]", "grades")
    page.check("input[name=mode][value=skip_invalid]")
    page.set_input_files("input[name=file]", str(file))
    docs_screenshot(page, "import-upload")
    page.click("#import-upload button[type=submit]")
    page.wait_for_selector("#preview-table")
    errors = page.locator("td.cell-error").all_inner_texts()
    new_count = page.locator("[data-total=new]").inner_text()
    error_count = page.locator("[data-total=error]").inner_text()
    failed_rows_offered = page.locator("#failed-rows-xlsx").is_visible()
    docs_screenshot(page, "import-preview-errors")
    page.click("#confirm-import")
    page.wait_for_selector("#import-result")
    result = page.locator("#import-result").inner_text()
    created = sorted(Grade.objects.values_list("student__student_id", flat=True))
    docs_screenshot(page, "import-applied")
    page.get_by_role("link", name="Import history").click()
    page.wait_for_selector("table tbody tr")
    history = page.locator("table tbody tr").all_inner_texts()
    docs_screenshot(page, "import-history")
    page.locator("table tbody tr").first.get_by_role("link").click()
    page.click("#rollback-import")
    page.wait_for_selector("[data-status=rolled_back]")

    assert "23" in errors[0] and "higher than the maximum" in errors[0]
    assert "No course with code “NET110”" in errors[1]
    assert "No student with ID “N2099-999”" in errors[2]
    assert (new_count, error_count) == ("4", "3")
    assert failed_rows_offered
    assert "4 new" in result
    assert created == ["N2026-001", "N2026-002", "N2026-004", "N2026-005"]
    assert [row.split("\t")[2:6] for row in history] == [
        ["office", "Grades", "net101-lab1.csv", "Applied"],
        ["mpapadopoulou", "Attendance", "net101-week47.csv", "Applied"],
        ["office", "Enrollments", "net101-enrollments.csv", "Applied"],
        ["office", "Students", "students-2025.csv", "Applied"],
    ]
    assert not Grade.objects.exists()
