"""What people read on the pages: labels instead of codes, reasons instead of bare dashes."""

from django.urls import reverse

from tests.factories import CourseFactory, StudentFactory, enroll
from tests.pages.test_grade_grid import post_cell


def test_home_admin_gets_school_counts_and_quick_links_not_every_course(client, admin_user):
    CourseFactory.create_batch(3)
    client.force_login(admin_user)

    response = client.get(reverse("home"))

    page = response.content.decode()
    assert "School overview" in page
    assert 'data-count="courses">3<' in page
    assert f'href="{reverse("bulkio:export_page")}"' in page
    assert "Today's classes" not in page
    assert "Today&#x27;s classes" not in page


def test_home_admin_who_teaches_sees_todays_classes_of_that_course_only(client, admin_user):
    CourseFactory(course_code="TAUGHT1", teachers=[admin_user])
    CourseFactory(course_code="OTHER1")
    client.force_login(admin_user)

    page = client.get(reverse("home")).content.decode()

    assert "Today's classes" in page
    assert "TAUGHT1" in page
    assert "OTHER1" not in page


def test_roster_of_a_course_without_rules_says_so_instead_of_a_dash(teacher_client, teacher):
    course = CourseFactory(teachers=[teacher], evaluation_rules=[])
    enroll(StudentFactory(), course)

    response = teacher_client.get(reverse("academics:course_roster", args=[course.pk]))

    assert "No evaluation rules" in response.content.decode()


def test_profile_of_a_course_without_rules_shows_no_absence_deduction(client, admin_user):
    course = CourseFactory(evaluation_rules=[], absence_penalty=2)
    student = StudentFactory()
    enroll(student, course)
    client.force_login(admin_user)

    page = client.get(reverse("academics:student_profile", args=[student.pk])).content.decode()

    assert "The course has no evaluation rules." in page
    assert "No final grade, so nothing is deducted." in page


def test_grade_cell_negative_grade_uses_the_apps_own_words(
    teacher_client, course, students, graded
):
    response = post_cell(teacher_client, course, students[1], "Midterm", "-5")

    page = response.content.decode()
    assert "A grade cannot be negative." in page
    assert "greater than or equal to" not in page
