"""The import wizard's mapping step in a real browser: a teacher uploads a grade book whose
columns have names the importer does not know, matches them to fields, reads the preview
(one row in error) and finds the download of the failed rows.

With ``SMS_SCREENSHOTS=1`` the test also rewrites docs/img/import-mapping.png.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from apps.bulkio.models import ColumnMapping
from tests.browser.conftest import log_in
from tests.factories import CourseFactory, StudentFactory, TeacherFactory, enroll

pytestmark = pytest.mark.browser

DOCS_IMG = Path(__file__).resolve().parents[2] / "docs" / "img"
CHOICES = {
    "Μητρώο μαθητή": "student_id",
    "Μάθημα (κωδ.)": "course_code",
    "Τίτλος εργασίας": "assignment_name",
    "Είδος": "category",
    "Βαθμολογία": "grade",
}


def test_import_wizard_maps_unknown_columns_and_offers_the_failed_rows(
    page, transactional_db, tmp_path, settings
):
    from playwright.sync_api import expect

    settings.MEDIA_ROOT = tmp_path / "media"
    teacher = TeacherFactory(username="mteacher", first_name="Maria", last_name="Papadopoulou")
    course = CourseFactory(
        course_code="NET101",
        teachers=[teacher],
        evaluation_rules=[{"category": "Final", "weight": 100}],
    )
    students = [StudentFactory(student_id=f"N00{n}") for n in range(1, 4)]
    for student in students:
        enroll(student, course)
    file = tmp_path / "gradebook.csv"
    file.write_text(
        "Μητρώο μαθητή,Μάθημα (κωδ.),Τίτλος εργασίας,Είδος,Βαθμολογία,Σχόλιο\n"
        "N001,NET101,Lab 1,Final,78,\n"
        "N002,NET101,Lab 1,Final,ογδόντα,late\n"
        "N003,NET101,Lab 1,Final,91,\n",
        encoding="utf-8",
    )
    # The live server has no WebSocket route: only the page's own refusals count here.
    refused: list[str] = []
    page.on(
        "console", lambda message: "Refused to" in message.text and refused.append(message.text)
    )
    log_in(page, "mteacher")

    page.goto(page.base_url + "/bulk/imports/new/")
    page.select_option("#id_resource", "grades")
    page.check("input[name=mode][value=skip_invalid]")
    page.set_input_files("#id_file", str(file))
    page.get_by_role("button", name="Upload and preview").click()
    page.wait_for_url("**/bulk/imports/*/columns/")

    expect(page.locator("#missing-columns")).to_contain_text("Required columns are missing")
    expect(page.locator(".wizard-steps [aria-current=step]")).to_have_text("Columns")
    for header, field in CHOICES.items():
        page.get_by_label(header, exact=True).select_option(field)
    if os.environ.get("SMS_SCREENSHOTS"):
        page.wait_for_load_state("networkidle")
        DOCS_IMG.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(DOCS_IMG / "import-mapping.png"), full_page=True)
    page.click("#column-map-submit")
    page.wait_for_url("**/bulk/imports/*/")

    table = page.locator("#preview-table")
    expect(table.locator("td.row-no")).to_have_text(["2", "3", "4"])
    expect(table.locator("tbody tr").nth(1)).to_contain_text("is not a number")
    expect(page.locator("[data-total=new]")).to_have_text("2")
    expect(page.locator("#mapped-columns")).to_contain_text("Βαθμολογία → Grade")
    expect(page.locator("#ignored-columns")).to_contain_text("Σχόλιο")
    download_link = page.locator("#failed-rows-csv")
    expect(download_link).to_be_visible()
    with page.expect_download() as info:
        download_link.click()
    content = Path(info.value.path()).read_text(encoding="utf-8-sig")
    assert content.splitlines()[1].startswith("N002,NET101,Lab 1,Final,ογδόντα,late,")
    assert ColumnMapping.objects.get(user=teacher).column_map == CHOICES
    assert refused == []  # the strict CSP: no inline script or style
