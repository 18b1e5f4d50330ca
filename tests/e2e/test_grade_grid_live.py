"""A teacher corrects a grade in the grade grid; the student hears of it live, and the
teacher's dashboard shows the new figures: the stack alone (nginx, two daphne, the
worker, Redis), nothing started by the test."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e import pages
from tests.e2e.school import MIDTERM, small_class

pytestmark = pytest.mark.e2e

MIDTERMS = (40, 65, 90)
CORRECTED = 70  # the first student's midterm, after the teacher's correction


def test_grade_saved_in_grid_reaches_student_live_and_teacher_dashboard(
    stack, people, tag, password
):
    school = small_class(stack, tag=tag, password=password, midterms=MIDTERMS)
    users, code, student_pk = school["users"], school["course_code"], school["account_student_pk"]
    student = people.log_in(users["student"])
    pages.wait_live(student)
    pages.expect_bell_count(student, 0)
    teacher = people.log_in(users["teacher"], to="/analytics/")
    # The midterm is the only graded category: each final grade is the midterm.
    expect(pages.kpi(teacher, "average_grade")).to_have_text("65.0")  # (40 + 65 + 90) / 3
    teacher.goto(people.url(f"/courses/{school['course_id']}/grades/"))
    cell = teacher.get_by_label(f"{school['names'][0]}, {MIDTERM[1]}")
    expect(cell).to_have_value(str(MIDTERMS[0]))

    cell.fill(str(CORRECTED))
    cell.press("Enter")  # on to the next student: leaving the cell saves it

    expect(teacher.locator(f"#final-{student_pk} strong")).to_have_text(f"{CORRECTED}.00")
    toast = pages.expect_toast(student, f"Grade updated in {code}")
    assert f"{MIDTERM[1]} {CORRECTED}/100" in toast["text"]
    pages.expect_bell_count(student, 1)
    teacher.goto(people.url("/analytics/"))
    expect(pages.kpi(teacher, "average_grade")).to_have_text("75.0")  # (70 + 65 + 90) / 3
    expect(pages.kpi(teacher, "pass_rate")).to_have_text("100.0%")
