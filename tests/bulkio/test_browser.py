"""The import wizard in a real browser: upload → preview → confirm → result → rollback."""

import pytest

from apps.academics.models import Grade
from tests import chromium
from tests.factories import AdminFactory, CourseFactory, EnrollmentFactory, StudentFactory

pytestmark = pytest.mark.browser


@pytest.fixture
def browser_context():
    with chromium.browser_context() as context:
        context.set_default_timeout(15_000)
        yield context


def test_wizard_imports_and_rolls_back_grades(
    transactional_db, live_server, client, browser_context, tmp_path, settings
):
    settings.MEDIA_ROOT = tmp_path / "media"
    admin = AdminFactory()
    student = StudentFactory()
    course = CourseFactory(evaluation_rules=[{"category": "Lab", "weight": 100}])
    EnrollmentFactory(student=student, course=course)
    file = tmp_path / "grades.csv"
    file.write_text(
        "student_id,course_code,assignment_name,category,grade\n"
        f"{student.student_id},{course.course_code},Lab 1,Lab,71\n"
        f"{student.student_id},{course.course_code},Lab 2,Lab,250\n"
    )
    client.force_login(admin)
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

    page.goto(live_server.url + "/bulk/imports/new/")
    page.select_option("select[name=resource]", "grades")
    page.check("input[name=mode][value=skip_invalid]")
    page.set_input_files("input[name=file]", str(file))
    page.click("#import-upload button[type=submit]")
    page.wait_for_selector("#preview-table")
    bad_cell = page.locator("td.cell-error").first.inner_text()
    new_count = page.locator("[data-total=new]").inner_text()
    error_count = page.locator("[data-total=error]").inner_text()
    page.click("#confirm-import")
    page.wait_for_selector("#import-result")
    result = page.locator("#import-result").inner_text()
    created = list(Grade.objects.values_list("assignment_name", flat=True))
    page.click("#rollback-import")
    page.wait_for_selector("[data-status=rolled_back]")

    assert "250" in bad_cell and "higher than the maximum" in bad_cell
    assert (new_count, error_count) == ("1", "1")
    assert "1 new" in result
    assert created == ["Lab 1"]
    assert not Grade.objects.exists()
