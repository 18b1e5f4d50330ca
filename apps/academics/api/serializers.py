"""Shapes of the academics API. Field types are checked here; the rules live in the services.

``student`` and ``course`` are ids, accepted only from the objects the requesting user can
see (``apps.academics.scoping``), so an out-of-scope id is answered like an unknown one.
Model-level uniqueness checks are left to the services (``validators = []``), so the API
refuses the same data with the same messages as the admin, the pages and the importer.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from apps.academics import scoping
from apps.academics.models import (
    Attendance,
    AttendanceStatus,
    Course,
    DailyPerformance,
    Enrollment,
    Grade,
    Student,
)
from apps.accounts.models import Role, User
from sms.jsonsafe import JSONSerializerField

TIMESTAMPS = ("created_at", "updated_at")


def request_user(serializer: serializers.Serializer):
    request = serializer.context.get("request")
    return getattr(request, "user", None)


# --- Students ------------------------------------------------------------------------------
class StudentSerializer(serializers.ModelSerializer):
    full_name = serializers.CharField(read_only=True)

    class Meta:
        model = Student
        fields = (
            "id", "student_id", "first_name", "last_name", "full_name", "father_name",
            "date_of_birth", "email", "mobile_phone", "phone", "study_year", "academic_year",
            "class_division", "enrollment_date", "is_active", "notes", *TIMESTAMPS,
        )  # fmt: skip
        read_only_fields = TIMESTAMPS
        validators: list = []


class StudentAdminSerializer(StudentSerializer):
    """What administrators see and write: adds the health notes and the login account."""

    user = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(role=Role.STUDENT), allow_null=True, required=False
    )

    class Meta(StudentSerializer.Meta):
        fields = (*StudentSerializer.Meta.fields, "health_issue", "user")


# --- Courses -------------------------------------------------------------------------------
class CourseSerializer(serializers.ModelSerializer):
    teachers = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(role=Role.TEACHER), many=True, required=False
    )
    # Parsed by the field itself when sent as a multipart or form field.
    evaluation_rules = JSONSerializerField(required=False)

    class Meta:
        model = Course
        fields = (
            "id", "course_code", "course_name", "semester", "credits", "description",
            "evaluation_rules", "absence_penalty", "hours_per_week", "periods_per_week",
            "is_active", "grade_posting", "teachers", *TIMESTAMPS,
        )  # fmt: skip
        read_only_fields = TIMESTAMPS
        # The service upper-cases the code before checking it, so "math-101" is accepted.
        extra_kwargs = {"course_code": {"validators": []}}
        validators: list = []


# --- Records of one student in one course --------------------------------------------------
class ScopedRecordSerializer(serializers.ModelSerializer):
    """Base for enrollments, grades, attendance, daily performance.

    ``student`` and ``course`` choices are the requesting user's scope; they are set when
    the record is created and cannot be moved to another student or course afterwards.
    """

    student = serializers.PrimaryKeyRelatedField(queryset=Student.objects.none())
    course = serializers.PrimaryKeyRelatedField(queryset=Course.objects.none())
    student_name = serializers.CharField(source="student.full_name", read_only=True)
    course_code = serializers.CharField(source="course.course_code", read_only=True)

    RECORD_FIELDS = ("id", "student", "student_name", "course", "course_code")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = request_user(self)
        self.fields["student"].queryset = scoping.students_for(user)
        self.fields["course"].queryset = scoping.courses_for(user)

    def validate(self, attrs):
        if self.instance is not None:
            errors = {
                name: [_("This field cannot be changed; delete the record and create a new one.")]
                for name in ("student", "course")
                if name in attrs and attrs[name].pk != getattr(self.instance, f"{name}_id")
            }
            if errors:
                raise serializers.ValidationError(errors)
        return attrs


class EnrollmentSerializer(ScopedRecordSerializer):
    class Meta:
        model = Enrollment
        fields = (*ScopedRecordSerializer.RECORD_FIELDS, "enrolled_at", "status", *TIMESTAMPS)
        read_only_fields = TIMESTAMPS
        validators: list = []


class GradeSerializer(ScopedRecordSerializer):
    percentage = serializers.DecimalField(max_digits=7, decimal_places=2, read_only=True)

    class Meta:
        model = Grade
        fields = (
            *ScopedRecordSerializer.RECORD_FIELDS, "assignment_name", "category", "grade",
            "max_grade", "percentage", "weight", "date_assigned", "date_submitted", "notes",
            "posted_at", *TIMESTAMPS,
        )  # fmt: skip
        # Empty while hidden (manual posting): only staff ever see such a grade.
        read_only_fields = ("posted_at", *TIMESTAMPS)
        validators: list = []


class GradePostingSerializer(serializers.Serializer):
    """Which hidden grades of the course to post: one assignment, one category, or all."""

    assignment = serializers.CharField(required=False, allow_blank=True, max_length=200)
    category = serializers.CharField(required=False, allow_blank=True, max_length=100)


class GradePostingResultSerializer(serializers.Serializer):
    posted = serializers.IntegerField(help_text=_("Grades made visible to their students."))
    students_notified = serializers.IntegerField(help_text=_("Students told, once each."))
    still_hidden = serializers.IntegerField(help_text=_("Hidden grades left in the course."))


class CaseInsensitiveChoiceField(serializers.ChoiceField):
    """``Present``, ``PRESENT`` and ``present`` are the same status."""

    def to_internal_value(self, data):
        if isinstance(data, str):
            data = data.strip().lower()
        return super().to_internal_value(data)


class AttendanceSerializer(ScopedRecordSerializer):
    status = CaseInsensitiveChoiceField(choices=AttendanceStatus.choices)

    class Meta:
        model = Attendance
        fields = (
            *ScopedRecordSerializer.RECORD_FIELDS, "date", "period_number", "status", "notes",
            *TIMESTAMPS,
        )  # fmt: skip
        read_only_fields = TIMESTAMPS
        validators: list = []


class DailyPerformanceSerializer(ScopedRecordSerializer):
    class Meta:
        model = DailyPerformance
        fields = (
            *ScopedRecordSerializer.RECORD_FIELDS, "date", "category", "score", "max_score",
            "notes", "created_at",
        )  # fmt: skip
        read_only_fields = ("created_at",)
        validators: list = []
