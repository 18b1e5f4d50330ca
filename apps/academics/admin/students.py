"""Students in the admin, with the grade engine's summary on each student's page."""

from __future__ import annotations

from django.contrib import admin
from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from apps.academics import grading, services
from apps.academics.admin.base import SoftDeleteAdmin
from apps.academics.admin.inlines import StudentEnrollmentInline
from apps.academics.models import Course, Student

HEALTH_FIELDS = ("health_issue",)


def _item_count(items) -> int | None:
    if items is None:
        return None
    if isinstance(items, int):
        return items
    return len(items)


def summary_context(student: Student) -> dict:
    """What the student's page shows: the engine's numbers, with course names attached."""
    summary = grading.student_summary(student)
    courses = Course.all_objects.in_bulk([result.course_id for result in summary.courses])
    rows = []
    for result in summary.courses:
        breakdown = [
            {
                "category": entry.get("label") or category,
                "average": entry.get("average"),
                "weight": entry.get("weight"),
                "contribution": entry.get("contribution"),
                "items": _item_count(entry.get("items")),
            }
            for category, entry in (result.category_breakdown or {}).items()
        ]
        rows.append(
            {
                "result": result,
                "course": courses.get(result.course_id),
                "breakdown": breakdown,
                "reason": _words(result.reason),
            }
        )
    risk = summary.risk
    return {
        "summary": summary,
        "trend": _words(summary.trend),
        "risk": {"level": _words(risk.level), "score": risk.score, "reasons": risk.reasons},
        "rows": rows,
    }


# The engine's codes in words (the English words are the codes themselves).
CODE_LABELS = {
    "improving": pgettext_lazy("grade engine", "improving"),
    "declining": pgettext_lazy("grade engine", "declining"),
    "stable": pgettext_lazy("grade engine", "stable"),
    "insufficient_data": pgettext_lazy("grade engine", "insufficient data"),
    "high": pgettext_lazy("grade engine", "high"),
    "medium": pgettext_lazy("grade engine", "medium"),
    "low": pgettext_lazy("grade engine", "low"),
    "no_evaluation_rules": pgettext_lazy("grade engine", "no evaluation rules"),
    "no_grades": pgettext_lazy("grade engine", "no grades"),
    "not_enrolled": pgettext_lazy("grade engine", "not enrolled"),
}


def _words(code: str | None) -> str:
    """``insufficient_data`` → ``insufficient data``, in the page's language."""
    if not code:
        return ""
    return str(CODE_LABELS.get(code, code.replace("_", " ")))


@admin.register(Student)
class StudentAdmin(SoftDeleteAdmin):
    service_fields = frozenset(services.STUDENT_FIELDS)
    list_display = (
        "student_id",
        "last_name",
        "first_name",
        "email",
        "study_year",
        "class_division",
        "academic_year",
        "is_active",
    )
    list_display_links = ("student_id", "last_name")
    list_filter = ("is_active", "study_year", "class_division", "academic_year")
    search_fields = ("student_id", "first_name", "last_name", "father_name", "email")
    date_hierarchy = "enrollment_date"
    autocomplete_fields = ("user",)
    inlines = (StudentEnrollmentInline,)
    readonly_fields = ("grade_summary", "created_at", "updated_at", "deleted_at")

    def get_fieldsets(self, request, obj=None):
        fieldsets = [
            (
                None,
                {
                    "fields": (
                        "student_id",
                        "last_name",
                        "first_name",
                        "father_name",
                        "date_of_birth",
                    )
                },
            ),
            (_("Contact"), {"fields": ("email", "mobile_phone", "phone")}),
            (
                _("Studies"),
                {
                    "fields": (
                        "study_year",
                        "academic_year",
                        "class_division",
                        "enrollment_date",
                        "is_active",
                    )
                },
            ),
            (_("Account"), {"fields": ("user",)}),
        ]
        if request.user.is_admin_role:
            fieldsets.append((_("Health"), {"fields": HEALTH_FIELDS}))
        fieldsets.append((_("Notes"), {"fields": ("notes",)}))
        if obj is not None:
            fieldsets += [
                (_("Grades and attendance"), {"fields": ("grade_summary",)}),
                (
                    _("Record"),
                    {
                        "fields": ("created_at", "updated_at", "deleted_at"),
                        "classes": ("collapse",),
                    },
                ),
            ]
        return fieldsets

    def get_exclude(self, request, obj=None):
        exclude = list(super().get_exclude(request, obj) or ())
        if not request.user.is_admin_role:
            exclude += HEALTH_FIELDS
        return exclude

    @admin.display(description=_("grade summary"))
    def grade_summary(self, obj: Student) -> str:
        if obj is None or obj.pk is None:
            return "—"
        return render_to_string("admin/academics/student/grade_summary.html", summary_context(obj))

    def create_through_service(self, request, obj, data):
        return services.student_create(actor=request.user, **data)

    def update_through_service(self, request, obj, data):
        services.student_update(student=obj, actor=request.user, **data)

    def delete_through_service(self, request, obj):
        services.student_delete(student=obj, actor=request.user)

    def restore_through_service(self, request, obj):
        services.student_restore(student=obj, actor=request.user)
