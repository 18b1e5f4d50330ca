"""Enrollments, grades, attendance and daily performance in the admin."""

from django.contrib import admin

from apps.academics import services
from apps.academics.admin.base import RecordAdmin
from apps.academics.models import Attendance, DailyPerformance, Enrollment, Grade

# Large tables: prefix searches, so "S001" finds S00123 without scanning every row.
STUDENT_SEARCH = ("^student__student_id", "^student__last_name", "^student__first_name")
COURSE_SEARCH = ("^course__course_code",)


@admin.register(Enrollment)
class EnrollmentAdmin(RecordAdmin):
    service_fields = frozenset(services.ENROLLMENT_FIELDS)
    fields = ("student", "course", "enrolled_at", "status")
    list_display = ("student", "course", "status", "enrolled_at")
    list_filter = ("status", "course__semester")
    search_fields = (*STUDENT_SEARCH, *COURSE_SEARCH, "course__course_name")
    date_hierarchy = "enrolled_at"

    def create_through_service(self, request, obj, data):
        return services.enrollment_create(
            student=obj.student, course=obj.course, actor=request.user, **data
        )

    def update_through_service(self, request, obj, data):
        services.enrollment_update(enrollment=obj, actor=request.user, **data)

    def delete_through_service(self, request, obj):
        services.enrollment_delete(enrollment=obj, actor=request.user)


@admin.register(Grade)
class GradeAdmin(RecordAdmin):
    service_fields = frozenset(services.GRADE_FIELDS)
    fields = (
        "student",
        "course",
        "assignment_name",
        "category",
        ("grade", "max_grade", "weight"),
        ("date_assigned", "date_submitted"),
        "notes",
        "posted_at",
    )
    # Set by the posting policy (``apps.academics.posting``), never typed in.
    readonly_fields = ("posted_at",)
    list_display = (
        "student",
        "course",
        "assignment_name",
        "category",
        "grade",
        "max_grade",
        "weight",
        "date_assigned",
        "date_submitted",
        "posted_at",
    )
    list_filter = (
        "category",
        "course__semester",
        ("posted_at", admin.EmptyFieldListFilter),
    )
    search_fields = (*STUDENT_SEARCH, *COURSE_SEARCH, "assignment_name")
    date_hierarchy = "date_assigned"

    def create_through_service(self, request, obj, data):
        return services.grade_create(
            student=obj.student, course=obj.course, actor=request.user, **data
        )

    def update_through_service(self, request, obj, data):
        services.grade_update(grade_obj=obj, actor=request.user, **data)

    def delete_through_service(self, request, obj):
        services.grade_delete(grade_obj=obj, actor=request.user)


@admin.register(Attendance)
class AttendanceAdmin(RecordAdmin):
    service_fields = frozenset(services.ATTENDANCE_FIELDS)
    fields = ("student", "course", ("date", "period_number"), "status", "notes")
    list_display = ("date", "period_number", "student", "course", "status")
    list_filter = ("status", "period_number", "course__semester")
    search_fields = (*STUDENT_SEARCH, *COURSE_SEARCH)
    date_hierarchy = "date"

    def create_through_service(self, request, obj, data):
        return services.attendance_create(
            student=obj.student, course=obj.course, actor=request.user, **data
        )

    def update_through_service(self, request, obj, data):
        services.attendance_update(attendance=obj, actor=request.user, **data)

    def delete_through_service(self, request, obj):
        services.attendance_delete(attendance=obj, actor=request.user)


@admin.register(DailyPerformance)
class DailyPerformanceAdmin(RecordAdmin):
    service_fields = frozenset(services.DAILY_PERFORMANCE_FIELDS)
    fields = ("student", "course", "date", "category", ("score", "max_score"), "notes")
    list_display = ("date", "student", "course", "category", "score", "max_score")
    list_filter = ("category", "course__semester")
    search_fields = (*STUDENT_SEARCH, *COURSE_SEARCH, "category")
    date_hierarchy = "date"

    def create_through_service(self, request, obj, data):
        return services.daily_performance_create(
            student=obj.student, course=obj.course, actor=request.user, **data
        )

    def update_through_service(self, request, obj, data):
        services.daily_performance_update(record=obj, actor=request.user, **data)

    def delete_through_service(self, request, obj):
        services.daily_performance_delete(record=obj, actor=request.user)
