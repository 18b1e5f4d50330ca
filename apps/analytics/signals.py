"""Keep the analytics current: any write to a record behind a figure forgets the cached
figures and schedules a refresh of the stored results it touches (on commit).

Only invalidation lives here (no domain workflow). Bulk operations that bypass model
signals (``bulk_create``, ``QuerySet.update``, raw imports, rollbacks) call
``apps.analytics.caching.invalidate_analytics()`` themselves.
"""

from django.db.models.signals import m2m_changed, post_delete, post_save

from apps.academics.models import (
    Attendance,
    Course,
    DailyPerformance,
    Enrollment,
    Grade,
    Student,
)
from apps.analytics import results
from apps.analytics.caching import clear_cached_figures

WATCHED_MODELS = (Student, Course, Enrollment, Grade, Attendance, DailyPerformance)


def _on_write(sender, instance, **kwargs) -> None:
    clear_cached_figures()
    if sender is Student:
        results.schedule(student_cascade=[instance.pk])
    elif sender is Course:
        results.schedule(courses=[instance.pk], course_cascade=[instance.pk])
    elif sender is DailyPerformance:
        results.schedule(students=[instance.student_id])
    elif sender is Grade:
        results.schedule(students=[instance.student_id], grade_courses=[instance.course_id])
    elif sender is Attendance:
        results.schedule(students=[instance.student_id], attendance_courses=[instance.course_id])
    else:  # Enrollment: the pair counts or not, with all its records
        results.schedule(students=[instance.student_id], courses=[instance.course_id])


def _on_teachers_changed(sender, action: str, **kwargs) -> None:
    # Teachers change who sees a course, not its figures: nothing stored to refresh.
    if action in ("post_add", "post_remove", "post_clear"):
        clear_cached_figures()


def connect() -> None:
    for model in WATCHED_MODELS:
        uid = f"analytics-invalidate-{model._meta.label_lower}"
        post_save.connect(_on_write, sender=model, dispatch_uid=uid + "-save")
        post_delete.connect(_on_write, sender=model, dispatch_uid=uid + "-delete")
    m2m_changed.connect(
        _on_teachers_changed,
        sender=Course.teachers.through,
        dispatch_uid="analytics-invalidate-course-teachers",
    )
