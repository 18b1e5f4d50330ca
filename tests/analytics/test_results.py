"""The stored results stay equal to a fresh computation by the grade engine."""

import contextlib
import datetime as dt
import random
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import translation

from apps.academics import changes, grading, services
from apps.academics.filtering import RecordFilters
from apps.academics.models import Enrollment, Grade
from apps.analytics import results, selectors
from apps.analytics.models import (
    AttendanceDay,
    AttendanceSlot,
    DailyPerformanceDay,
    EnrollmentResult,
    GradeBucket,
    GradeDay,
    StudentResult,
    TrendSegment,
)
from apps.analytics.rollups import write_rollups
from tests.analytics.stored_check import engine_rows, stored_rows
from tests.factories import StudentFactory, enroll


def _stored_equals_engine() -> bool:
    return stored_rows() == engine_rows()


def _rollup_rows() -> dict:
    fields = {
        model: [f.attname for f in model._meta.concrete_fields if f.attname != "id"]
        for model in (GradeDay, DailyPerformanceDay, AttendanceDay, TrendSegment)
    }
    return {
        model.__name__: sorted(model.objects.values_list(*names), key=repr)
        for model, names in fields.items()
    }


def _computed_at() -> dict:
    return dict(StudentResult.objects.values_list("student_id", "computed_at"))


def test_refresh_grade_write_updates_only_that_student(
    school, admin_user, django_capture_on_commit_callbacks
):
    results.flush_pending()
    before = _computed_at()
    grade = Grade.objects.get(student=school.ben, course=school.math, category="Final")

    with django_capture_on_commit_callbacks(execute=True):
        services.grade_update(grade_obj=grade, actor=admin_user, grade=Decimal("90"))

    after = _computed_at()
    row = EnrollmentResult.objects.get(student=school.ben, course=school.math)
    assert row.final_grade == Decimal("70.00")  # 40·0.4 + 90·0.6
    assert StudentResult.objects.get(student=school.ben).average_grade == Decimal("70.00")
    assert after[school.ben.pk] > before[school.ben.pk]
    assert {pk: at for pk, at in after.items() if pk != school.ben.pk} == {
        pk: at for pk, at in before.items() if pk != school.ben.pk
    }
    assert _stored_equals_engine()


def test_refresh_grade_write_costs_a_handful_of_queries(
    school, admin_user, django_assert_max_num_queries
):
    results.flush_pending()
    grade = Grade.objects.get(student=school.ana, course=school.physics, assignment_name="HW1")
    services.grade_update(grade_obj=grade, actor=admin_user, grade=Decimal("100"))

    # 25 for the stored results, 5 for the grade rollups of that course (2 deletes,
    # 3 INSERT … SELECT): a grade feeds no attendance or daily-performance day.
    with django_assert_max_num_queries(30):
        results.flush_pending()

    assert EnrollmentResult.objects.get(student=school.ana, course=school.physics).final_grade == (
        Decimal("95.00")
    )


def test_refresh_dropping_an_enrollment_removes_its_row(school, admin_user):
    enrollment = Enrollment.objects.get(student=school.ben, course=school.math)

    services.enrollment_drop(enrollment=enrollment, actor=admin_user)
    results.flush_pending()

    assert not EnrollmentResult.objects.filter(student=school.ben, course=school.math).exists()
    assert StudentResult.objects.get(student=school.ben).average_grade is None
    assert _stored_equals_engine()


def test_refresh_soft_deleted_student_loses_their_rows(school, admin_user):
    results.flush_pending()

    services.student_delete(student=school.ana, actor=admin_user)
    results.flush_pending()

    assert not EnrollmentResult.objects.filter(student=school.ana).exists()
    assert not StudentResult.objects.filter(student=school.ana).exists()
    # Her attendance no longer counts in the course aggregates either.
    assert selectors.dashboard(selectors.AnalyticsContext(admin_user))["totals"] == {
        "students": 2,
        "active_students": 2,
        "courses": 2,
        "enrollments": 2,
        "grades": 3,
        "attendance_records": 5,
    }


def test_a_recorded_bulk_update_refreshes_its_students(school):
    results.flush_pending()
    Grade.objects.filter(student=school.chloe, course=school.physics).update(grade=Decimal("20"))

    changes.record_change(
        kinds=[changes.GRADE], student_ids=[school.chloe.pk], course_ids=[school.physics.pk]
    )
    results.flush_pending()

    assert EnrollmentResult.objects.get(
        student=school.chloe, course=school.physics
    ).final_grade == (Decimal("20.00"))
    assert _stored_equals_engine()


def test_stored_results_match_the_engine_after_random_writes(school, admin_user):
    rng = random.Random(7)
    students = [school.ana, school.ben, school.chloe, StudentFactory(), StudentFactory()]
    for student in students[3:]:
        enroll(student, school.physics)
        enroll(student, school.math)
    courses = [school.math, school.physics]

    for step in range(40):
        student, course = rng.choice(students), rng.choice(courses)
        action = rng.choice(
            ["grade", "attendance", "drop", "bulk", "delete_grade", "recategorise", "resave"]
        )
        with contextlib.suppress(ValidationError):  # a refused write changes nothing
            _random_write(action, rng, step, student, course, admin_user)
        if step % 7 == 0:
            results.flush_pending()
    results.flush_pending()

    assert _stored_equals_engine()
    # The refreshes rewrote only the rollups their changes fed (tables, courses): the rows
    # equal a rewrite of every rollup from the records.
    refreshed = _rollup_rows()
    write_rollups(None)
    assert _rollup_rows() == refreshed
    context = selectors.AnalyticsContext(admin_user, RecordFilters())
    live = selectors.AnalyticsContext(admin_user, RecordFilters(date_from=dt.date(2000, 1, 1)))
    assert _without_time(selectors.dashboard(context)) == _without_time(selectors.dashboard(live))
    assert _without_time(selectors.attendance(context)) == _without_time(selectors.attendance(live))
    assert _without_time(selectors.grades(context)) == _without_time(selectors.grades(live))


def _random_write(action, rng, step, student, course, admin_user) -> None:
    if action == "grade":
        services.grade_create(
            student=student,
            course=course,
            assignment_name=f"Item {step}",
            category=rng.choice(["Homework", "Midterm", "Final"]),
            grade=Decimal(rng.randint(0, 100)),
            date_assigned=dt.date(2025, 10, 1) + dt.timedelta(days=step),
            actor=admin_user,
        )
    elif action == "attendance":
        services.attendance_mark(
            student=student,
            course=course,
            date=dt.date(2025, 11, 3) + dt.timedelta(days=step % 5),
            period_number=rng.randint(1, 3),
            status=rng.choice(["present", "absent", "late", "excused"]),
            actor=admin_user,
        )
    elif action == "drop":
        enrollment = Enrollment.objects.filter(student=student, course=course).first()
        if enrollment:
            new_status = rng.choice(["dropped", "active"])
            services.enrollment_update(enrollment=enrollment, actor=admin_user, status=new_status)
    elif action == "bulk":
        Grade.objects.filter(course=course).update(grade=Decimal(rng.randint(0, 100)))
        changes.record_change(kinds=[changes.COURSE], course_ids=[course.pk])
    elif action in ("recategorise", "resave"):
        # Another category and mark: both categories' grade figures change.
        grade = Grade.objects.filter(student=student, course=course).first()
        if grade is None:
            return
        category = rng.choice(["Homework", "Midterm", "Final"])
        mark = Decimal(rng.randint(0, 100))
        if action == "recategorise":
            services.grade_update(grade_obj=grade, actor=admin_user, category=category, grade=mark)
        else:  # straight through the model, as a shell or a restore would
            grade.category, grade.grade = category, mark
            grade.full_clean()
            grade.save()
    else:
        grade = Grade.objects.filter(student=student, course=course).first()
        if grade:
            services.grade_delete(grade_obj=grade, actor=admin_user)


def _without_time(payload: dict) -> dict:
    return {key: value for key, value in payload.items() if key != "generated_at"}


def test_rebuild_analytics_equals_the_incremental_results(school, admin_user, capsys):
    grade = Grade.objects.get(student=school.ana, course=school.math, category="Midterm")
    services.grade_update(grade_obj=grade, actor=admin_user, grade=Decimal("55"))
    results.flush_pending()
    incremental = stored_rows()
    slots = sorted(AttendanceSlot.objects.values_list("course_id", "date", "status", "records"))
    buckets = sorted(GradeBucket.objects.values_list("course_id", "category", "items"))

    call_command("rebuild_analytics")

    assert "Analytics rebuilt for 3 students" in capsys.readouterr().out
    assert stored_rows() == incremental
    assert (
        sorted(AttendanceSlot.objects.values_list("course_id", "date", "status", "records"))
        == slots
    )
    assert sorted(GradeBucket.objects.values_list("course_id", "category", "items")) == buckets


def test_students_reasons_follow_the_request_language(school, admin_user):
    context = selectors.AnalyticsContext(admin_user, RecordFilters())
    with translation.override("el"):
        expected = [
            selectors.reason_text(reason)
            for reason in grading.risk_assessment(
                Decimal("46.00"), Decimal("25.00"), "stable"
            ).reasons
        ]

        rows = {row["name"]: row for row in selectors.students(context)["results"]}

    assert rows["Beta Ben"]["risk_reasons"] == expected
    english = selectors.students(selectors.AnalyticsContext(admin_user, RecordFilters()))
    assert {row["name"]: row for row in english["results"]}["Beta Ben"]["risk_reasons"] != expected


def test_refresh_results_by_course_recomputes_its_students(school):
    results.flush_pending()
    Grade.objects.filter(course=school.physics).update(grade=Decimal("100"))

    results.refresh_results(course_ids=[school.physics.pk])

    finals = dict(
        EnrollmentResult.objects.filter(course=school.physics).values_list(
            "student_id", "final_grade"
        )
    )
    assert finals == {school.ana.pk: Decimal("100.00"), school.chloe.pk: Decimal("100.00")}
    assert _stored_equals_engine()


def test_refresh_of_grades_and_marks_rewrites_the_rollups_they_feed(school, admin_user):
    """Each write refreshed on its own: a grade rewrites the grade days and trend segments
    of its course, a mark the attendance days; the rollups then equal a full rewrite."""
    results.flush_pending()
    rng = random.Random(11)
    for step in range(24):
        action = rng.choice(["grade", "attendance", "delete_grade"])
        student, course = rng.choice([school.ana, school.ben]), school.math
        with contextlib.suppress(ValidationError):  # a category the course lacks
            _random_write(action, rng, step, student, course, admin_user)
        results.flush_pending()

    refreshed = _rollup_rows()
    write_rollups(None)
    assert _rollup_rows() == refreshed
    assert _stored_equals_engine()


def test_rebuild_one_student_and_course_per_step_equals_the_refreshed_rows(school, admin_user):
    """A rebuild in many small transactions writes what the refreshes wrote, and drops the
    rows of a student and a course that are gone."""
    results.flush_pending()
    refreshed = (stored_rows(), _rollup_rows())
    slots = sorted(AttendanceSlot.objects.values_list("course_id", "date", "status", "records"))
    buckets = sorted(GradeBucket.objects.values_list("course_id", "category", "items"))
    orphan = StudentResult.objects.first()
    orphan.pk, orphan.student_id = None, 10**6
    orphan.save()
    GradeBucket.objects.create(course_id=10**6, category="Gone", percentage=50, items=1)

    timings = results.rebuild_results(students_per_step=1, courses_per_step=1)

    assert timings.students == 3
    assert (stored_rows(), _rollup_rows()) == refreshed
    assert not StudentResult.objects.filter(student_id=10**6).exists()
    assert (
        sorted(AttendanceSlot.objects.values_list("course_id", "date", "status", "records"))
        == slots
    )
    assert sorted(GradeBucket.objects.values_list("course_id", "category", "items")) == buckets


def _buckets() -> list:
    return sorted(GradeBucket.objects.values_list("course_id", "category", "percentage", "items"))


def test_a_grade_moved_to_another_category_refreshes_both_buckets(school, admin_user):
    grade = services.grade_create(
        student=school.ana,
        course=school.math,
        assignment_name="Moved",
        category="Midterm",
        grade=Decimal("37"),
        actor=admin_user,
    )
    results.flush_pending()
    assert (school.math.pk, "Midterm", Decimal("37.00"), 1) in _buckets()

    services.grade_update(grade_obj=grade, actor=admin_user, category="Final")
    results.flush_pending()
    refreshed = _buckets()
    assert (school.math.pk, "Final", Decimal("37.00"), 1) in refreshed
    assert (school.math.pk, "Midterm", Decimal("37.00"), 1) not in refreshed
    results.rebuild_results()
    assert _buckets() == refreshed
