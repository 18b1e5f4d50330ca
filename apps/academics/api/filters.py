"""Query-string filters of the academics API (SPEC §4).

``course`` and ``student`` take ids and narrow the already scoped queryset, so an id the
user cannot see simply yields an empty page. The two that follow an enrollment to another
kind of record (students by ``course``, courses by ``student``) follow only enrollments
whose other end is in the user's scope too: otherwise a teacher could count which of
their students take a colleague's course. The rule for every filter is in
``apps.academics.filtering``. Malformed values (a date that is not a date, an unknown
status) are answered 400 with the parameter's name as the field.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters

from apps.academics import scoping
from apps.academics.models import (
    Attendance,
    AttendanceStatus,
    Course,
    DailyPerformance,
    Enrollment,
    EnrollmentStatus,
    Grade,
    Student,
)

MAX_ID = 2**63 - 1  # the largest id a database key holds; beyond it a filter would crash


class IntegerFilter(filters.NumberFilter):
    """A whole number within the database's range (NumberFilter would accept 1.5 or 1e30)."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", -MAX_ID)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


class StrictBooleanField(forms.Field):
    """true/false, 1/0, yes/no; anything else is an error rather than a silently ignored filter."""

    TRUE = {"true", "1", "yes", "on"}
    FALSE = {"false", "0", "no", "off"}

    def to_python(self, value):
        text = str(value or "").strip().lower()
        if not text:
            return None
        if text in self.TRUE:
            return True
        if text in self.FALSE:
            return False
        raise forms.ValidationError(_("Enter true or false."), code="invalid")


class StrictBooleanFilter(filters.BooleanFilter):
    field_class = StrictBooleanField

    def __init__(self, *args, **kwargs):
        # The REST flavour's BooleanWidget turns unknown text into None (no filter at all).
        kwargs["widget"] = forms.TextInput
        super().__init__(*args, **kwargs)


def _user(filterset: filters.FilterSet):
    """The requesting user (None without a request: then the scope is empty)."""
    return getattr(filterset.request, "user", None)


class StudentFilter(filters.FilterSet):
    course = IntegerFilter(method="taking_course", label=_("Course id"))
    date_from = filters.DateFilter(field_name="enrollment_date", lookup_expr="gte")
    date_to = filters.DateFilter(field_name="enrollment_date", lookup_expr="lte")
    class_division = filters.CharFilter(lookup_expr="iexact")
    study_year = IntegerFilter()
    is_active = StrictBooleanFilter()
    academic_year = filters.CharFilter()

    class Meta:
        model = Student
        fields = (
            "course", "date_from", "date_to", "class_division", "study_year", "is_active",
            "academic_year",
        )  # fmt: skip

    def taking_course(self, queryset, name, value):
        """Students with a counted enrollment in the course, if the user can see the course
        (as the roster, the analytics and the exports count); otherwise nobody."""
        taking = scoping.enrollments_in_visible_courses(_user(self), pk=value)
        return queryset.filter(pk__in=taking.values("student_id"))


class CourseFilter(filters.FilterSet):
    student = IntegerFilter(method="taken_by", label=_("Student id"))
    # Narrows by what each course already shows (its ``teachers``): reveals nothing more.
    teacher = IntegerFilter(field_name="teachers", label=_("Teacher (user) id"))
    semester = filters.CharFilter(lookup_expr="iexact")
    is_active = StrictBooleanFilter()

    class Meta:
        model = Course
        fields = ("student", "teacher", "semester", "is_active")

    def taken_by(self, queryset, name, value):
        """Courses the student takes (counted), if the user can see the student; otherwise
        none: a student cannot learn which of their courses a classmate takes."""
        taken = scoping.enrollments_of_visible_students(_user(self), pk=value)
        return queryset.filter(pk__in=taken.values("course_id"))


class StudentRecordFilter(filters.FilterSet):
    """Filters common to the records of one student in one course."""

    course = IntegerFilter(field_name="course_id", label=_("Course id"))
    student = IntegerFilter(field_name="student_id", label=_("Student id"))
    class_division = filters.CharFilter(field_name="student__class_division", lookup_expr="iexact")
    study_year = IntegerFilter(field_name="student__study_year")
    is_active = StrictBooleanFilter(field_name="student__is_active")

    COMMON_FIELDS = ("course", "student", "class_division", "study_year", "is_active")


class EnrollmentFilter(StudentRecordFilter):
    status = filters.ChoiceFilter(choices=EnrollmentStatus.choices)
    date_from = filters.DateFilter(field_name="enrolled_at", lookup_expr="gte")
    date_to = filters.DateFilter(field_name="enrolled_at", lookup_expr="lte")

    class Meta:
        model = Enrollment
        fields = (*StudentRecordFilter.COMMON_FIELDS, "status", "date_from", "date_to")


class GradeFilter(StudentRecordFilter):
    category = filters.CharFilter(lookup_expr="iexact")
    date_from = filters.DateFilter(field_name="date_assigned", lookup_expr="gte")
    date_to = filters.DateFilter(field_name="date_assigned", lookup_expr="lte")
    # ``hidden=true``: the grades waiting to be posted (students never see any).
    hidden = filters.BooleanFilter(field_name="posted_at", lookup_expr="isnull")

    class Meta:
        model = Grade
        fields = (
            *StudentRecordFilter.COMMON_FIELDS, "category", "date_from", "date_to", "hidden",
        )  # fmt: skip


class AttendanceFilter(StudentRecordFilter):
    status = filters.ChoiceFilter(choices=AttendanceStatus.choices)
    date = filters.DateFilter()
    period_number = IntegerFilter()
    date_from = filters.DateFilter(field_name="date", lookup_expr="gte")
    date_to = filters.DateFilter(field_name="date", lookup_expr="lte")

    class Meta:
        model = Attendance
        fields = (
            *StudentRecordFilter.COMMON_FIELDS, "status", "date", "period_number", "date_from",
            "date_to",
        )  # fmt: skip


class DailyPerformanceFilter(StudentRecordFilter):
    category = filters.CharFilter(lookup_expr="iexact")
    date_from = filters.DateFilter(field_name="date", lookup_expr="gte")
    date_to = filters.DateFilter(field_name="date", lookup_expr="lte")

    class Meta:
        model = DailyPerformance
        fields = (*StudentRecordFilter.COMMON_FIELDS, "category", "date_from", "date_to")
