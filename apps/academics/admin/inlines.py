"""Enrollments edited from a student's or a course's page."""

from django.contrib import admin

from apps.academics.admin_forms import RecordAdminForm
from apps.academics.models import Enrollment
from apps.accounts.admin import AdminRoleMixin


class EnrollmentInline(AdminRoleMixin, admin.TabularInline):
    model = Enrollment
    form = RecordAdminForm
    extra = 0
    show_change_link = True


class StudentEnrollmentInline(EnrollmentInline):
    """On a student's page: the courses they take."""

    fields = ("course", "enrolled_at", "status")
    autocomplete_fields = ("course",)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("course")


class CourseEnrollmentInline(EnrollmentInline):
    """On a course's page: its roster."""

    fields = ("student", "enrolled_at", "status")
    autocomplete_fields = ("student",)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("student")
