"""The teachers' weekly "what changed" digest: one teacher's courses over the last 7 days.

Per course of the teacher (live and active courses only):

* **new at-risk students**: at risk (medium or high) now and not a week ago, with the
  reasons. Risk is the engine's student risk over the teacher's courses, the same figure
  the teacher's analytics pages show (the stored school-wide risk also counts other
  teachers' courses, which a teacher does not see);
* **grade drops**: a final grade that fell by more than ``GRADE_DROP_POINTS`` on the
  20-point scale since a week ago;
* **attendance slips**: at least ``SLIP_MIN_ABSENCES`` unexcused absences this week and
  more than the student's usual week (the average of the ``USUAL_WEEKS`` weeks before);
* **missing grades**: assignments where some counted students have no grade yet.

"Now" and "a week ago" are two runs of the bulk engine (``grading.student_summaries``)
over the teacher's courses, the second with the date cut-off: records dated up to a week
ago (grades by their assigned date, attendance by its date). Both are set-based, so the
digest costs a fixed number of queries whatever the number of students.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Exists, Max, Min, OuterRef, Q
from django.utils import timezone

from apps.academics import grading, scoping
from apps.academics.models import Attendance, AttendanceStatus, Course, Enrollment, Grade, Student
from apps.accounts.models import Role, User
from apps.analytics import stats
from apps.analytics.selectors import RISK_LEVELS_FLAGGED

DIGEST_DAYS = 7
# "More than 1 point on the 20 scale" (SPEC §2.1: greek_grade = final / 100 · 20).
GRADE_DROP_POINTS = Decimal("1")
SLIP_MIN_ABSENCES = 2
USUAL_WEEKS = 4


@dataclass(frozen=True)
class StudentRef:
    id: int
    student_id: str
    name: str


@dataclass(frozen=True)
class NewAtRisk:
    student: StudentRef
    level: str
    score: int
    reasons: tuple[str, ...]
    level_before: str | None


@dataclass(frozen=True)
class GradeDrop:
    student: StudentRef
    before: Decimal
    now: Decimal

    @property
    def drop(self) -> Decimal:
        return self.before - self.now


@dataclass(frozen=True)
class AttendanceSlip:
    student: StudentRef
    absences: int
    usual: float


@dataclass(frozen=True)
class MissingGrades:
    assignment_name: str
    category: str
    date_assigned: dt.date | None
    graded: int
    missing: int


@dataclass(frozen=True)
class CourseDigest:
    course_id: int
    course_code: str
    course_name: str
    enrolled: int
    new_at_risk: tuple[NewAtRisk, ...] = ()
    grade_drops: tuple[GradeDrop, ...] = ()
    attendance_slips: tuple[AttendanceSlip, ...] = ()
    missing_grades: tuple[MissingGrades, ...] = ()

    @property
    def has_news(self) -> bool:
        return bool(
            self.new_at_risk or self.grade_drops or self.attendance_slips or self.missing_grades
        )


@dataclass(frozen=True)
class TeacherDigest:
    teacher_id: int
    teacher_name: str
    since: dt.date  # exclusive: the week is (since, until]
    until: dt.date
    courses: tuple[CourseDigest, ...]
    generated_at: dt.datetime

    @property
    def has_news(self) -> bool:
        return any(course.has_news for course in self.courses)

    @property
    def first_day(self) -> dt.date:
        return self.since + dt.timedelta(days=1)

    @property
    def week_start(self) -> dt.date:
        return stats.week_start(self.until)

    @property
    def counts(self) -> dict[str, int]:
        return {
            name: sum(len(getattr(course, name)) for course in self.courses)
            for name in ("new_at_risk", "grade_drops", "attendance_slips", "missing_grades")
        }


# --- Who gets one ------------------------------------------------------------------------
def digest_courses(teacher: User):
    """The courses a digest covers: the live, active courses the teacher teaches."""
    return scoping.courses_for(teacher).filter(is_active=True)


def teachers_with_courses():
    """Active teachers who teach at least one live, active course."""
    taught = Course.objects.filter(is_active=True).values("teachers")
    return User.objects.filter(
        role=Role.TEACHER, is_active=True, is_superuser=False, pk__in=taught
    ).order_by("username")


def digest_teacher(viewer: User, teacher_pk: int | None) -> User:
    """The teacher whose digest ``viewer`` asks for: teachers their own, admins anyone's.

    Raises ``PermissionError`` for roles that have no digest and ``LookupError`` for a
    teacher out of the viewer's reach (the view answers 403 and 404).
    """
    role = scoping.role_of(viewer)
    if role == Role.TEACHER:
        if teacher_pk is not None and teacher_pk != viewer.pk:
            raise LookupError(teacher_pk)
        return viewer
    if role != Role.ADMIN:
        raise PermissionError
    teacher = (
        User.objects.filter(pk=teacher_pk, role=Role.TEACHER, is_superuser=False).first()
        if teacher_pk is not None
        else None
    )
    if teacher is None:
        raise LookupError(teacher_pk)
    return teacher


# --- The digest ---------------------------------------------------------------------------
def digest_for(teacher: User, *, today: dt.date | None = None) -> TeacherDigest:
    """The digest of one teacher's courses for the 7 days up to ``today`` (site time)."""
    until = today or timezone.localdate()
    since = until - dt.timedelta(days=DIGEST_DAYS)
    courses = list(
        digest_courses(teacher)
        .order_by("course_code")
        .values_list("id", "course_code", "course_name")
    )
    course_ids = [pk for pk, _code, _name in courses]
    if not course_ids:
        return TeacherDigest(teacher.pk, _teacher_name(teacher), since, until, (), timezone.now())
    now = grading.student_summaries(course_ids=course_ids)
    before = grading.student_summaries(course_ids=course_ids, date_to=since)
    slips = _attendance_slips(course_ids, since, until)
    missing, enrolled = _missing_grades(course_ids)
    student_ids = set(now) | {student_id for student_id, _course in slips}
    students = _students(student_ids)
    sections = _risk_and_drops(now, before, students)
    digests = tuple(
        CourseDigest(
            course_id=pk,
            course_code=code,
            course_name=name,
            enrolled=enrolled.get(pk, 0),
            new_at_risk=tuple(sections["new_at_risk"][pk]),
            grade_drops=tuple(sections["grade_drops"][pk]),
            attendance_slips=tuple(
                AttendanceSlip(students[student_id], absences, usual)
                for (student_id, course_id), (absences, usual) in sorted(
                    slips.items(), key=lambda item: (-item[1][0], students[item[0][0]].name)
                )
                if course_id == pk and student_id in students
            ),
            missing_grades=tuple(missing.get(pk, ())),
        )
        for pk, code, name in courses
    )
    return TeacherDigest(teacher.pk, _teacher_name(teacher), since, until, digests, timezone.now())


def _teacher_name(teacher: User) -> str:
    return teacher.get_full_name() or teacher.username


def _students(student_ids) -> dict[int, StudentRef]:
    if not student_ids:
        return {}
    rows = Student.objects.filter(pk__in=sorted(student_ids)).values_list(
        "id", "student_id", "last_name", "first_name"
    )
    return {pk: StudentRef(pk, code, f"{last} {first}") for pk, code, last, first in rows}


def _risk_and_drops(now: dict, before: dict, students: dict[int, StudentRef]) -> dict:
    """Per course: students newly at risk, and students whose final grade fell."""
    sections: dict[str, dict[int, list]] = {
        "new_at_risk": defaultdict(list),
        "grade_drops": defaultdict(list),
    }
    for student_id, summary in now.items():
        student = students.get(student_id)
        if student is None:
            continue
        earlier = before.get(student_id)
        level_before = earlier.risk.level if earlier is not None else None
        newly_at_risk = (
            summary.risk.level in RISK_LEVELS_FLAGGED and level_before not in RISK_LEVELS_FLAGGED
        )
        earlier_results = {r.course_id: r for r in earlier.courses} if earlier else {}
        for result in summary.courses:
            if newly_at_risk:
                sections["new_at_risk"][result.course_id].append(
                    NewAtRisk(
                        student,
                        summary.risk.level,
                        summary.risk.score,
                        tuple(str(reason.message) for reason in summary.risk.reasons),
                        level_before,
                    )
                )
            drop = _grade_drop(student, earlier_results.get(result.course_id), result)
            if drop is not None:
                sections["grade_drops"][result.course_id].append(drop)
    for items in sections["new_at_risk"].values():
        items.sort(key=lambda item: (-item.score, item.student.name))
    for items in sections["grade_drops"].values():
        items.sort(key=lambda item: (-item.drop, item.student.name))
    return sections


def _grade_drop(student: StudentRef, earlier, result) -> GradeDrop | None:
    if earlier is None or earlier.greek_grade is None or result.greek_grade is None:
        return None
    if earlier.greek_grade - result.greek_grade > GRADE_DROP_POINTS:
        return GradeDrop(student, earlier.greek_grade, result.greek_grade)
    return None


def _attendance_slips(
    course_ids: list[int], since: dt.date, until: dt.date
) -> dict[tuple[int, int], tuple[int, float]]:
    """(student, course) → (unexcused absences this week, usual absences per week), for
    the pairs whose week is a slip. One grouped query over the last few weeks."""
    window_start = since - dt.timedelta(weeks=USUAL_WEEKS)
    this_week = Q(date__gt=since)
    rows = (
        grading.counted_records(Attendance.objects.order_by())
        .filter(
            course_id__in=course_ids,
            status=AttendanceStatus.ABSENT,
            date__gt=window_start,
            date__lte=until,
        )
        .values("student_id", "course_id")
        .annotate(week=Count("id", filter=this_week), earlier=Count("id", filter=~this_week))
        .filter(week__gte=SLIP_MIN_ABSENCES)
        .values_list("student_id", "course_id", "week", "earlier")
    )
    slips = {}
    for student_id, course_id, week, earlier in rows:
        usual = earlier / USUAL_WEEKS
        if week > usual:
            slips[(student_id, course_id)] = (week, round(usual, 1))
    return slips


def _missing_grades(course_ids: list[int]) -> tuple[dict[int, list[MissingGrades]], dict]:
    """Per course, the assignments some counted students have no grade for (most recent
    first); and how many counted students each course has. Two grouped queries."""
    enrolled = dict(
        Enrollment.objects.counted()
        .filter(course_id__in=course_ids)
        .order_by()
        .values_list("course_id")
        .annotate(n=Count("id"))
    )
    # Every grade entered, posted or not: a grade waiting to be posted is not missing.
    counted = Enrollment.objects.counted().filter(
        student_id=OuterRef("student_id"), course_id=OuterRef("course_id")
    )
    rows = (
        Grade.objects.order_by()
        .filter(Exists(counted), course_id__in=course_ids)
        .values("course_id", "assignment_name")
        .annotate(graded=Count("id"), category=Min("category"), assigned=Max("date_assigned"))
        .values_list("course_id", "assignment_name", "category", "assigned", "graded")
    )
    missing: dict[int, list[MissingGrades]] = defaultdict(list)
    for course_id, name, category, assigned, graded in rows:
        gap = enrolled.get(course_id, 0) - graded
        if gap > 0:
            missing[course_id].append(MissingGrades(name, category, assigned, graded, gap))
    for items in missing.values():
        items.sort(key=_latest_first)
    return missing, enrolled


def _latest_first(item: MissingGrades) -> tuple[int, str]:
    return (-(item.date_assigned or dt.date.min).toordinal(), item.assignment_name)
