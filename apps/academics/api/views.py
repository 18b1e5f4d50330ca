"""CRUD endpoints for the school's records; thin: scope, shape, then call a service.

Access, in the order it is checked:

1. anonymous → 401;
2. a role that may never make this kind of change → 403 (students write nothing; teachers
   write only grades, attendance and daily performance; admins write everything);
3. an object outside the user's scope (``apps.academics.scoping``) → 404, as if unknown;
4. a ``student`` or ``course`` id outside the scope in a body → 400 on that field.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework import filters, permissions, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from apps.academics import posting, scoping, services
from apps.academics.api import filters as api_filters
from apps.academics.api import serializers as api_serializers
from apps.accounts.models import Role
from sms.api import CursorOrPagePagination, keysets

POSTING_FORBIDDEN = _("Only teachers of the course and administrators may post grades.")


class RoleWritePermission(permissions.BasePermission):
    """Reads are open to any signed-in user (the queryset is scoped); writes by role."""

    def has_permission(self, request, view) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return True
        if scoping.role_of(request.user) in view.writer_roles:
            return True
        self.message = view.forbidden_message
        return False

    def has_object_permission(self, request, view, obj) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return True
        return view.may_write_object(request.user, obj)


class ScopedModelViewSet(viewsets.ModelViewSet):
    """A model's records as the requesting user may see them, written through services."""

    permission_classes = [permissions.IsAuthenticated, RoleWritePermission]
    filter_backends = [DjangoFilterBackend, filters.SearchFilter, filters.OrderingFilter]
    writer_roles: tuple[str, ...] = (Role.ADMIN,)
    forbidden_message = _("Only administrators may change these records.")

    def scoped_queryset(self, user):
        raise NotImplementedError

    def get_queryset(self):
        return self.scoped_queryset(self.request.user)

    def may_write_object(self, user, obj) -> bool:
        return scoping.role_of(user) in self.writer_roles


def shown_columns(queryset, request):
    """For a read, the record's own columns and, of its student and course, only what a
    record's row shows (``ScopedRecordSerializer``: the student's name, the course's
    code): a page of 50 grades then builds 50 small students and courses instead of whole
    ones, whose timestamps and the course's evaluation rules (JSON) were parsed per row.
    A write keeps whole rows, since the services read more of them."""
    if request.method not in permissions.SAFE_METHODS:
        return queryset
    own = [field.name for field in queryset.model._meta.concrete_fields]
    return queryset.only(*own, "student__first_name", "student__last_name", "course__course_code")


class MarksViewSet(ScopedModelViewSet):
    """Grades, attendance, daily performance: admins anywhere, teachers in their courses.

    The big lists: page numbers as everywhere, or ``?cursor=`` pages in the orderings of
    ``cursor_orderings`` (each served by an index, ``Meta.indexes``)."""

    pagination_class = CursorOrPagePagination
    writer_roles = (Role.ADMIN, Role.TEACHER)
    forbidden_message = _("Only teachers of the course and administrators may change marks.")
    select_related = ("student", "course")
    ordering_fields = ("id", "student__last_name", "course__course_code")

    def may_write_object(self, user, obj) -> bool:
        return scoping.can_write_marks(user, obj.course)

    def check_course(self, course) -> None:
        if not scoping.can_write_marks(self.request.user, course):
            raise PermissionDenied(self.forbidden_message)

    def scoped_queryset(self, user):
        records = self.scope(user).select_related(*self.select_related)
        return shown_columns(records, self.request)


# --- Students and courses (admins write; everyone reads within scope) ----------------------
class StudentViewSet(ScopedModelViewSet):
    """Students. ``health_issue`` and ``user`` appear (and may be written) for admins only."""

    serializer_class = api_serializers.StudentSerializer
    filterset_class = api_filters.StudentFilter
    search_fields = ("student_id", "first_name", "last_name", "father_name", "email")
    ordering_fields = (
        "id", "student_id", "last_name", "first_name", "study_year", "class_division",
        "enrollment_date", "created_at",
    )  # fmt: skip

    def scoped_queryset(self, user):
        return scoping.students_for(user)

    def get_serializer_class(self):
        if scoping.is_admin(self.request.user):
            return api_serializers.StudentAdminSerializer
        return api_serializers.StudentSerializer

    def perform_create(self, serializer):
        serializer.instance = services.student_create(
            actor=self.request.user, **serializer.validated_data
        )

    def perform_update(self, serializer):
        serializer.instance = services.student_update(
            student=serializer.instance, actor=self.request.user, **serializer.validated_data
        )

    def perform_destroy(self, instance):
        services.student_delete(student=instance, actor=self.request.user)


class CourseViewSet(ScopedModelViewSet):
    serializer_class = api_serializers.CourseSerializer
    filterset_class = api_filters.CourseFilter
    search_fields = ("course_code", "course_name", "description")
    ordering_fields = ("id", "course_code", "course_name", "semester", "credits", "created_at")

    def scoped_queryset(self, user):
        return scoping.courses_for(user).prefetch_related("teachers")

    def perform_create(self, serializer):
        serializer.instance = services.course_create(
            actor=self.request.user, **serializer.validated_data
        )

    def perform_update(self, serializer):
        serializer.instance = services.course_update(
            course=serializer.instance, actor=self.request.user, **serializer.validated_data
        )

    def perform_destroy(self, instance):
        services.course_delete(course=instance, actor=self.request.user)

    @extend_schema(
        request=api_serializers.GradePostingSerializer,
        responses=api_serializers.GradePostingResultSerializer,
    )
    @action(
        detail=True,
        methods=["post"],
        url_path="post-grades",
        permission_classes=[permissions.IsAuthenticated],
    )
    def post_grades(self, request, pk=None):
        """Post the course's hidden grades (all, one ``assignment``'s or one ``category``'s):
        each student is told once. Teachers of the course and administrators; students 403,
        a course outside the scope 404."""
        if not scoping.is_staff(request.user):
            raise PermissionDenied(POSTING_FORBIDDEN)
        course = self.get_object()
        if not scoping.can_write_marks(request.user, course):
            raise PermissionDenied(POSTING_FORBIDDEN)
        serializer = api_serializers.GradePostingSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        result = posting.grades_post(
            course=course,
            actor=request.user,
            assignment=serializer.validated_data.get("assignment") or None,
            category=serializer.validated_data.get("category") or None,
        )
        return Response(api_serializers.GradePostingResultSerializer(result).data)


class EnrollmentViewSet(ScopedModelViewSet):
    serializer_class = api_serializers.EnrollmentSerializer
    filterset_class = api_filters.EnrollmentFilter
    search_fields = (
        "student__student_id", "student__first_name", "student__last_name",
        "course__course_code", "course__course_name",
    )  # fmt: skip
    ordering_fields = (
        "id", "enrolled_at", "status", "student__last_name", "course__course_code",
    )  # fmt: skip

    def scoped_queryset(self, user):
        enrollments = scoping.enrollments_for(user).select_related("student", "course")
        return shown_columns(enrollments, self.request)

    def perform_create(self, serializer):
        serializer.instance = services.enrollment_create(
            actor=self.request.user, **serializer.validated_data
        )

    def perform_update(self, serializer):
        data = without_keys(serializer.validated_data, "student", "course")
        serializer.instance = services.enrollment_update(
            enrollment=serializer.instance, actor=self.request.user, **data
        )

    def perform_destroy(self, instance):
        services.enrollment_delete(enrollment=instance, actor=self.request.user)


def without_keys(data: dict, *keys: str) -> dict:
    """Update payloads may repeat the record's student and course; they are not changed."""
    return {name: value for name, value in data.items() if name not in keys}


# --- Marks (teachers of the course and admins write) ---------------------------------------
class GradeViewSet(MarksViewSet):
    serializer_class = api_serializers.GradeSerializer
    filterset_class = api_filters.GradeFilter
    search_fields = (
        "assignment_name", "category", "student__student_id", "student__first_name",
        "student__last_name", "course__course_code",
    )  # fmt: skip
    ordering_fields = (
        *MarksViewSet.ordering_fields, "date_assigned", "date_submitted", "grade", "category",
        "assignment_name",
    )  # fmt: skip
    scope = staticmethod(scoping.grades_for)
    cursor_orderings = keysets("date_assigned", "id")  # newest first by default

    def perform_create(self, serializer):
        self.check_course(serializer.validated_data["course"])
        serializer.instance = services.grade_create(
            actor=self.request.user, **serializer.validated_data
        )

    def perform_update(self, serializer):
        data = without_keys(serializer.validated_data, "student", "course")
        serializer.instance = services.grade_update(
            grade_obj=serializer.instance, actor=self.request.user, **data
        )

    def perform_destroy(self, instance):
        services.grade_delete(grade_obj=instance, actor=self.request.user)


class AttendanceViewSet(MarksViewSet):
    """Attendance. A second record for the same student, course, date and period is a 400."""

    serializer_class = api_serializers.AttendanceSerializer
    filterset_class = api_filters.AttendanceFilter
    search_fields = (
        "student__student_id", "student__first_name", "student__last_name",
        "course__course_code", "notes",
    )  # fmt: skip
    ordering_fields = (*MarksViewSet.ordering_fields, "date", "period_number", "status")
    scope = staticmethod(scoping.attendance_for)
    cursor_orderings = keysets("date", "id")  # newest first, as the page list

    def perform_create(self, serializer):
        self.check_course(serializer.validated_data["course"])
        serializer.instance = services.attendance_create(
            actor=self.request.user, **serializer.validated_data
        )

    def perform_update(self, serializer):
        data = without_keys(serializer.validated_data, "student", "course")
        serializer.instance = services.attendance_update(
            attendance=serializer.instance, actor=self.request.user, **data
        )

    def perform_destroy(self, instance):
        services.attendance_delete(attendance=instance, actor=self.request.user)


class DailyPerformanceViewSet(MarksViewSet):
    serializer_class = api_serializers.DailyPerformanceSerializer
    filterset_class = api_filters.DailyPerformanceFilter
    search_fields = (
        "category", "student__student_id", "student__first_name", "student__last_name",
        "course__course_code", "notes",
    )  # fmt: skip
    ordering_fields = (*MarksViewSet.ordering_fields, "date", "category", "score")
    scope = staticmethod(scoping.daily_performance_for)
    cursor_orderings = keysets("date", "id")

    def perform_create(self, serializer):
        self.check_course(serializer.validated_data["course"])
        serializer.instance = services.daily_performance_create(
            actor=self.request.user, **serializer.validated_data
        )

    def perform_update(self, serializer):
        data = without_keys(serializer.validated_data, "student", "course")
        serializer.instance = services.daily_performance_update(
            record=serializer.instance, actor=self.request.user, **data
        )

    def perform_destroy(self, instance):
        services.daily_performance_delete(record=instance, actor=self.request.user)
