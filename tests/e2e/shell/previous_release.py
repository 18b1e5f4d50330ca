# Run inside `manage shell` of the PREVIOUS release's code (tests/e2e/test_upgrade.py),
# against a database at that release's migration state: only what that release had is
# used here (its services; no batch services, no change hook, no write source).
import io
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from django.db import connection, transaction
from django.db.migrations.loader import MigrationLoader

from apps.academics import services
from apps.academics.models import Course, Enrollment, Grade, Student
from apps.accounts.models import User


def _user(username: str, role: str, hashed: str, first: str, last: str) -> User:
    user = User(username=username, role=role, first_name=first, last_name=last)
    user.email = f"{username}@example.org"
    user.password = hashed
    user.save()
    return user


def migrate_and_seed(p: dict) -> dict:
    """The previous release's migrations on an empty database, then its data."""
    call_command("migrate", interactive=False, verbosity=0)
    return seed(p)


def check_and_summary(p: dict) -> dict:
    """The database is at this release's state exactly (``migrate --check`` fails on a
    migration left to apply), and what the data is."""
    plan = io.StringIO()
    call_command("migrate", check_unapplied=True, plan=True, stdout=plan)
    loader = MigrationLoader(connection)
    # Applied migrations this release does not know: the way back left some behind.
    unknown = sorted(
        f"{app}.{name}"
        for app, name in loader.applied_migrations
        if app in loader.migrated_apps and (app, name) not in loader.disk_migrations
    )
    return {"plan": plan.getvalue().strip(), "unknown_applied": unknown, "summary": summary(p)}


@transaction.atomic
def seed(p: dict) -> dict:
    """A teacher's course, three students (the first with an account), their grades."""
    hashed = make_password(p["password"])  # one hash for both: the hasher is slow by design
    teacher = _user(p["teacher"], "teacher", hashed, "Μαρία", "Παπαδοπούλου")
    account = _user(p["student"], "student", hashed, "Γιώργος", "Παπαδόπουλος")
    course = services.course_create(
        actor=None,
        teachers=[teacher],
        course_code=p["course_code"],
        course_name="Δίκτυα Υπολογιστών",
        semester="2026A",
        evaluation_rules=p["rules"],
    )
    for spec in p["students"]:
        student = services.student_create(
            actor=None,
            student_id=spec["student_id"],
            first_name=spec["first_name"],
            last_name=spec["last_name"],
            email=spec["email"],
            user=account if spec.get("account") else None,
        )
        services.enrollment_create(student=student, course=course, actor=teacher)
        for grade in spec["grades"]:
            services.grade_create(
                student=student,
                course=course,
                assignment_name=grade["assignment_name"],
                category=grade["category"],
                grade=Decimal(str(grade["grade"])),
                actor=teacher,
            )
    return summary(p)


def summary(p: dict) -> dict:
    course = Course.objects.get(course_code=p["course_code"])
    students = Student.objects.filter(enrollments__course=course).order_by("student_id")
    return {
        "course_id": course.pk,
        "students": [[s.pk, s.student_id, s.last_name, s.first_name] for s in students],
        "enrollments": Enrollment.objects.filter(course=course).count(),
        "grades": sorted(
            [g.student.student_id, g.assignment_name, str(g.grade)]
            for g in Grade.objects.filter(course=course).select_related("student")
        ),
    }
