from apps.academics import scoping, services
from tests.factories import CourseFactory, GradeFactory, StudentFactory, enroll


def test_records_of_soft_deleted_students_and_courses_are_hidden_from_every_role(
    db, admin_user, teacher_user
):
    course, closed_course = (
        CourseFactory(teachers=[teacher_user]),
        CourseFactory(teachers=[teacher_user]),
    )
    kept, removed = StudentFactory(), StudentFactory()
    for student in (kept, removed):
        enroll(student, course)
        enroll(student, closed_course)
        GradeFactory(student=student, course=course)
        GradeFactory(student=student, course=closed_course)

    services.student_delete(student=removed, actor=admin_user)
    services.course_delete(course=closed_course, actor=admin_user)

    for user in (admin_user, teacher_user):
        visible = scoping.grades_for(user)
        assert list(visible.values_list("student_id", "course_id")) == [(kept.pk, course.pk)]
        assert scoping.enrollments_for(user).count() == 1


def test_students_for_teacher_are_those_with_a_counted_enrollment_in_their_courses(
    db, admin_user, teacher_user
):
    taught, other_taught, not_taught = (
        CourseFactory(teachers=[teacher_user]),
        CourseFactory(teachers=[teacher_user]),
        CourseFactory(),
    )
    active, completed, dropped_only, dropped_here_taking_there, elsewhere, removed = (
        StudentFactory() for _ in range(6)
    )
    enroll(active, taught)
    enroll(completed, taught, status="completed")
    enroll(dropped_only, taught, status="dropped")
    enroll(dropped_here_taking_there, taught, status="dropped")
    enroll(dropped_here_taking_there, other_taught)
    enroll(elsewhere, not_taught)
    enroll(removed, taught)
    services.student_delete(student=removed, actor=admin_user)

    visible = set(scoping.students_for(teacher_user).values_list("pk", flat=True))

    assert visible == {active.pk, completed.pk, dropped_here_taking_there.pk}


def test_students_for_teacher_leaves_out_students_of_a_deleted_course(db, admin_user, teacher_user):
    closed = CourseFactory(teachers=[teacher_user])
    student = StudentFactory()
    enroll(student, closed)

    services.course_delete(course=closed, actor=admin_user)

    assert not scoping.students_for(teacher_user).exists()


def test_markable_course_ids_are_every_course_for_admins_and_taught_ones_for_teachers(
    db, admin_user, teacher_user, student_user
):
    taught = CourseFactory(teachers=[teacher_user])
    CourseFactory()

    assert scoping.markable_course_ids(admin_user) is None
    assert scoping.markable_course_ids(teacher_user) == {taught.pk}
    assert scoping.markable_course_ids(student_user) == set()
    assert scoping.can_write_marks(teacher_user, taught)
