"""OneRoster 1.1 in a real browser: an admin downloads the school's zip from the export
page, uploads it again on the import page and reads the preview of each file.

With ``SMS_SCREENSHOTS=1`` the test also rewrites docs/img/oneroster-import.png.
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import pytest

from apps.academics.models import Student
from tests.browser.conftest import log_in
from tests.bulkio.test_oneroster_export import make_school
from tests.factories import AdminFactory

pytestmark = pytest.mark.browser

DOCS_IMG = Path(__file__).resolve().parents[2] / "docs" / "img"


def test_oneroster_admin_exports_the_zip_and_previews_it_on_import(page, transactional_db):
    from playwright.sync_api import expect

    AdminFactory(username="office", first_name="Eleni", last_name="Kosta")
    school = make_school(students=3)
    log_in(page, "office")

    page.goto(page.base_url + "/bulk/exports/")
    with page.expect_download() as info:
        page.click("#oneroster-export-link")
    download = info.value
    path = download.path()
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
    # Changed in SMS since the export: the import brings the file's value back.
    Student.objects.filter(pk=school["students"][0].pk).update(first_name="Changed")
    page.goto(page.base_url + "/bulk/imports/new/")
    page.select_option("#id_resource", "oneroster")
    page.set_input_files("#id_file", str(path))
    page.get_by_role("button", name="Upload and preview").click()
    page.wait_for_url("**/bulk/imports/*/")

    assert download.suggested_filename == "oneroster.zip"
    assert "users.csv" in names and "results.csv" in names
    files = page.locator("#package-files")
    expect(files.locator("tr[data-file='users.csv'] td").nth(2)).to_have_text("4")
    expect(files.locator("tr[data-file='users.csv'] td").nth(4)).to_have_text("1")
    expect(files.locator("tr[data-file='results.csv'] td").nth(2)).to_have_text("6")
    expect(files.locator("tr[data-file='results.csv'] td").nth(4)).to_have_text("0")
    expect(page.locator("#preview-table")).to_contain_text("users.csv")
    if os.environ.get("SMS_SCREENSHOTS"):
        page.wait_for_load_state("networkidle")
        DOCS_IMG.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(DOCS_IMG / "oneroster-import.png"), full_page=True)
