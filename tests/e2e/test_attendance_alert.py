"""A teacher marks an absence; the student, and the teacher for the threshold, hear of it
live, without a reload."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e import pages
from tests.e2e.school import small_class

pytestmark = pytest.mark.e2e


def test_absence_marked_by_teacher_reaches_student_live(stack, people, tag, password):
    school = small_class(stack, tag=tag, password=password)
    users, code = school["users"], school["course_code"]
    student = people.log_in(users["student"])
    pages.wait_live(student)
    pages.expect_bell_count(student, 0)
    teacher = people.log_in(users["teacher"], to=f"/courses/{school['course_id']}/attendance/")
    pages.wait_live(teacher)
    today = teacher.locator("#id_date").input_value()  # the day the sheet is for

    row = teacher.locator(f"#attendance-row-{school['account_student_pk']}")
    row.get_by_role("button", name="Absent").click()

    expect(row.get_by_role("button", name="Absent")).to_have_attribute("aria-pressed", "true")
    expect(teacher.locator("#attendance-counts")).to_contain_text("Absent 1")
    alert = pages.expect_toast(student, f"Absence recorded in {code} on {today}")
    assert "Attendance rate 0.0%." in alert["text"]
    pages.expect_bell_count(student, 1)
    # One absence out of one class is below the 75% threshold: the teacher hears too.
    pages.expect_toast(teacher, f"Attendance alert: {school['names'][0]} in {code}")
    pages.expect_bell_count(teacher, 1)
    student.goto(people.url("/notifications/"))
    expect(student.locator("#notif-list .notif-item.is-unread")).to_have_count(1)
    expect(student.locator("#notif-list")).to_contain_text(f"Absence recorded in {code}")
