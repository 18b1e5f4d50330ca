"""The same flow in Greek: the language switched to Ελληνικά on the page, a Greek XLSX
file imported, the dashboard and the notifications read in Greek."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.e2e import pages
from tests.e2e.school import TERM_ITEMS, greek_xlsx, small_class

pytestmark = pytest.mark.e2e

MIDTERMS = (40, 65, 90)
FINALS = (90, 80, 20)


def switch_to_greek(page: Page) -> None:
    """The language menu of the top bar, as a person uses it (it submits on change)."""
    page.select_option("select[name=language]", "el")
    expect(page.locator("html")).to_have_attribute("lang", "el")


def test_greek_flow_shows_import_dashboard_and_notifications_in_greek(stack, people, tag, password):
    school = small_class(stack, tag=tag, password=password, midterms=MIDTERMS)
    users, code = school["users"], school["course_code"]
    category, (assignment,), _grade, date = TERM_ITEMS[-1]
    rows = [
        [student_id, code, assignment, category, str(grade), "100", date, "Κανονική εξέταση"]
        for student_id, grade in zip(school["student_ids"], FINALS, strict=True)
    ]
    teacher = people.log_in(users["teacher"], to="/analytics/")
    switch_to_greek(teacher)
    expect(teacher.locator("#analytics-kpis")).to_contain_text("Μέσος τελικός βαθμός")
    expect(pages.kpi(teacher, "average_grade")).to_have_text("65,0")
    student = people.log_in(users["student"], to="/notifications/")
    switch_to_greek(student)
    expect(student.locator("h1")).to_have_text("Ειδοποιήσεις")
    pages.wait_live(student)
    admin = people.log_in(users["admin"])
    switch_to_greek(admin)

    pages.upload_import(
        admin, people.base_url, resource="grades", name="τελικές-εξετάσεις.xlsx",
        data=greek_xlsx(rows),
    )  # fmt: skip

    expect(admin.locator("h1")).to_contain_text("Εισαγωγή #")
    expect(pages.import_status(admin)).to_have_text("Προεπισκοπήθηκε")
    expect(admin.locator("#preview-table thead")).to_contain_text("Εργασία")
    expect(admin.locator("#preview-table tbody")).to_contain_text("Τελική εξέταση")
    admin.get_by_role("button", name="Επιβεβαίωση και εισαγωγή").click()
    expect(pages.import_status(admin)).to_have_text("Εφαρμόστηκε")
    expect(admin.locator("#import-result")).to_have_text(
        "Εισήχθησαν: 3 νέες, 0 ενημερώθηκαν, 0 χωρίς αλλαγή."
    )

    toast = pages.expect_toast(student, f"{assignment} 90/100")
    assert toast["closeLabel"] == "Κλείσιμο"  # the page's script speaks Greek too
    pages.expect_bell_count(student, 1)
    student.reload()
    expect(student.locator("#notif-list .notif-kind").first).to_have_text("Νέος βαθμός")
    expect(student.locator("#notif-read-all")).to_have_text("Όλες ως αναγνωσμένες")
    teacher.reload()
    expect(pages.kpi(teacher, "average_grade")).to_have_text("64,17")  # (65 + 72,5 + 55) / 3
    expect(teacher.locator("#analytics-kpis")).to_contain_text("Ποσοστό επιτυχίας")
