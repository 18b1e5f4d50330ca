from tests.factories import CourseFactory, GradeFactory, StudentFactory, enroll


def test_grade_factory_creates_grade_for_enrolled_student(db):
    student, course = StudentFactory(), CourseFactory()
    enroll(student, course)

    grade = GradeFactory(student=student, course=course, grade=75)

    assert grade.student.grades.count() == 1
    assert course.evaluation_rules[0]["category"] == "Midterm"
