"""Cache invalidation: any write to a record behind a figure forgets the cached figures.

Only cache invalidation lives here (no domain workflow). Bulk operations that bypass
model signals (``bulk_create``, ``QuerySet.update``, raw imports, rollbacks) call
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
from apps.analytics.caching import invalidate_analytics

WATCHED_MODELS = (Student, Course, Enrollment, Grade, Attendance, DailyPerformance)


def _on_write(sender, **kwargs) -> None:
    invalidate_analytics()


def _on_teachers_changed(sender, action: str, **kwargs) -> None:
    if action in ("post_add", "post_remove", "post_clear"):
        invalidate_analytics()


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
