"""Grade posting per course (SPEC §7): in a manual course grades stay hidden from students,
their analytics and their notifications until a teacher posts them; posting tells each
student once."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Sum
from django.urls import reverse
from rest_framework.test import APIClient

from apps.academics import posting, services
from apps.academics.models import Grade
from apps.analytics.models import EnrollmentResult, GradeBucket, GradeDay
from apps.notifications.models import Notification, NotificationKind
from tests.factories import (
    AdminFactory,
    CourseFactory,
    StudentFactory,
    StudentUserFactory,
    TeacherFactory,
    enroll,
)

RULES = [
    {"category": "Midterm", "weight": 40},
    {"category": "Final", "weight": 60},
]


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def school(db):
    """A manual course (its teacher, three students with logins) and another teacher."""
    teacher = TeacherFactory()
    course = CourseFactory(
        course_code="NET101", teachers=[teacher], evaluation_rules=RULES, grade_posting="manual"
    )
    students = [StudentFactory(user=StudentUserFactory()) for _ in range(3)]
    for student in students:
        enroll(student, course)
    return {"teacher": teacher, "course": course, "students": students}


def _api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _grade(school, student, assignment="Midterm", category="Midterm", value="80"):
    return services.grade_record(
        student=student,
        course=school["course"],
        assignment_name=assignment,
        category=category,
        grade=Decimal(value),
        date_assigned=dt.date(2025, 11, 1),
        actor=school["teacher"],
    )


def _grade_everyone(school, capture) -> None:
    """Midterm and Final for every student, in one transaction each, hidden."""
    with capture(execute=True):
        for student in school["students"]:
            _grade(school, student, "Midterm", "Midterm", "80")
            _grade(school, student, "Final", "Final", "90")


def _post(user, course, **body):
    return _api(user).post(f"/api/v1/courses/{course.pk}/post-grades/", body, format="json")


def _grade_notices(user) -> list[str]:
    return list(
        Notification.objects.filter(recipient=user, kind=NotificationKind.GRADE_POSTED)
        .order_by("pk")
        .values_list("title", flat=True)
    )


# --- Default and writes ------------------------------------------------------------------------
def test_course_grade_posting_defaults_to_automatic_and_grades_show_at_once(
    db, django_capture_on_commit_callbacks
):
    teacher = TeacherFactory()
    course = CourseFactory(teachers=[teacher], evaluation_rules=RULES)
    student = StudentFactory(user=StudentUserFactory())
    enroll(student, course)

    with django_capture_on_commit_callbacks(execute=True):
        services.grade_create(
            student=student,
            course=course,
            assignment_name="Midterm",
            category="Midterm",
            grade=Decimal("75"),
            actor=teacher,
        )

    assert course.grade_posting == "automatic"
    assert _api(student.user).get("/api/v1/grades/").json()["count"] == 1
    assert len(_grade_notices(student.user)) == 1


def test_manual_course_grade_from_the_grid_is_hidden_from_the_student(
    school, client, django_capture_on_commit_callbacks
):
    student = school["students"][0]
    client.force_login(school["teacher"])
    client.post(
        reverse("academics:grade_column_add", args=[school["course"].pk]),
        {
            "name": "Midterm",
            "category": "Midterm",
            "max_grade": "100",
            "date_assigned": "2025-11-01",
        },
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("academics:grade_cell", args=[school["course"].pk]),
            {"student": student.pk, "assignment": "Midterm", "grade": "80"},
            HTTP_HX_REQUEST="true",
        )

    assert response.status_code == 200
    assert ">hidden<" in response.content.decode()
    assert 'id="grade-posting" hx-swap-oob="true"' in response.content.decode()
    student_api = _api(student.user)
    assert student_api.get("/api/v1/grades/").json()["count"] == 0
    report = student_api.get(f"/api/v1/analytics/students/{student.pk}/").json()
    assert [row["final_grade"] for row in report["courses"]] == [None]
    assert _grade_notices(student.user) == []
    assert _api(school["teacher"]).get("/api/v1/grades/?hidden=true").json()["count"] == 1


def test_manual_course_hidden_grade_is_404_to_its_student(school):
    student = school["students"][0]
    grade = _grade(school, student)

    response = _api(student.user).get(f"/api/v1/grades/{grade.pk}/")

    assert response.status_code == 404


def test_manual_course_change_to_a_posted_grade_hides_it_until_posted_again(
    school, django_capture_on_commit_callbacks
):
    student = school["students"][0]
    grade = _grade(school, student, value="80")
    posting.grades_post(course=school["course"], actor=school["teacher"])

    with django_capture_on_commit_callbacks(execute=True):
        services.grade_update(grade_obj=grade, actor=school["teacher"], grade=Decimal("60"))

    assert Grade.objects.get(pk=grade.pk).posted_at is None
    assert _api(student.user).get("/api/v1/grades/").json()["count"] == 0
    assert _grade_notices(student.user) == []


def test_manual_course_saving_the_same_value_keeps_the_grade_posted(school):
    grade = _grade(school, school["students"][0], value="70")
    posting.grades_post(course=school["course"], actor=school["teacher"])

    _grade(school, school["students"][0], value="70.00")

    assert Grade.objects.get(pk=grade.pk).posted_at is not None


# --- Posting -----------------------------------------------------------------------------------
def test_post_grades_all_shows_them_and_tells_each_student_once(
    school, django_capture_on_commit_callbacks
):
    _grade_everyone(school, django_capture_on_commit_callbacks)

    with django_capture_on_commit_callbacks(execute=True):
        response = _post(school["teacher"], school["course"])

    assert response.status_code == 200
    assert response.json() == {"posted": 6, "students_notified": 3, "still_hidden": 0}
    for student in school["students"]:
        assert _grade_notices(student.user) == ["2 new grades in NET101"]
        assert _api(student.user).get("/api/v1/grades/").json()["count"] == 2
        report = _api(student.user).get(f"/api/v1/analytics/students/{student.pk}/").json()
        assert report["courses"][0]["final_grade"] == 86.0


def test_post_grades_per_assignment_posts_only_that_assignment(
    school, django_capture_on_commit_callbacks
):
    _grade_everyone(school, django_capture_on_commit_callbacks)

    with django_capture_on_commit_callbacks(execute=True):
        response = _post(school["teacher"], school["course"], assignment="Final")

    assert response.json() == {"posted": 3, "students_notified": 3, "still_hidden": 3}
    student = school["students"][0]
    grades = _api(student.user).get("/api/v1/grades/").json()["results"]
    assert [grade["assignment_name"] for grade in grades] == ["Final"]
    assert _grade_notices(student.user) == ["New grade in NET101: Final 90/100"]


def test_post_grades_per_category_matches_the_category_as_the_engine_does(
    school, django_capture_on_commit_callbacks
):
    _grade_everyone(school, django_capture_on_commit_callbacks)

    with django_capture_on_commit_callbacks(execute=True):
        response = _post(school["teacher"], school["course"], category="midterm")

    assert response.json()["posted"] == 3
    assert set(Grade.objects.filter(posted_at__isnull=True).values_list("category", flat=True)) == {
        "Final"
    }


def test_post_grades_with_nothing_hidden_answers_zero(school):
    response = _post(school["teacher"], school["course"])

    assert response.status_code == 200
    assert response.json() == {"posted": 0, "students_notified": 0, "still_hidden": 0}


def test_post_grades_student_is_refused_with_403(school):
    student = school["students"][0]
    _grade(school, student)

    response = _post(student.user, school["course"])

    assert response.status_code == 403
    assert Grade.objects.get().posted_at is None


def test_post_grades_other_teacher_gets_404_and_anonymous_401(school):
    _grade(school, school["students"][0])

    other = _post(TeacherFactory(), school["course"])
    anonymous = APIClient().post(f"/api/v1/courses/{school['course'].pk}/post-grades/")

    assert other.status_code == 404
    assert anonymous.status_code == 401
    assert Grade.objects.get().posted_at is None


def test_post_grades_admin_may_post_any_course(school):
    _grade(school, school["students"][0])

    response = _post(AdminFactory(), school["course"])

    assert response.json()["posted"] == 1


def test_post_grades_keeps_the_posting_in_the_history(school):
    grade = _grade(school, school["students"][0])

    posting.grades_post(course=school["course"], actor=school["teacher"])

    latest = grade.history.first()
    assert (latest.history_change_reason, latest.history_user) == ("posted", school["teacher"])
    assert latest.posted_at is not None


def test_post_grades_query_count_does_not_grow_with_200_students(
    db, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    teacher = TeacherFactory()
    course = CourseFactory(teachers=[teacher], evaluation_rules=RULES, grade_posting="manual")
    students = StudentFactory.create_batch(200, user=None)
    users = StudentUserFactory.create_batch(200)
    for student, user in zip(students, users, strict=True):
        student.user = user
        student.save(update_fields=["user"])
        enroll(student, course)
    Grade.objects.bulk_create(
        Grade(
            student=student,
            course=course,
            assignment_name="Midterm",
            category="Midterm",
            grade=Decimal("70"),
            date_assigned=dt.date(2025, 11, 1),
            posted_at=None,
        )
        for student in students
    )

    # 55 before the daily rollups; their refresh adds 9 statements (4 deletes, 5 inserts),
    # the same for 1 student or 2,000.
    with django_assert_max_num_queries(64), django_capture_on_commit_callbacks(execute=True):
        result = posting.grades_post(course=course, actor=teacher)

    assert (result.posted, result.students_notified) == (200, 200)
    assert Notification.objects.filter(kind=NotificationKind.GRADE_POSTED).count() == 200
    assert EnrollmentResult.objects.filter(course=course, final_grade__isnull=False).count() == 200


@pytest.mark.postgres
def test_post_grades_updates_the_rows_and_the_stored_results_in_one_go(
    school, django_capture_on_commit_callbacks
):
    _grade_everyone(school, django_capture_on_commit_callbacks)
    stored = EnrollmentResult.objects.filter(course=school["course"])
    before = list(stored.values_list("final_grade", flat=True))

    with django_capture_on_commit_callbacks(execute=True):
        result = posting.grades_post(course=school["course"], actor=school["teacher"])

    assert before == [None, None, None]
    assert result == posting.PostingResult(posted=6, students_notified=3, still_hidden=0)
    assert list(stored.values_list("final_grade", flat=True)) == [Decimal("86.00")] * 3
    assert GradeBucket.objects.filter(course=school["course"]).aggregate(n=Sum("items"))["n"] == 6
    assert Grade.history.filter(history_change_reason="posted").count() == 6


# --- The course's policy -----------------------------------------------------------------------
def test_course_api_admin_sets_manual_posting_and_teacher_may_not(school):
    course = CourseFactory(evaluation_rules=RULES)

    teacher = _api(school["teacher"]).patch(
        f"/api/v1/courses/{course.pk}/", {"grade_posting": "manual"}, format="json"
    )
    admin = _api(AdminFactory()).patch(
        f"/api/v1/courses/{course.pk}/", {"grade_posting": "manual"}, format="json"
    )

    assert teacher.status_code == 403
    assert admin.status_code == 200
    assert admin.json()["grade_posting"] == "manual"


def test_course_switch_to_automatic_posts_every_hidden_grade_once(
    school, django_capture_on_commit_callbacks
):
    _grade_everyone(school, django_capture_on_commit_callbacks)

    with django_capture_on_commit_callbacks(execute=True):
        response = _api(AdminFactory()).patch(
            f"/api/v1/courses/{school['course'].pk}/", {"grade_posting": "automatic"}, format="json"
        )

    assert response.status_code == 200
    assert not Grade.objects.filter(posted_at__isnull=True).exists()
    for student in school["students"]:
        assert _grade_notices(student.user) == ["2 new grades in NET101"]


def test_course_admin_form_switch_to_automatic_posts_hidden_grades(school, admin_client):
    _grade(school, school["students"][0])
    course = school["course"]
    form = {
        "course_code": course.course_code,
        "course_name": course.course_name,
        "semester": course.semester,
        "credits": "3",
        "is_active": "on",
        "evaluation_rules": "Midterm: 40%; Final: 60%",
        "absence_penalty": "0",
        "grade_posting": "automatic",
        "teachers": [str(school["teacher"].pk)],
        "enrollments-TOTAL_FORMS": "0",
        "enrollments-INITIAL_FORMS": "0",
        "_save": "Save",
    }

    response = admin_client.post(reverse("admin:academics_course_change", args=[course.pk]), form)

    assert response.status_code == 302
    assert Grade.objects.get().posted_at is not None


# --- Imports -----------------------------------------------------------------------------------
def test_import_into_a_manual_course_lands_hidden_and_tells_nobody(
    school, django_capture_on_commit_callbacks
):
    lines = ["student_id,course_code,assignment_name,category,grade,max_grade\n"]
    lines += [f"{s.student_id},NET101,Midterm,Midterm,75,100\n" for s in school["students"]]
    api = _api(AdminFactory())

    with django_capture_on_commit_callbacks(execute=True):
        preview = api.post(
            "/api/v1/imports/",
            {"resource": "grades", "file": SimpleUploadedFile("g.csv", "".join(lines).encode())},
            format="multipart",
        )
        confirmed = api.post(f"/api/v1/imports/{preview.json()['id']}/confirm/")

    assert confirmed.json()["status"] == "applied"
    assert Grade.objects.filter(course=school["course"], posted_at__isnull=True).count() == 3
    student = school["students"][0]
    assert _api(student.user).get("/api/v1/grades/").json()["count"] == 0
    assert _grade_notices(student.user) == []


# --- The grade grid page -----------------------------------------------------------------------
def test_grade_grid_marks_hidden_grades_and_counts_them(school, client):
    _grade(school, school["students"][0])
    _grade(school, school["students"][1], "Final", "Final", "90")
    client.force_login(school["teacher"])

    page = client.get(reverse("academics:grade_grid", args=[school["course"].pk]))

    text = page.content.decode()
    assert text.count(">hidden<") == 2
    assert 'data-hidden-count="2"' in text
    assert "Post grades" in text
    assert 'name="assignment" value="Final"' in text


def test_grade_grid_post_button_posts_and_answers_with_the_card(
    school, client, django_capture_on_commit_callbacks
):
    _grade(school, school["students"][0])
    client.force_login(school["teacher"])

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("academics:grade_post", args=[school["course"].pk]), HTTP_HX_REQUEST="true"
        )

    text = response.content.decode()
    assert response.status_code == 200
    assert 'id="grade-grid-card"' in text
    assert "1 grade posted. 1 student notified." in text
    assert ">hidden<" not in text
    assert len(_grade_notices(school["students"][0].user)) == 1


def test_grade_grid_post_by_another_teacher_is_404_and_by_a_student_403(school, client):
    url = reverse("academics:grade_post", args=[school["course"].pk])
    client.force_login(TeacherFactory())
    other = client.post(url)
    client.force_login(school["students"][0].user)
    student = client.post(url)

    assert other.status_code == 404
    assert student.status_code == 403


def test_grade_admin_lists_hidden_grades_with_their_filter(school, admin_client):
    _grade(school, school["students"][0], "Midterm")
    _grade(school, school["students"][1], "Final", "Final", "90")
    posting.grades_post(course=school["course"], actor=school["teacher"], assignment="Final")

    response = admin_client.get(
        reverse("admin:academics_grade_changelist"), {"posted_at__isempty": "1"}
    )

    assert response.status_code == 200
    assert list(response.context["cl"].result_list.values_list("assignment_name", flat=True)) == [
        "Midterm"
    ]


@pytest.mark.postgres
def test_post_grades_refreshes_the_daily_rollups_of_the_posted_grades(
    school, django_capture_on_commit_callbacks
):
    student = school["students"][0]
    with django_capture_on_commit_callbacks(execute=True):
        _grade(school, student, "Midterm", "Midterm", "80")
    day = GradeDay.objects.filter(student=student, day=dt.date(2025, 11, 1))
    assert not day.exists()  # hidden: in no rollup

    with django_capture_on_commit_callbacks(execute=True):
        posting.grades_post(course=school["course"], actor=school["teacher"])

    assert day.get().latest_percentage == 80.0
