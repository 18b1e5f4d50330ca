# Run inside `manage shell` by tests/e2e/stack.py: each function takes the parameters the
# scenario sent (JSON) and returns what the scenario needs to know (JSON).
#
# School data goes through academics' batch services like any other writer, marked as
# seed data so it raises no notice; the scenarios then act through the pages.
import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction

from apps.academics import changes, services
from apps.academics.batch import BatchRow, validate_rows, write_rows
from apps.academics.models import Course, Enrollment, Grade, Student
from apps.accounts.models import User


def _write(model, values: list[dict]) -> int:
    rows = [BatchRow(values=value) for value in values]
    validate_rows(model, rows)
    errors = [(row.values, row.errors) for row in rows if row.errors]
    if errors:
        raise ValueError(f"{model.__name__} rows refused: {errors[:3]}")
    result = write_rows(model, rows, actor=None, change_reason="e2e seed", source="seed")
    return len(result.created_ids)


def _user(username: str, role: str, hashed: str, first: str = "", last: str = "") -> User:
    user = User(username=username, role=role, first_name=first, last_name=last)
    user.email = f"{username}@example.org"
    user.password = hashed
    user.save()
    return user


def seed_school(p: dict) -> dict:
    """Users, courses taught by the teacher, students enrolled in every course, grades.

    p: password, users [{username, role, first_name, last_name}], teacher (username),
    courses [{course_code, course_name, evaluation_rules}], students [{student_id,
    first_name, last_name, email, user?}], grades [{student_id, course_code,
    assignment_name, category, grade, date_assigned}].
    """
    # One hash for every account: the production hasher is slow by design.
    hashed = make_password(p["password"])
    with changes.write_source("seed"), transaction.atomic():
        users = {
            spec["username"]: _user(
                spec["username"],
                spec["role"],
                hashed,
                spec.get("first_name", ""),
                spec.get("last_name", ""),
            )
            for spec in p["users"]
        }
        teacher = users[p["teacher"]]
        for spec in p["courses"]:
            services.course_create(
                actor=None,
                teachers=[teacher],
                course_code=spec["course_code"],
                course_name=spec["course_name"],
                semester=spec.get("semester", "2026A"),
                evaluation_rules=spec.get("evaluation_rules", []),
            )
        _write(
            Student,
            [
                {
                    "student_id": s["student_id"],
                    "first_name": s["first_name"],
                    "last_name": s["last_name"],
                    "email": s["email"],
                    "class_division": s.get("class_division", "Α1"),
                    "enrollment_date": dt.date(2025, 9, 15),
                }
                for s in p["students"]
            ],
        )
        _write(
            Enrollment,
            [
                {
                    "student_id": s["student_id"],
                    "course_code": c["course_code"],
                    "enrolled_at": dt.date(2025, 9, 20),
                }
                for s in p["students"]
                for c in p["courses"]
            ],
        )
        if p.get("grades"):
            _write(
                Grade,
                [
                    {
                        **g,
                        "grade": Decimal(str(g["grade"])),
                        "max_grade": Decimal("100"),
                        "weight": Decimal("1"),
                        "date_assigned": dt.date.fromisoformat(g["date_assigned"]),
                    }
                    for g in p["grades"]
                ],
            )
        linked = {s["student_id"]: s["user"] for s in p["students"] if s.get("user")}
        for student in Student.objects.filter(student_id__in=linked):
            services.student_update(
                student=student, actor=None, user=users[linked[student.student_id]]
            )
    codes = [c["course_code"] for c in p["courses"]]
    ids = [s["student_id"] for s in p["students"] if s.get("user")]
    return {
        "courses": dict(
            Course.objects.filter(course_code__in=codes).values_list("course_code", "pk")
        ),
        "students": dict(
            Student.objects.filter(student_id__in=ids).values_list("student_id", "pk")
        ),
    }


def import_settings(p: dict) -> dict:
    """The import limits the stack runs with: above background_rows a worker does the work."""
    return {"background_rows": settings.SMS_BULKIO_BACKGROUND_ROWS}
