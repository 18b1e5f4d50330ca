"""An admin imports a term's grades from a Greek file; teacher and student see it live;
the admin rolls it back and everything returns to what it was."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e import pages
from tests.e2e.school import Term, figures, greek_csv, students_for_rows

pytestmark = pytest.mark.e2e


def expect_figures(teacher, *, imported: bool) -> None:
    """The teacher's dashboard shows the figures of the term with or without the file."""
    for name, shown in figures(imported=imported).items():
        expect(pages.kpi(teacher, name)).to_have_text(shown)


def test_term_import_reaches_dashboard_and_student_then_rollback_reverts(
    stack, people, tag, password
):
    background_rows = stack.call("school", "import_settings")["background_rows"]
    users = {"admin": f"office{tag}", "teacher": f"teacher{tag}", "student": f"student{tag}"}
    # Bigger than what the request handles itself: preview and apply run on the worker.
    term = Term(
        tag=tag, students=students_for_rows(background_rows), users=users, password=password
    )
    term.seed(stack)
    rows = term.grade_rows()
    teacher = people.log_in(users["teacher"], to="/analytics/")
    expect_figures(teacher, imported=False)
    student = people.log_in(users["student"], to="/notifications/")
    pages.wait_live(student)
    pages.expect_bell_count(student, 0)
    admin = people.log_in(users["admin"])

    pages.upload_import(
        admin, people.base_url, resource="grades", name="βαθμολογίες-εξαμήνου.csv",
        data=greek_csv(rows),
    )  # fmt: skip

    status = pages.import_status(admin)
    pages.expect_import_step(admin, "previewed")
    expect(admin.locator("#import-totals [data-total=new]")).to_have_text(str(len(rows)))
    expect(admin.locator("#import-totals [data-total=error]")).to_have_text("0")
    preview = admin.locator("#preview-table")
    admin.reload()  # the rows of the preview come with the page, not with the live status
    expect(preview).to_contain_text("Τελική εξέταση")
    expect(preview.locator("thead")).to_contain_text("Assignment")
    admin.locator("#confirm-import").click()
    # The page follows the worker by itself (htmx polls the status), no reload.
    pages.expect_import_step(admin, "applied")
    expect(admin.locator("#import-result")).to_have_text(
        f"Imported: {len(rows)} new, 0 updated, 0 unchanged."
    )
    pages.expect_toast(admin, "Import of “βαθμολογίες-εξαμήνου.csv” applied")

    for code in term.course_codes:
        pages.expect_toast(student, f"24 new grades in {code}")
    pages.expect_bell_count(student, 2)
    teacher.reload()
    expect_figures(teacher, imported=True)

    pages.accept_next_dialog(admin)
    admin.locator("#rollback-import").click()
    expect(admin.locator("ul.messages")).to_contain_text(
        f"Rolled back: {len(rows)} removed, 0 restored."
    )
    expect(status).to_have_attribute("data-status", "rolled_back")
    pages.expect_bell_count(student, 0)  # the unread notices of the import are withdrawn
    teacher.reload()
    expect_figures(teacher, imported=False)
    student.reload()
    expect(student.locator("#notif-list")).not_to_contain_text(re.compile(r"new grades in"))
