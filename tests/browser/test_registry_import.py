"""A school registry's student list in a real browser: an admin uploads the XLSX report
(title block, Greek headers, footer, no registration numbers in some rows) on the import
page and reads the preview: the file's own row numbers, the student each row found by its
names, the ignored columns; then applies it.

With ``SMS_SCREENSHOTS=1`` the test also rewrites docs/img/registry-import.png.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from apps.academics.models import Student
from tests.browser.conftest import log_in
from tests.bulkio.test_registry_reports import registry_row, registry_xlsx
from tests.factories import AdminFactory, StudentFactory

pytestmark = pytest.mark.browser

DOCS_IMG = Path(__file__).resolve().parents[2] / "docs" / "img"


def test_registry_import_previews_the_report_and_updates_students_found_by_name(
    page, transactional_db, tmp_path, settings
):
    from playwright.sync_api import expect

    settings.MEDIA_ROOT = tmp_path / "media"
    AdminFactory(username="office", first_name="Eleni", last_name="Kosta")
    maria = StudentFactory(
        student_id="R100", last_name="Παπαδοπούλου", first_name="Μαρία", father_name="Νικόλαος"
    )
    StudentFactory(
        student_id="R101", last_name="Γεωργίου", first_name="Νίκος", father_name="Σταύρος"
    )
    StudentFactory(
        student_id="R102", last_name="Γεωργίου", first_name="Νίκος", father_name="Σταύρος"
    )
    file = tmp_path / "registry.xlsx"
    file.write_bytes(
        registry_xlsx(
            [
                registry_row(1, "", "ΠΑΠΑΔΟΠΟΥΛΟΥ", "ΜΑΡΙΑ", "ΝΙΚΟΛΑΟΣ", maria.email),
                registry_row(2, "", "ΓΕΩΡΓΙΟΥ", "ΝΙΚΟΣ", "ΣΤΑΥΡΟΣ", "nikos@example.org"),
                registry_row(3, "", "Καινούργιος", "Άρης", "Πέτρος", "aris@example.org"),
            ]
        )
    )
    log_in(page, "office")

    page.goto(page.base_url + "/bulk/imports/new/")
    page.select_option("#id_resource", "students")
    page.check("input[name=mode][value=skip_invalid]")
    page.set_input_files("#id_file", str(file))
    page.get_by_role("button", name="Upload and preview").click()
    page.wait_for_url("**/bulk/imports/*/")

    table = page.locator("#preview-table")
    expect(table.locator("td.row-no")).to_have_text(["6", "7", "8"])
    expect(table.locator("tbody tr").nth(0)).to_contain_text("R100")
    expect(table.locator("tbody tr").nth(1)).to_contain_text("R101, R102")
    expect(table.locator("tbody tr").nth(2)).to_contain_text("needs a registration number")
    expect(page.locator("#ignored-columns")).to_contain_text("Κηδεμόνας, Τ.Κ.")
    expect(page.locator("[data-total=update]")).to_have_text("1")
    expect(page.locator("[data-total=error]")).to_have_text("2")
    if os.environ.get("SMS_SCREENSHOTS"):
        page.wait_for_load_state("networkidle")
        DOCS_IMG.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(DOCS_IMG / "registry-import.png"), full_page=True)
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#confirm-import")
    page.wait_for_selector("#import-result")

    maria.refresh_from_db()
    assert (maria.mobile_phone, maria.class_division) == ("6912345678", "ΤΠ-Α1")
    assert Student.objects.count() == 3
