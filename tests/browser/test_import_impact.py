"""The impact preview in a real browser: an admin uploads a grade file and, above the
preview's rows, reads what it means for students — a grade a student can already see that
changes, a student who will become at risk, one who will no longer be — then follows a
link to its row, which the preview shows (even past its first rows) and highlights. A
students file's new rows that look like stored students (same names, and the same date of
birth where both have one) are named the same way.

With ``SMS_SCREENSHOTS=1`` the test also rewrites docs/img/import-impact.png.
"""

from __future__ import annotations

import datetime as dt
import os
from decimal import Decimal
from pathlib import Path

import pytest

from tests.browser.conftest import log_in
from tests.factories import (
    AdminFactory,
    CourseFactory,
    EnrollmentFactory,
    GradeFactory,
    StudentFactory,
)

pytestmark = pytest.mark.browser

DOCS_IMG = Path(__file__).resolve().parents[2] / "docs" / "img"


def _student(course, last: str, first: str, grade: str):
    student = StudentFactory(last_name=last, first_name=first)
    EnrollmentFactory(student=student, course=course)
    GradeFactory(
        student=student,
        course=course,
        assignment_name="Homework 1",
        grade=Decimal(grade),
        date_assigned=dt.date(2025, 10, 6),
    )
    return student


def test_import_impact_panel_links_each_finding_to_its_highlighted_row(
    page, transactional_db, tmp_path, settings
):
    from playwright.sync_api import expect

    settings.MEDIA_ROOT = tmp_path / "media"
    settings.SMS_BULKIO_PREVIEW_ROWS = 3  # the rows the panel names come later in the file
    AdminFactory(username="office", first_name="Eleni", last_name="Kosta")
    course = CourseFactory(
        course_code="NET101", evaluation_rules=[{"category": "Homework", "weight": 100}]
    )
    class_ = [_student(course, f"Student{n}", "Steady", "80") for n in range(4)]
    anna = _student(course, "Alexiou", "Anna", "20")
    babis = _student(course, "Bekas", "Babis", "80")
    lines = ["student_id,course_code,assignment_name,category,grade,max_grade"]
    lines += [f"{s.student_id},NET101,Homework 2,Homework,78,100" for s in class_]
    lines += [
        f"{anna.student_id},NET101,Homework 1,Homework,90,100",  # row 6
        f"{babis.student_id},NET101,Homework 2,Homework,5,100",  # row 7
        f"{babis.student_id},NET101,Homework 3,Homework,10,100",  # row 8
    ]
    file = tmp_path / "grades.csv"
    file.write_text("\n".join(lines) + "\n", encoding="utf-8")
    log_in(page, "office")

    page.goto(page.base_url + "/bulk/imports/new/")
    page.select_option("#id_resource", "grades")
    page.set_input_files("#id_file", str(file))
    page.get_by_role("button", name="Upload and preview").click()
    page.wait_for_url("**/bulk/imports/*/")

    panel = page.locator("#import-impact")
    expect(panel.locator("[data-impact=visible-grades]")).to_contain_text(
        "1 grade students can already see will change: row 6"
    )
    expect(panel.locator("[data-impact=into-risk]")).to_contain_text(
        "1 student will become at risk:"
    )
    expect(panel.locator("[data-impact=into-risk]")).to_contain_text(
        f"Bekas Babis ({babis.student_id}): Low → Medium"
    )
    expect(panel.locator("[data-impact=out-of-risk]")).to_contain_text(
        f"Alexiou Anna ({anna.student_id}): Medium → Low"
    )
    table = page.locator("#preview-table")
    expect(table.locator("td.row-no")).to_have_text(["2", "3", "4", "6", "7", "8"])
    if os.environ.get("SMS_SCREENSHOTS"):
        page.wait_for_load_state("networkidle")
        DOCS_IMG.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(DOCS_IMG / "import-impact.png"), full_page=True)

    panel.get_by_role("link", name=f"Bekas Babis ({babis.student_id})").click()

    row = page.locator("#row-7")
    expect(page).to_have_url(page.url.split("#")[0] + "#row-7")
    expect(row).to_be_in_viewport()
    expect(row).to_contain_text("Homework 2")
    expect(row).to_have_css("outline-style", "solid")
    expect(page.locator("#row-8")).not_to_have_css("outline-style", "solid")


def test_import_impact_panel_links_a_likely_duplicate_student_to_its_row(
    page, transactional_db, tmp_path, settings
):
    from playwright.sync_api import expect

    settings.MEDIA_ROOT = tmp_path / "media"
    settings.SMS_BULKIO_PREVIEW_ROWS = 2  # the duplicate comes later in the file
    AdminFactory(username="office")
    StudentFactory(
        student_id="R100",
        last_name="Παπαδοπούλου",
        first_name="Μαρία",
        father_name="Νικόλαος",
        date_of_birth=dt.date(2009, 3, 14),
    )
    StudentFactory(student_id="R200", last_name="Γεωργίου", first_name="Νίκος", father_name="")
    lines = [
        "Αριθμός μητρώου,Επώνυμο,Όνομα,Όνομα πατέρα,Ημερομηνία γέννησης,eMail",
        "N1,Άλφα,Άννα,Ιωάννης,02/01/2009,n1@example.org",
        "N2,Βήτα,Βασίλης,Πέτρος,03/01/2009,n2@example.org",
        "N3,ΠΑΠΑΔΟΠΟΥΛΟΥ,Μαρια,Νικόλαος,14/03/2009,n3@example.org",  # row 4: R100, same day
        "N4,Γεωργίου,Νίκος,,05/05/2008,n4@example.org",  # row 5: R200 has no date of birth
        "N5,Παπαδοπούλου,Μαρία,Νικόλαος,15/03/2009,n5@example.org",  # another day: not her
    ]
    file = tmp_path / "students.csv"
    file.write_text("\n".join(lines) + "\n", encoding="utf-8")
    log_in(page, "office")

    page.goto(page.base_url + "/bulk/imports/new/")
    page.select_option("#id_resource", "students")
    page.set_input_files("#id_file", str(file))
    page.get_by_role("button", name="Upload and preview").click()
    page.wait_for_url("**/bulk/imports/*/")

    duplicates = page.locator("#import-impact [data-impact=duplicates]")
    expect(duplicates).to_contain_text("2 rows look like existing students:")
    expect(duplicates.locator("li")).to_have_text(
        [
            "row 4: same names and date of birth as Παπαδοπούλου Μαρία (R100)",
            "row 5: same names as Γεωργίου Νίκος (R200); the date of birth could not be compared",
        ]
    )
    expect(page.locator("#preview-table td.row-no")).to_have_text(["2", "3", "4", "5"])

    duplicates.get_by_role("link", name="row 4").click()

    row = page.locator("#row-4")
    expect(page).to_have_url(page.url.split("#")[0] + "#row-4")
    expect(row).to_be_in_viewport()
    expect(row).to_contain_text("N3")
    expect(row).to_have_css("outline-style", "solid")
