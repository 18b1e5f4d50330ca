"""Grade posting (SPEC §7): when a course's students see its grades.

* ``automatic`` (the default): a saved grade is posted at once, as it always was.
* ``manual``: new and changed grades land hidden (``Grade.posted_at`` empty), whoever
  writes them (the grid, the API, the admin, an import), until a teacher of the course or
  an administrator posts them: per assignment, per category, or all.

Hidden grades are left out of the student's grade lists (``scoping.grades_for``), of every
figure (the engine counts posted grades only: ``grading.counted_records``, so the stored
results have one variant) and of the grade notices (``notices.grade_notices``). Teachers
and administrators see them in the grade grid, marked hidden.

A change to a posted grade in a manual course hides it again until it is posted again
(the student keeps no stale value: the grade is out of their view until then). Switching
a course back to automatic posts everything hidden (``services.course_update``).

Posting is one set-based UPDATE and one history row per grade, announced once through the
change hook: the notice rules then tell each student once per course ("3 new grades in
NET101") and analytics refreshes the stored results, both after commit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from apps.academics import changes
from apps.academics.batch import fastinsert
from apps.academics.grading import category_key
from apps.academics.models import Course, Grade, GradePosting, Student
from apps.academics.notices import own_account_ids
from apps.accounts.models import User

ID_CHUNK = 2000
POSTED_REASON = "posted"


@dataclass(frozen=True)
class PostingResult:
    """What ``grades_post`` did: grades made visible, students told, grades still hidden."""

    posted: int
    students_notified: int
    still_hidden: int


# --- The rule every writer applies ---------------------------------------------------------
def posted_at_for_new(policy: str, now: dt.datetime) -> dt.datetime | None:
    """A new grade: posted now, or hidden in a manual course."""
    return None if policy == GradePosting.MANUAL else now


def posted_at_for_change(
    policy: str, stored: dt.datetime | None, now: dt.datetime
) -> dt.datetime | None:
    """A grade whose values changed: hidden again in a manual course; otherwise it keeps
    when it was first posted (posted now if it was hidden)."""
    if policy == GradePosting.MANUAL:
        return None
    return stored or now


def manual_course_ids(course_ids: Iterable[int]) -> set[int]:
    """Of these courses, those with manual posting (one query per 2,000 ids)."""
    ids = sorted(set(course_ids))
    found: set[int] = set()
    for start in range(0, len(ids), ID_CHUNK):
        found.update(
            Course.all_objects.filter(
                pk__in=ids[start : start + ID_CHUNK], grade_posting=GradePosting.MANUAL
            ).values_list("pk", flat=True)
        )
    return found


# --- Posting -------------------------------------------------------------------------------
def hidden_grades(
    course: Course, *, assignment: str | None = None, category: str | None = None
) -> QuerySet[Grade]:
    """The course's hidden grades, narrowed to one assignment and/or one category (matched
    as the engine matches categories: "midterm", "Midterm" and "Ενδιάμεση" are one)."""
    queryset = Grade.objects.filter(course=course, posted_at__isnull=True).order_by()
    if assignment:
        queryset = queryset.filter(assignment_name=assignment)
    if category:
        wanted = category_key(category)
        stored = set(queryset.values_list("category", flat=True).distinct())
        queryset = queryset.filter(
            category__in=[name for name in stored if category_key(name) == wanted]
        )
    return queryset


@transaction.atomic
def grades_post(
    *,
    course: Course,
    actor: User | None,
    assignment: str | None = None,
    category: str | None = None,
) -> PostingResult:
    """Post the course's hidden grades (all, or one assignment's, or one category's).

    Rows are locked, made visible in one UPDATE (chunked by 2,000 ids) and recorded in
    their history; the change hook then sends one notice per student and refreshes the
    analytics, after commit. Posting nothing is not an error: the answer says 0.
    """
    rows = list(
        hidden_grades(course, assignment=assignment, category=category)
        .select_for_update()
        .values_list("pk", "student_id")
    )
    if rows:
        now = timezone.now()
        ids = [pk for pk, _student in rows]
        for start in range(0, len(ids), ID_CHUNK):
            Grade.objects.filter(pk__in=ids[start : start + ID_CHUNK]).update(
                posted_at=now, updated_at=now
            )
        _record_history(ids, actor, now)
        student_ids = {student_id for _pk, student_id in rows}
        changes.record_change(
            kinds=[changes.GRADE],
            student_ids=student_ids,
            course_ids=[course.pk],
            actor=actor,
            # Posted grades are news to the student: each counts as a new grade.
            grades_posted=dict.fromkeys(ids, False),
        )
    else:
        student_ids = set()
    return PostingResult(
        posted=len(rows),
        students_notified=_students_told(student_ids),
        still_hidden=hidden_grades(course).count(),
    )


def _record_history(ids: list[int], actor: User | None, now: dt.datetime) -> None:
    """One ``~`` history row per posted grade, as a save by ``actor`` would write."""
    history_model = Grade.history.model
    tracked = [field.attname for field in history_model.tracked_fields]
    actor_id = actor.pk if actor is not None else None
    for start in range(0, len(ids), ID_CHUNK):
        values = Grade.objects.filter(pk__in=ids[start : start + ID_CHUNK]).values(*tracked)
        rows = [
            {
                **row,
                "history_date": now,
                "history_user_id": actor_id,
                "history_change_reason": POSTED_REASON,
                "history_type": "~",
            }
            for row in values
        ]
        if fastinsert.supported(history_model):
            fastinsert.insert_rows(history_model, rows)
        else:
            history_model.objects.bulk_create([history_model(**row) for row in rows])


def _students_told(student_ids: set[int]) -> int:
    """How many of these students the notice rules will tell: those whose own account
    may hear about their record (``notices.own_account_ids``)."""
    if not student_ids:
        return 0
    user_ids = set(
        Student.objects.filter(pk__in=student_ids, user__isnull=False).values_list(
            "user_id", flat=True
        )
    )
    return len(own_account_ids(user_ids))
