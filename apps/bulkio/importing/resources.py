"""What each importable resource is: its model, natural key and how to read each cell.

One description per resource, used by the planner (preview and apply), the templates,
the exporter (so an export re-imports unchanged) and the django-import-export resources.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext as _

from apps.academics.models import Attendance, Course, Enrollment, Grade, Student
from apps.academics.validators import normalise_attendance_status, parse_evaluation_rules_text
from apps.bulkio.columns import (
    CellError,
    parse_bool,
    parse_date,
    parse_decimal,
    parse_int,
    parse_study_year,
)
from sms import jsonsafe


def parse_text(text: str) -> str:
    return (text or "").strip()


def parse_upper(text: str) -> str:
    return (text or "").strip().upper()


def parse_lower(text: str) -> str:
    return (text or "").strip().lower()


_ENROLLMENT_WORDS = {
    "ενεργη": "active", "ενεργος": "active", "εγγεγραμμενος": "active",
    "αποσυρθηκε": "dropped", "διαγραφη": "dropped", "ολοκληρωθηκε": "completed",
    "ολοκληρωμενη": "completed",
}  # fmt: skip


def parse_enrollment_status(text: str) -> str | None:
    from apps.bulkio.columns import header_key

    key = header_key(text)
    if not key:
        return None
    return _ENROLLMENT_WORDS.get(key, key)


def parse_rules(text: str):
    """JSON (as exported) or ``Midterm: 40%; Final: 60%`` as a person writes it."""
    text = (text or "").strip()
    if not text:
        return []
    if text[0] in "[{":
        try:
            value = jsonsafe.loads(text)
        except jsonsafe.JSONTooDeep as error:
            raise CellError(str(error)) from None
        except ValueError:
            raise CellError(_("The evaluation rules are not valid JSON.")) from None
        return value
    try:
        return parse_evaluation_rules_text(text)
    except ValidationError as error:
        raise CellError(" ".join(error.messages)) from None


def format_rules(value) -> str:
    return json.dumps(value or [], ensure_ascii=False, separators=(", ", ": "))


@dataclass(frozen=True)
class ResourceSpec:
    name: str
    model: type[models.Model]
    # Natural key columns, in order; student_id/course_code resolve to foreign keys.
    key: tuple[str, ...]
    # column → parser (text → value, raising CellError); None from a parser means "blank".
    parsers: dict[str, Callable[[str], object]]
    # Export: column → ORM lookup path for values_list.
    export_paths: dict[str, str]
    # Export: how a value becomes cell text when it is not a plain scalar.
    formatters: dict[str, Callable[[object], str]]
    sample: dict[str, str]

    @property
    def columns(self) -> list[str]:
        return list(self.parsers)

    @property
    def has_links(self) -> bool:
        return "course_code" in self.key and self.name != "courses"

    @property
    def value_fields(self) -> list[str]:
        """Model fields written from the file (foreign keys excluded)."""
        return [
            name
            for name in self.parsers
            if name not in ("student_id", "course_code") or self.name in ("students", "courses")
        ]


RESOURCES: dict[str, ResourceSpec] = {
    "students": ResourceSpec(
        name="students",
        model=Student,
        key=("student_id",),
        parsers={
            "student_id": parse_text,
            "first_name": parse_text,
            "last_name": parse_text,
            "email": parse_lower,
            "father_name": parse_text,
            "date_of_birth": parse_date,
            "mobile_phone": parse_text,
            "phone": parse_text,
            "study_year": parse_study_year,
            "academic_year": parse_text,
            "class_division": parse_text,
            "enrollment_date": parse_date,
            "is_active": parse_bool,
            "notes": parse_text,
        },
        export_paths={},
        formatters={},
        sample={
            "student_id": "S2025001",
            "first_name": "Maria",
            "last_name": "Papadopoulou",
            "email": "maria.papadopoulou@example.com",
            "father_name": "Georgios",
            "date_of_birth": "2009-03-14",
            "mobile_phone": "+306912345678",
            "phone": "2101234567",
            "study_year": "1",
            "academic_year": "2025-2026",
            "class_division": "A1",
            "enrollment_date": "2025-09-15",
            "is_active": "true",
            "notes": "",
        },
    ),
    "courses": ResourceSpec(
        name="courses",
        model=Course,
        key=("course_code",),
        parsers={
            "course_code": parse_upper,
            "course_name": parse_text,
            "semester": parse_text,
            "credits": parse_int,
            "description": parse_text,
            "absence_penalty": parse_decimal,
            "hours_per_week": parse_int,
            "periods_per_week": parse_int,
            "evaluation_rules": parse_rules,
        },
        export_paths={},
        formatters={"evaluation_rules": format_rules},
        sample={
            "course_code": "NET101",
            "course_name": "Computer Networks",
            "semester": "2025A",
            "credits": "6",
            "description": "",
            "absence_penalty": "0",
            "hours_per_week": "4",
            "periods_per_week": "4",
            "evaluation_rules": "Midterm: 40%; Final: 60%",
        },
    ),
    "enrollments": ResourceSpec(
        name="enrollments",
        model=Enrollment,
        key=("student_id", "course_code"),
        parsers={
            "student_id": parse_text,
            "course_code": parse_upper,
            "enrolled_at": parse_date,
            "status": parse_enrollment_status,
        },
        export_paths={"student_id": "student__student_id", "course_code": "course__course_code"},
        formatters={},
        sample={
            "student_id": "S2025001",
            "course_code": "NET101",
            "enrolled_at": "2025-09-20",
            "status": "active",
        },
    ),
    "grades": ResourceSpec(
        name="grades",
        model=Grade,
        key=("student_id", "course_code", "assignment_name"),
        parsers={
            "student_id": parse_text,
            "course_code": parse_upper,
            "assignment_name": parse_text,
            "category": parse_text,
            "grade": parse_decimal,
            "max_grade": parse_decimal,
            "weight": parse_decimal,
            "date_assigned": parse_date,
            "date_submitted": parse_date,
            "notes": parse_text,
        },
        export_paths={"student_id": "student__student_id", "course_code": "course__course_code"},
        formatters={},
        sample={
            "student_id": "S2025001",
            "course_code": "NET101",
            "assignment_name": "Midterm exam",
            "category": "Midterm",
            "grade": "78.5",
            "max_grade": "100",
            "weight": "1",
            "date_assigned": "2025-11-10",
            "date_submitted": "2025-11-10",
            "notes": "",
        },
    ),
    "attendance": ResourceSpec(
        name="attendance",
        model=Attendance,
        key=("student_id", "course_code", "date", "period_number"),
        parsers={
            "student_id": parse_text,
            "course_code": parse_upper,
            "date": parse_date,
            # What Attendance.clean_fields does: any case, English or Greek words.
            "status": normalise_attendance_status,
            "period_number": parse_int,
            "notes": parse_text,
        },
        export_paths={"student_id": "student__student_id", "course_code": "course__course_code"},
        formatters={},
        sample={
            "student_id": "S2025001",
            "course_code": "NET101",
            "date": "2025-10-06",
            "status": "present",
            "period_number": "1",
            "notes": "",
        },
    ),
}


def get_resource(name: str) -> ResourceSpec:
    try:
        return RESOURCES[name]
    except KeyError:
        raise ValueError(name) from None
