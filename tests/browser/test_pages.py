"""The teachers' pages in a real browser: log in, grades, attendance, language, scope."""

import pytest
from playwright.sync_api import expect

from apps.academics.models import Attendance, Grade
from tests.browser.conftest import log_in

pytestmark = pytest.mark.browser


def test_login_shows_the_teachers_home(page, school):
    log_in(page, "mteacher")

    expect(page.locator("h1")).to_contain_text("Welcome, Maria")
    expect(page.get_by_role("link", name="Computer Networks")).to_be_visible()


def test_grade_entry_updates_the_final_grade(page, school):
    course, first = school["course"], school["students"][0]
    log_in(page, "mteacher")
    page.goto(f"{page.base_url}/courses/{course.pk}/grades/")
    final = page.locator(f"#final-{first.pk}")
    expect(final).to_contain_text("86.00")

    cell = page.get_by_label("Alexiou Anna, Final exam")
    cell.fill("40")
    cell.press("Enter")

    expect(final).to_contain_text("56.00")  # 0.4·80 + 0.6·40
    expect(page.get_by_label("Bekas Babis, Final exam")).to_be_focused()
    assert Grade.objects.get(student=first, assignment_name="Final exam").grade == 40


def test_grade_entry_shows_an_error_beside_the_cell(page, school):
    course = school["course"]
    log_in(page, "mteacher")
    page.goto(f"{page.base_url}/courses/{course.pk}/grades/")

    cell = page.get_by_label("Bekas Babis, Midterm")
    cell.fill("abc")
    cell.press("Tab")

    error = page.locator("td.has-error .cell-error")
    expect(error).to_contain_text("Enter a number")
    assert not Grade.objects.filter(student=school["students"][1]).exists()


def test_take_attendance_click_absent_survives_a_reload(page, school):
    course, second = school["course"], school["students"][1]
    log_in(page, "mteacher")
    page.goto(f"{page.base_url}/courses/{course.pk}/attendance/")
    row = page.locator(f"#attendance-row-{second.pk}")

    row.get_by_role("button", name="Absent").click()
    expect(row.get_by_role("button", name="Absent")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#attendance-counts")).to_contain_text("Absent 1")
    page.reload()

    row = page.locator(f"#attendance-row-{second.pk}")
    expect(row.get_by_role("button", name="Absent")).to_have_attribute("aria-pressed", "true")
    assert Attendance.objects.get(student=second).status == "absent"


def test_mark_all_present_marks_everyone_not_yet_marked(page, school):
    course, students = school["course"], school["students"]
    log_in(page, "mteacher")
    page.goto(f"{page.base_url}/courses/{course.pk}/attendance/")
    page.locator(f"#attendance-row-{students[0].pk}").get_by_role("button", name="Late").click()
    expect(page.locator("#attendance-counts")).to_contain_text("Late 1")

    page.get_by_role("button", name="Mark all present").click()

    expect(page.locator("#attendance-counts")).to_contain_text("Present 2")
    expect(page.get_by_role("button", name="Mark all present")).to_be_disabled()
    assert sorted(Attendance.objects.values_list("status", flat=True)) == [
        "late",
        "present",
        "present",
    ]


def test_switch_language_to_greek(page, school):
    log_in(page, "mteacher")

    page.select_option("select[name=language]", "el")

    expect(page.locator("h1")).to_contain_text("Καλώς ήρθατε, Maria")
    expect(page.get_by_role("link", name="Αρχική")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "el")


def test_student_cannot_open_another_students_profile(page, school):
    own, other = school["students"][0], school["students"][1]
    log_in(page, "astudent")

    own_page = page.goto(f"{page.base_url}/students/{own.pk}/")
    other_page = page.goto(f"{page.base_url}/students/{other.pk}/")

    assert own_page.status == 200
    assert other_page.status == 404
