"""Who hears what: the school's rules for notices, on top of the change hook.

The change hook (``apps.academics.changes``) tells what a committed transaction wrote;
these rules turn it into notices and hand them, with resolved user ids, to the delivery
service (``apps.notifications.services.notify_many``), which knows no school rule:

* a grade posted or changed: its student, once per course and transaction ("5 new
  grades in INF101" for an import, never one notice per row); a hidden grade (a course
  with manual posting) only when the teacher posts it;
* an absence: its student, once per course and transaction; the course's teachers when
  the student's attendance rate falls below the threshold or the absences in a row reach
  the limit (``SMS_NOTIFY_ATTENDANCE_THRESHOLD``, ``SMS_NOTIFY_CONSECUTIVE_ABSENCES``);
* a rollback withdraws the unread notices its import raised.

Seeded data (``source="seed"``) raises nothing. Permission-aware delivery lives here too:
``allowed_user_ids`` keeps only users who may hear about a course or a student, and
``course_audience_ids`` is a course broadcast's audience.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from apps.academics import changes
from apps.academics.grading import attendance_rate
from apps.academics.models import Attendance, Course, Enrollment, Grade, Student
from apps.accounts.models import Role, User
from apps.notifications.models import NotificationKind
from apps.notifications.services import Notice, in_each_language, notify_many, withdraw_unread

logger = logging.getLogger(__name__)

SILENT_SOURCES = frozenset({"seed"})
ID_CHUNK = 2000


def attendance_threshold() -> float:
    return float(settings.SMS_NOTIFY_ATTENDANCE_THRESHOLD)


def consecutive_limit() -> int:
    return int(settings.SMS_NOTIFY_CONSECUTIVE_ABSENCES)


# --- Audiences -------------------------------------------------------------------------------
def allowed_user_ids(
    user_ids: Iterable[int], *, course_id: int | None = None, student_id: int | None = None
) -> list[int]:
    """Keep the active users allowed to hear about this course / student.

    Admins hear about everything; a teacher only about courses they teach (or students
    with a counted enrollment in one); a student only about themselves (or a course they
    take).
    """
    users = list(User.objects.filter(pk__in=set(user_ids), is_active=True))
    if course_id is None and student_id is None:
        return [user.pk for user in users]
    taught = _courses_taught(users, course_id=course_id, student_id=student_id)
    kept = []
    for user in users:
        role = user.effective_role
        if (
            role == Role.ADMIN
            or (role == Role.TEACHER and user.pk in taught)
            or (role == Role.STUDENT and _student_may_hear(user, course_id, student_id))
        ):
            kept.append(user.pk)
    return kept


def _courses_taught(users: list[User], *, course_id, student_id) -> set[int]:
    teacher_ids = [user.pk for user in users if user.effective_role == Role.TEACHER]
    if not teacher_ids:
        return set()
    courses = Course.objects.filter(teachers__in=teacher_ids)
    if course_id is not None:
        courses = courses.filter(pk=course_id)
    if student_id is not None:
        courses = courses.filter(
            pk__in=Enrollment.objects.counted().filter(student_id=student_id).values("course_id")
        )
    return set(courses.values_list("teachers", flat=True)) & set(teacher_ids)


def _student_may_hear(user: User, course_id, student_id) -> bool:
    if student_id is not None:
        return Student.objects.filter(pk=student_id, user=user).exists()
    return Enrollment.objects.counted().filter(course_id=course_id, student__user=user).exists()


def own_account_ids(user_ids: Iterable[int]) -> set[int]:
    """Of these students' linked accounts, those that may hear about their own student
    record: ``allowed_user_ids(..., student_id=)`` for many students in one query."""
    users = User.objects.filter(pk__in=set(user_ids), is_active=True)
    return {user.pk for user in users if user.effective_role in (Role.ADMIN, Role.STUDENT)}


def course_audience_ids(course_id: int) -> list[int]:
    """A course's active teachers and the users of its students with a counted enrollment."""
    teachers = User.objects.filter(is_active=True, courses_taught=course_id)
    students = User.objects.filter(
        is_active=True,
        student_profile__in=Enrollment.objects.counted()
        .filter(course_id=course_id)
        .values("student_id"),
    )
    return list(teachers.values_list("pk", flat=True).union(students.values_list("pk", flat=True)))


# --- The hook --------------------------------------------------------------------------------
def on_records_changed(sender, change: changes.Change, **kwargs) -> None:
    if change.source in SILENT_SOURCES:
        return
    for origin in change.reverted_origins:
        withdraw_unread(origin=origin)
    notices: list[Notice] = []
    # The texts are lazy: notify_many renders them once per recipients' language.
    if change.grades_posted:
        notices.extend(grade_notices(change.grades_posted, origin=change.origin))
    if change.absences:
        notices.extend(absence_notices(change.absences, origin=change.origin))
    if notices:
        notify_many(notices)


def connect() -> None:
    changes.records_changed.connect(on_records_changed, dispatch_uid="academics-notices")


# --- Grades ----------------------------------------------------------------------------------
def grade_notices(grades_posted: dict[int, bool], *, origin: str = "") -> list[Notice]:
    """One notice per student and course: the grade itself, or how many there were."""
    groups: dict[tuple[int, int], list[dict]] = defaultdict(list)
    for chunk in _chunks(grades_posted):
        # A hidden grade (manual posting) is told when posted, never before.
        rows = Grade.objects.filter(
            pk__in=chunk, student__user__isnull=False, posted_at__isnull=False
        ).values(
            "pk",
            "student_id",
            "student__user_id",
            "course_id",
            "course__course_code",
            "course__course_name",
            "assignment_name",
            "category",
            "grade",
            "max_grade",
        )
        for row in rows:
            groups[(row["student__user_id"], row["course_id"])].append(row)
    allowed = own_account_ids(user_id for user_id, _course_id in groups)
    notices = []
    for (user_id, _course_id), rows in groups.items():
        if user_id not in allowed:
            continue
        rows.sort(key=lambda row: row["pk"])
        notices.append(_grade_notice(user_id, rows, grades_posted, origin))
    return notices


def _grade_notice(user_id: int, rows: list[dict], grades_posted, origin: str) -> Notice:
    first = rows[0]
    course_code = first["course__course_code"]
    data = {
        "course_id": first["course_id"],
        "course_code": course_code,
        "grade_ids": [row["pk"] for row in rows],
        "count": len(rows),
    }
    if len(rows) == 1:
        updated = grades_posted[first["pk"]]
        params = {
            "course": course_code,
            "assignment": first["assignment_name"],
            "grade": f"{first['grade'].normalize():f}",
            "max": f"{first['max_grade'].normalize():f}",
        }
        title = in_each_language(
            lambda: (
                (
                    _("Grade updated in %(course)s: %(assignment)s %(grade)s/%(max)s")
                    if updated
                    else _("New grade in %(course)s: %(assignment)s %(grade)s/%(max)s")
                )
                % params
            )
        )
        data.update(
            grade_id=first["pk"],
            assignment_name=first["assignment_name"],
            category=first["category"],
            grade=params["grade"],
            max_grade=params["max"],
            updated=updated,
        )
    else:
        updated = sum(1 for row in rows if grades_posted[row["pk"]])
        title = in_each_language(lambda: _grades_title(len(rows) - updated, updated, course_code))
        data.update(updated=bool(updated))
    return Notice(
        user_ids=[user_id],
        kind=NotificationKind.GRADE_POSTED,
        title=title,
        message=first["course__course_name"],
        data=data,
        origin=origin,
    )


def _grades_title(new: int, updated: int, course_code: str) -> str:
    if not updated:
        return ngettext(
            "%(count)d new grade in %(course)s", "%(count)d new grades in %(course)s", new
        ) % {"count": new, "course": course_code}
    if not new:
        return ngettext(
            "%(count)d grade updated in %(course)s",
            "%(count)d grades updated in %(course)s",
            updated,
        ) % {"count": updated, "course": course_code}
    return _("%(new)d new and %(updated)d updated grades in %(course)s") % {
        "new": new,
        "updated": updated,
        "course": course_code,
    }


# --- Absences --------------------------------------------------------------------------------
@dataclass
class _PairHistory:
    """One student's attendance in one course, in class order, and which marks are new."""

    student_id: int
    course_id: int
    marks: list[tuple[int, str, object]]  # (id, status, date) by date, period, id
    new_absences: set[int]


def absence_notices(absences: dict[int, str | None], *, origin: str = "") -> list[Notice]:
    """The student hears of new absences once per course; the teachers when a line is crossed.

    ``absences`` maps an attendance id to its status before the write: a mark that was
    already absent raises nothing new.
    """
    new_ids = {pk for pk, before in absences.items() if before != "absent"}
    if not new_ids:
        return []
    pairs: dict[tuple[int, int], set[int]] = defaultdict(set)
    for chunk in _chunks(new_ids):
        for pk, student_id, course_id in Attendance.objects.filter(
            pk__in=chunk, status="absent"
        ).values_list("pk", "student_id", "course_id"):
            pairs[(student_id, course_id)].add(pk)
    if not pairs:
        return []
    histories = _pair_histories(pairs)
    students = Student.all_objects.in_bulk({student for student, _course in pairs})
    courses = Course.all_objects.in_bulk({course for _student, course in pairs})
    teachers = _teachers_by_course({course for _student, course in pairs})
    accounts = own_account_ids(student.user_id for student in students.values())
    notices = []
    for key, history in histories.items():
        student = students[key[0]]
        notify_student = student.user_id in accounts
        notices.extend(
            _absence_notices_for(
                history, student, courses[key[1]], teachers, origin, notify_student
            )
        )
    return notices


def _pair_histories(pairs: dict[tuple[int, int], set[int]]) -> dict[tuple[int, int], _PairHistory]:
    histories = {
        key: _PairHistory(key[0], key[1], [], new_absences) for key, new_absences in pairs.items()
    }
    student_ids = sorted({student for student, _course in pairs})
    course_ids = sorted({course for _student, course in pairs})
    for chunk in _chunks(student_ids):
        rows = (
            Attendance.objects.filter(student_id__in=chunk, course_id__in=course_ids)
            .order_by("student_id", "course_id", "date", "period_number", "id")
            .values_list("student_id", "course_id", "id", "status", "date")
        )
        for student_id, course_id, pk, status, date in rows.iterator(chunk_size=5000):
            history = histories.get((student_id, course_id))
            if history is not None:
                history.marks.append((pk, status, date))
    return histories


def _teachers_by_course(course_ids: set[int]) -> dict[int, list[int]]:
    found: dict[int, list[int]] = defaultdict(list)
    rows = Course.teachers.through.objects.filter(
        course_id__in=course_ids, user__is_active=True
    ).values_list("course_id", "user_id")
    for course_id, user_id in rows:
        found[course_id].append(user_id)
    return found


def _rate(statuses: list[str]) -> float | None:
    counts = {status: statuses.count(status) for status in ("present", "absent", "late", "excused")}
    rate = attendance_rate(counts["present"], counts["absent"], counts["late"], counts["excused"])
    return None if rate is None else float(rate)


def _runs_with_new_absences(history: _PairHistory) -> list[tuple[int, int]]:
    """For each run of absences in a row that holds a new one: (its length, the longest
    part of it that was there before, i.e. without the new absences)."""
    runs = []
    length = before = longest_before = 0
    holds_new = False
    for pk, status, _date in [*history.marks, (None, "present", None)]:
        if status == "absent":
            length += 1
            if pk in history.new_absences:
                holds_new, before = True, 0
            else:
                before += 1
                longest_before = max(longest_before, before)
            continue
        if holds_new:
            runs.append((length, longest_before))
        length = before = longest_before = 0
        holds_new = False
    return runs


def _absence_notices_for(
    history: _PairHistory, student, course, teachers, origin, notify_student: bool
) -> list[Notice]:
    statuses = [status for _pk, status, _date in history.marks]
    # Before: as if the new absences had not been written (the rate without them, and
    # their slots not absent for the runs).
    before = [status for pk, status, _date in history.marks if pk not in history.new_absences]
    rate_now, rate_before = _rate(statuses), _rate(before)
    threshold, limit = attendance_threshold(), consecutive_limit()
    crossed = (
        rate_now is not None
        and rate_now < threshold
        and (rate_before is None or rate_before >= threshold)
    )
    runs = _runs_with_new_absences(history)
    run_now = max((length for length, _before in runs), default=0)
    # Once per run: when the new absences made it reach the limit, not at every one after.
    reached = any(length >= limit > before_part for length, before_part in runs)
    new_marks = [(pk, date) for pk, status, date in history.marks if pk in history.new_absences]
    message = in_each_language(
        lambda: _alert_message(rate_now, run_now, crossed, reached, threshold)
    )
    data = {
        "attendance_ids": [pk for pk, _date in new_marks],
        "course_id": course.pk,
        "course_code": course.course_code,
        "student_id": student.pk,
        "count": len(new_marks),
        "attendance_rate": None if rate_now is None else round(rate_now, 1),
        "consecutive_absences": run_now,
    }
    if len(new_marks) == 1:
        data.update(attendance_id=new_marks[0][0], date=new_marks[0][1].isoformat())
    notices = []
    if notify_student:
        title = in_each_language(lambda: _absences_title(new_marks, course.course_code))
        notices.append(
            Notice(
                user_ids=[student.user_id],
                kind=NotificationKind.ATTENDANCE_ALERT,
                title=title,
                message=message,
                data=data,
                origin=origin,
            )
        )
    if (crossed or reached) and teachers.get(course.pk):
        notices.append(
            Notice(
                user_ids=teachers[course.pk],
                kind=NotificationKind.ATTENDANCE_ALERT,
                title=in_each_language(
                    lambda: (
                        _("Attendance alert: %(name)s in %(course)s")
                        % {
                            "name": f"{student.last_name} {student.first_name}",
                            "course": course.course_code,
                        }
                    )
                ),
                message=message,
                data={**data, "below_threshold": crossed, "threshold": threshold},
                origin=origin,
            )
        )
    return notices


def _absences_title(new_marks: list, course_code: str) -> str:
    if len(new_marks) == 1:
        return _("Absence recorded in %(course)s on %(date)s") % {
            "course": course_code,
            "date": new_marks[0][1].isoformat(),
        }
    return ngettext(
        "%(count)d absence recorded in %(course)s",
        "%(count)d absences recorded in %(course)s",
        len(new_marks),
    ) % {"count": len(new_marks), "course": course_code}


def _alert_message(rate, run: int, crossed: bool, reached: bool, threshold: float) -> str:
    parts = []
    if rate is not None:
        parts.append(_("Attendance rate %(rate).1f%%.") % {"rate": rate})
    if crossed:
        parts.append(_("Below the %(threshold)s%% threshold.") % {"threshold": f"{threshold:g}"})
    if reached:
        parts.append(_("%(count)d consecutive absences.") % {"count": run})
    return " ".join(parts)


def _chunks(ids: Iterable[int], size: int = ID_CHUNK):
    ids = list(ids)
    for start in range(0, len(ids), size):
        yield ids[start : start + size]
