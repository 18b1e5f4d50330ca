"""Home, course list and roster pages: scope, search, and what each role sees."""

from django.urls import reverse

from tests.factories import AdminFactory, CourseFactory, StudentFactory, TeacherFactory, enroll


def test_home_teacher_sees_own_courses_and_todays_classes(teacher_client, course, students):
    CourseFactory(course_code="OTHER1", course_name="Someone else's course")

    response = teacher_client.get(reverse("home"))

    page = response.content.decode()
    assert response.status_code == 200
    assert "Computer Networks" in page
    assert "Today&#x27;s classes" in page or "Today's classes" in page
    assert "Not taken yet" in page
    assert "OTHER1" not in page


def test_home_admin_sees_links_to_django_admin(client, admin_user):
    client.force_login(admin_user)

    response = client.get(reverse("home"))

    assert response.status_code == 200
    assert f'href="{reverse("admin:index")}"' in response.content.decode()


def test_home_student_sees_own_final_grades(client, graded, student_with_login):
    client.force_login(student_with_login.user)

    response = client.get(reverse("home"))

    page = response.content.decode()
    assert response.status_code == 200
    assert "Computer Networks" in page
    assert "86.00" in page


def test_course_list_teacher_sees_only_courses_they_teach(teacher_client, course):
    CourseFactory(course_code="HIDDEN1")

    response = teacher_client.get(reverse("academics:course_list"))

    page = response.content.decode()
    assert "NET101" in page
    assert "HIDDEN1" not in page


def test_course_list_student_is_forbidden(client, student_with_login):
    client.force_login(student_with_login.user)

    response = client.get(reverse("academics:course_list"))

    assert response.status_code == 403


def test_course_roster_lists_enrolled_students_but_not_dropped(teacher_client, course, students):
    response = teacher_client.get(reverse("academics:course_roster", args=[course.pk]))

    page = response.content.decode()
    assert all(student.last_name in page for student in students)
    assert "Dropped" not in page


def test_course_roster_search_returns_only_matching_rows_fragment(teacher_client, course, students):
    url = reverse("academics:course_roster", args=[course.pk])

    response = teacher_client.get(
        url, {"q": "bek"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="roster-results"
    )

    page = response.content.decode()
    assert "Bekas" in page
    assert "Alexiou" not in page
    assert "<html" not in page


def test_course_roster_of_another_teachers_course_is_not_found(client, course, students):
    client.force_login(TeacherFactory())

    response = client.get(reverse("academics:course_roster", args=[course.pk]))

    assert response.status_code == 404


def test_course_roster_enrolled_student_is_forbidden(client, course, student_with_login):
    client.force_login(student_with_login.user)

    response = client.get(reverse("academics:course_roster", args=[course.pk]))

    assert response.status_code == 403


def test_course_roster_shows_final_grade_from_engine(teacher_client, course, graded):
    response = teacher_client.get(reverse("academics:course_roster", args=[course.pk]))

    assert "86.00" in response.content.decode()


def test_course_roster_admin_sees_any_course(client, course, students):
    client.force_login(AdminFactory())
    other = StudentFactory(last_name="Zeta")
    enroll(other, course)

    response = client.get(reverse("academics:course_roster", args=[course.pk]))

    assert response.status_code == 200
    assert "Zeta" in response.content.decode()
