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
