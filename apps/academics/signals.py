"""The collector: any save or delete of a school record is recorded in the change hook.

Services and batch writers record what they do themselves (with details such as the
grades to announce); this collector makes sure a write that reached a model some other
way (a factory, a shell, a cascade) is still announced, so no stored figure goes stale.
It only records: what listens to the hook decides what to do.
"""

from django.db.models.signals import m2m_changed, post_delete, post_save

from apps.academics import changes
from apps.academics.models import Attendance, Course, DailyPerformance, Enrollment, Grade, Student

KIND_BY_MODEL = {
    Student: changes.STUDENT,
    Course: changes.COURSE,
    Enrollment: changes.ENROLLMENT,
    Grade: changes.GRADE,
    Attendance: changes.ATTENDANCE,
    DailyPerformance: changes.DAILY_PERFORMANCE,
}


def _on_write(sender, instance, using, **kwargs) -> None:
    kind = KIND_BY_MODEL[sender]
    if sender is Student:
        students, courses = [instance.pk], []
    elif sender is Course:
        students, courses = [], [instance.pk]
    else:
        students, courses = [instance.student_id], [instance.course_id]
        # A record moved to another student or course leaves the old pair's figures stale.
        loaded = getattr(instance, "_loaded_pair", None)
        if loaded is not None:
            students.append(loaded[0])
            courses.append(loaded[1])
    categories = instance.touched_categories() if sender is Grade else None
    if categories:
        courses.extend(categories)
    changes.record_change(
        kinds=[kind],
        student_ids=students,
        course_ids=courses,
        grade_categories=categories,
        using=using,
    )


def _on_teachers_changed(sender, instance, action: str, using, **kwargs) -> None:
    if action in ("post_add", "post_remove", "post_clear"):
        course_ids = [instance.pk] if isinstance(instance, Course) else []
        changes.record_change(kinds=[changes.TEACHERS], course_ids=course_ids, using=using)


def connect() -> None:
    for model in KIND_BY_MODEL:
        uid = f"academics-changes-{model._meta.label_lower}"
        post_save.connect(_on_write, sender=model, dispatch_uid=uid + "-save")
        post_delete.connect(_on_write, sender=model, dispatch_uid=uid + "-delete")
    m2m_changed.connect(
        _on_teachers_changed,
        sender=Course.teachers.through,
        dispatch_uid="academics-changes-course-teachers",
    )
