"""OneRoster 1.1 in a real browser: an admin downloads the school's zip from the export
page, uploads it again on the import page and reads the preview of each file.

With ``SMS_SCREENSHOTS=1`` the test also rewrites docs/img/export-page.png and
docs/img/oneroster-import.png.
"""

from __future__ import annotations

import zipfile

import pytest

from apps.academics.models import Student
from apps.bulkio.models import ScheduledExport
from apps.bulkio.scheduling import scheduled_export_save
from tests.browser.conftest import log_in
from tests.browser.docs_images import docs_screenshot
from tests.bulkio.test_oneroster_export import make_school
from tests.factories import AdminFactory

pytestmark = pytest.mark.browser


def test_oneroster_admin_exports_the_zip_and_previews_it_on_import(page, transactional_db):
    from playwright.sync_api import expect

    office = AdminFactory(username="office", first_name="Eleni", last_name="Kosta")
    school = make_school(students=3)
    scheduled_export_save(
        ScheduledExport(
            name="Weekly NET101 grades",
            owner=office,
            resource="grades",
            format="xlsx",
            crontab="0 7 * * 1",
            recipients=["office@example.org"],
        )
    )
    log_in(page, "office")

    page.goto(page.base_url + "/bulk/exports/")
    expect(page.locator("#oneroster-export")).to_contain_text("Download OneRoster .zip")
    docs_screenshot(page, "export-page")
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
    docs_screenshot(page, "oneroster-import")
