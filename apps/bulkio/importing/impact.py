"""What an import will do in school terms, told in its preview before anything is written.

Three findings, each naming the rows of the file behind it:

* **visible grade changes** (grades): an update of a grade its student can already see
  (``Grade.posted_at`` set; see ``apps.academics.posting``);
* **risk changes** (grades, attendance): students whose risk level moves into or out of
  at risk (medium or high, as the analytics flag them), computed by the grade engine over
  the students' stored rows with the file's new and changed values laid over them;
* **likely duplicates** (students): a new student with the same surname, first name and
  father's name as a stored one (names compared as the registry matcher compares them:
  accents, case and spacing ignored; an empty father's name matches only an empty one)
  and, when both have a date of birth, the same date. Two different dates of birth are
  two people; when either date is missing the row is still flagged, saying the dates
  could not be compared.

Only rows that will be written count (new and changed rows; never error rows).

Memory stays bounded whatever the file's length: ``Impact.observe`` sees each validated
batch once (``build_plan``'s ``observe``) and keeps counts, ids and the few rows it will
name; the file's values are kept only for the first ``RISK_STUDENTS`` students it touches
(and at most ``OVERLAY_ITEMS`` values in all). The others are counted as "not computed".
``Impact.summarise`` then reads those students' rows once, with a fixed number of queries
(not one per student), runs the engine before and after, and adds the rows it names to
the plan's shown rows so that every link of the preview lands on a row of its table.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import sys
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.utils import timezone, translation

from apps.academics import grading
from apps.academics.models import Attendance, Course, DailyPerformance, Grade, Student
from apps.academics.posting import posted_at_for_change, posted_at_for_new
from apps.bulkio.importing.name_match import normalise_name
from apps.bulkio.importing.plan import NEW, UPDATE, Plan, RowPlan

# "At risk": medium or high, the levels the analytics flag (bulkio does not read analytics).
AT_RISK = grading.RISK_LEVELS[1:]
# Students whose risk is computed before and after; further students are counted only.
RISK_STUDENTS = 300
# The file's values kept for them: past it, a student's values are dropped (not computed).
OVERLAY_ITEMS = 50_000
# Rows, students and duplicates a finding names; beyond it they are counted.
LISTED = 100
# Rows named for each student whose risk changes.
ROWS_PER_STUDENT = 5
ID_CHUNK = 1000
# Ids for the file's new rows: after every stored id, in file order (the engine's tiebreak).
NEW_ID_BASE = sys.maxsize // 2

_GRADE_COLUMNS = ("category", "grade", "max_grade", "weight", "date_assigned", "date_submitted")


def _light(row: RowPlan) -> RowPlan:
    """What the preview shows of a row: its number, action and cells (kept by reference,
    since the plan forgets the cells of the rows it does not show)."""
    return RowPlan(values={}, row=row.row, raw=row.raw, action=row.action)


def _chunks(ids: Iterable[int], size: int = ID_CHUNK):
    ordered = sorted(set(ids))
    for start in range(0, len(ordered), size):
        yield ordered[start : start + size]


class Impact:
    """Fed each validated batch (``observe``), then summarised once (``summarise``)."""

    RESOURCES = ("grades", "attendance", "students")

    def __init__(self, resource: str, *, course_scope: set[int] | None = None):
        self.resource = resource
        self.visible = _VisibleGrades() if resource == "grades" else None
        self.risk = _RiskChanges(resource, course_scope) if resource != "students" else None
        self.duplicates = _LikelyDuplicates() if resource == "students" else None

    @classmethod
    def for_resource(cls, resource: str, *, course_scope: set[int] | None = None):
        """An impact for the resources it applies to, else None."""
        return cls(resource, course_scope=course_scope) if resource in cls.RESOURCES else None

    def observe(self, rows: list[RowPlan]) -> None:
        written = [row for row in rows if row.action in (NEW, UPDATE)]
        for part in (self.visible, self.risk, self.duplicates):
            if part is not None and written:
                part.observe(written)

    def summarise(self, plan: Plan) -> dict:
        """The JSON the preview keeps under ``impact``; pins the rows it names to ``plan``."""
        found: dict = {}
        named: list[RowPlan] = []
        if self.visible is not None:
            found["visible_grade_changes"] = self.visible.result()
            named.extend(self.visible.rows)
        if self.risk is not None:
            found["risk_changes"], rows = self.risk.result()
            named.extend(rows)
        if self.duplicates is not None:
            found["likely_duplicates"], found["likely_duplicates_more"] = self.duplicates.result()
            named.extend(self.duplicates.rows)
        plan.pin(named)
        return found


# --- Grades students can already see ----------------------------------------------------------
class _VisibleGrades:
    def __init__(self):
        self.count = 0
        self.rows: list[RowPlan] = []

    def observe(self, rows: list[RowPlan]) -> None:
        for row in rows:
            existing = row.existing
            if row.action == UPDATE and existing is not None and existing.posted_at is not None:
                self.count += 1
                if len(self.rows) < LISTED:
                    self.rows.append(_light(row))

    def result(self) -> dict:
        return {"count": self.count, "rows": [row.row for row in self.rows]}


# --- Into or out of at risk -------------------------------------------------------------------
@dataclass(slots=True)
class _Overlay:
    """One student's new and changed values from the file, and the rows they came from."""

    grades: list[tuple[int, int | None, grading.GradeItem]] = field(default_factory=list)
    attendance: list[tuple[int, tuple, str]] = field(default_factory=list)
    rows: list[RowPlan] = field(default_factory=list)

    @property
    def size(self) -> int:
        return len(self.grades) + len(self.attendance)


class _RiskChanges:
    def __init__(self, resource: str, course_scope: set[int] | None):
        self.resource = resource
        self.course_scope = course_scope
        self.students: dict[int, _Overlay] = {}
        self.not_computed: set[int] = set()
        self.items = 0

    # The file --------------------------------------------------------------------------------
    def observe(self, rows: list[RowPlan]) -> None:
        for row in rows:
            existing = row.existing
            source = row.attrs if existing is None else existing.__dict__
            student, course = source["student_id"], source["course_id"]
            overlay = self._overlay_for(student)
            if overlay is None:
                continue
            if self.resource == "grades":
                overlay.grades.append((course, existing and existing.pk, self._grade(row)))
            else:
                values = row.attrs if existing is None else {**source, **row.after}
                key = (values["date"], values["period_number"])
                overlay.attendance.append((course, key, values["status"]))
            self.items += 1
            if len(overlay.rows) < ROWS_PER_STUDENT:
                overlay.rows.append(_light(row))

    def _overlay_for(self, student: int) -> _Overlay | None:
        """The student's overlay, or None when their risk is not computed (past the caps)."""
        if student in self.not_computed:
            return None
        overlay = self.students.get(student)
        if self.items >= OVERLAY_ITEMS:
            if overlay is not None:  # their values would be incomplete: drop them
                self.items -= overlay.size
                del self.students[student]
            self.not_computed.add(student)
            return None
        if overlay is None:
            if len(self.students) >= RISK_STUDENTS:
                self.not_computed.add(student)
                return None
            overlay = self.students[student] = _Overlay()
        return overlay

    def _grade(self, row: RowPlan) -> grading.GradeItem:
        if row.existing is None:
            values, grade_id = row.attrs, NEW_ID_BASE + row.row
        else:
            values, grade_id = {**row.existing.__dict__, **row.after}, row.existing.pk
        return grading.GradeItem(*(values[name] for name in _GRADE_COLUMNS), id=grade_id)

    # The result ------------------------------------------------------------------------------
    def result(self) -> tuple[dict, list[RowPlan]]:
        into: list[dict] = []
        out_of: list[dict] = []
        for chunk in _chunks(self.students):
            before, after = _Engine(chunk, self.course_scope).run(
                {pk: self.students[pk] for pk in chunk}
            )
            for pk in chunk:
                was, now = before[pk], after[pk]
                flagged_before = was.level in AT_RISK
                flagged_after = now.level in AT_RISK
                if flagged_before != flagged_after:
                    change = {
                        "pk": pk,
                        "before": was.level,
                        "after": now.level,
                        "score_before": was.score,
                        "score_after": now.score,
                        "reasons": [str(reason.message) for reason in now.reasons],
                    }
                    (into if flagged_after else out_of).append(change)
        listed = {"into": into[:LISTED], "out_of": out_of[:LISTED]}
        names = _names(item["pk"] for items in listed.values() for item in items)
        named: list[RowPlan] = []
        for items in listed.values():
            for item in items:
                overlay = self.students[item["pk"]]
                item["student_id"], item["name"] = names.get(item.pop("pk"), ("", ""))
                item["rows"] = [row.row for row in overlay.rows]
                named.extend(overlay.rows)
            items.sort(key=lambda item: (item["name"], item["student_id"]))
        return {
            **listed,
            "into_more": len(into) - len(listed["into"]),
            "out_of_more": len(out_of) - len(listed["out_of"]),
            "computed": len(self.students),
            "not_computed": len(self.not_computed),
        }, named


def _names(pks: Iterable[int]) -> dict[int, tuple[str, str]]:
    """Registration number and "Surname First name" of these students, in one query."""
    pks = sorted(set(pks))
    if not pks:
        return {}
    rows = Student.all_objects.filter(pk__in=pks).values_list(
        "pk", "student_id", "last_name", "first_name"
    )
    return {pk: (code, f"{last} {first}") for pk, code, last, first in rows}


class _Engine:
    """The engine over a few students' stored rows, before and after the file's values.

    Five queries for the chunk (enrollments, courses, grades, daily performance,
    attendance), then the engine's pure functions: the same steps as
    ``grading.student_summary``, without a query per student.
    """

    def __init__(self, student_ids: list[int], course_scope: set[int] | None):
        enrollments = grading.counted_enrollments().filter(student_id__in=student_ids)
        if course_scope is not None:  # a teacher: only the courses they teach, as analytics
            enrollments = enrollments.filter(course_id__in=course_scope)
        self.pairs: dict[int, list[int]] = defaultdict(list)
        for student_id, course_id in enrollments.values_list("student_id", "course_id"):
            self.pairs[student_id].append(course_id)
        course_ids = sorted({pk for courses in self.pairs.values() for pk in courses})
        self.courses = {
            pk: (grading.parse_rules(rules), penalty, credits, code, posting)
            for pk, rules, penalty, credits, code, posting in Course.all_objects.filter(
                pk__in=course_ids
            ).values_list(
                "pk", "evaluation_rules", "absence_penalty", "credits", "course_code",
                "grade_posting",
            )
        }  # fmt: skip
        rows = {"student_id__in": student_ids, "course_id__in": course_ids}
        self.grades: dict[tuple, list[grading.GradeItem]] = defaultdict(list)
        for student_id, course_id, *values in (
            Grade.objects.order_by()
            .filter(**rows, posted_at__isnull=False)  # hidden grades count once posted
            .values_list("student_id", "course_id", *_GRADE_COLUMNS, "id")
        ):
            self.grades[student_id, course_id].append(grading.GradeItem(*values))
        self.daily: dict[tuple, list[grading.DailyItem]] = defaultdict(list)
        for student_id, course_id, *values in (
            DailyPerformance.objects.order_by()
            .filter(**rows)
            .values_list("student_id", "course_id", "category", "score", "max_score")
        ):
            self.daily[student_id, course_id].append(grading.DailyItem(*values))
        self.attendance: dict[tuple, dict[tuple, tuple]] = defaultdict(dict)
        for student_id, course_id, day, period, pk, status in (
            Attendance.objects.order_by()
            .filter(**rows)
            .values_list("student_id", "course_id", "date", "period_number", "id", "status")
        ):
            self.attendance[student_id, course_id][day, period] = (pk, status)

    def run(self, overlays: dict[int, _Overlay]) -> tuple[dict, dict]:
        """Risk before and after, per student (in the site's language, as stored results)."""
        before, after = {}, {}
        with translation.override(settings.LANGUAGE_CODE):
            for student_id, overlay in overlays.items():
                before[student_id] = self._summary(student_id).risk
                after[student_id] = self._summary(student_id, overlay).risk
        return before, after

    def _summary(self, student_id: int, overlay: _Overlay | None = None):
        grades, attendance = self._after(student_id, overlay) if overlay else ({}, {})
        results, items = [], []
        for course_id in self.pairs.get(student_id, ()):
            pair = (student_id, course_id)
            rules, penalty, credits, code, _posting = self.courses[course_id]
            course_grades = grades.get(pair, self.grades.get(pair, []))
            marks = attendance.get(pair, self.attendance.get(pair, {}))
            statuses = [status for _key, (_pk, status) in sorted(marks.items(), key=_by_slot)]
            items.extend(course_grades)
            results.append(
                grading.compute_course_result(
                    student_id=student_id,
                    course_id=course_id,
                    rules=rules,
                    grades=course_grades,
                    daily=self.daily.get(pair, []),
                    attendance=grading.AttendanceCounts.from_statuses(statuses),
                    absence_penalty=penalty,
                    consecutive_absences=grading.longest_absence_run(statuses),
                    credits=credits,
                    course_code=code,
                )
            )
        results.sort(key=lambda result: (result.course_code, result.course_id))
        percentages = [item.percentage for item in sorted(items, key=lambda g: g.order_key)]
        slope = grading.least_squares_slope(percentages)
        return grading.summarise_student(
            student_id=student_id,
            courses=results,
            trend=grading.label_for_slope(len(percentages), slope),
            trend_slope=slope,
        )

    def _after(self, student_id: int, overlay: _Overlay) -> tuple[dict, dict]:
        """The student's grades and attendance of each course the file touches, with the
        file's values laid over the stored ones (visible as the posting policy says)."""
        now = timezone.now()
        courses = self.pairs.get(student_id, ())
        replaced: dict[tuple, set[int]] = defaultdict(set)
        added: dict[tuple, list] = defaultdict(list)
        for course_id, grade_id, item in overlay.grades:
            if course_id not in courses:
                continue  # not a counted enrollment in scope: in no figure
            policy = self.courses[course_id][4]
            if grade_id is not None:
                replaced[student_id, course_id].add(grade_id)
                visible = posted_at_for_change(policy, None, now)
            else:
                visible = posted_at_for_new(policy, now)
            if visible is not None:
                added[student_id, course_id].append(item)
        grades = {
            pair: [
                stored for stored in self.grades.get(pair, []) if stored.id not in replaced[pair]
            ]
            + added[pair]
            for pair in {*replaced, *added}
        }
        attendance: dict[tuple, dict] = {}
        for index, (course_id, key, status) in enumerate(overlay.attendance):
            pair = (student_id, course_id)
            if course_id not in courses:
                continue
            marks = attendance.setdefault(pair, dict(self.attendance.get(pair, {})))
            stored = marks.get(key)
            marks[key] = (stored[0] if stored else NEW_ID_BASE + index, status)
        return grades, attendance


def _by_slot(item) -> tuple:
    (day, period), (pk, _status) = item
    return (day, period, pk)


# --- A new student who looks like a stored one ------------------------------------------------
def _name_digest(last: str, first: str, father: str) -> bytes:
    key = "\x1f".join(normalise_name(part or "") for part in (last, first, father))
    return hashlib.blake2b(key.encode(), digest_size=16).digest()


# A stored student is one int: the pk and the date of birth's ordinal (0: none) packed
# together, ~30 bytes where a (pk, date) tuple takes ~100. date.max's ordinal < 2**22.
_DAY_BITS = 22
_DAY_MASK = (1 << _DAY_BITS) - 1


def _pack(pk: int, born: dt.date | None) -> int:
    return pk << _DAY_BITS | (born.toordinal() if born else 0)


class _LikelyDuplicates:
    """The stored students are read once (streamed), kept as a digest of their three names
    mapped to their packed pk and date of birth (~130 bytes a student; the few students
    who share all three names with another are kept as a list); each new row of the file
    is then a dictionary look-up."""

    def __init__(self):
        self.stored: dict[bytes, int | list[int]] | None = None
        # (row, pk of the stored student, whether the dates of birth were compared)
        self.found: list[tuple[RowPlan, int, bool]] = []
        self.count = 0

    @property
    def rows(self) -> list[RowPlan]:
        return [row for row, _pk, _compared in self.found]

    def _load(self) -> dict[bytes, int | list[int]]:
        stored: dict[bytes, int | list[int]] = {}
        students = Student.objects.order_by("pk").values_list(
            "pk", "last_name", "first_name", "father_name", "date_of_birth"
        )
        for pk, last, first, father, born in students.iterator(chunk_size=2000):
            digest, packed = _name_digest(last, first, father), _pack(pk, born)
            same_names = stored.get(digest)
            if same_names is None:
                stored[digest] = packed
            elif isinstance(same_names, list):
                same_names.append(packed)
            else:
                stored[digest] = [same_names, packed]
        return stored

    def observe(self, rows: list[RowPlan]) -> None:
        for row in rows:
            if row.action != NEW:
                continue
            values = row.values
            last, first = values.get("last_name") or "", values.get("first_name") or ""
            if not normalise_name(last) or not normalise_name(first):
                continue
            if self.stored is None:
                self.stored = self._load()
            same_names = self.stored.get(_name_digest(last, first, values.get("father_name") or ""))
            match = same_names is not None and _match(same_names, values.get("date_of_birth"))
            if not match:
                continue
            self.count += 1
            if len(self.found) < LISTED:
                self.found.append((_light(row), *match))

    def result(self) -> tuple[list[dict], int]:
        names = _names(pk for _row, pk, _compared in self.found)
        listed = [
            {
                "row": row.row,
                "student_id": names.get(pk, ("", ""))[0],
                "name": names.get(pk, ("", ""))[1],
                "date_of_birth_compared": compared,
            }
            for row, pk, compared in self.found
        ]
        return listed, self.count - len(listed)


def _match(same_names: int | list[int], born) -> tuple[int, bool] | None:
    """The stored student (of those with the row's names) the row most likely repeats, and
    whether their dates of birth were compared: one born the same day first, else one whose
    date (or the row's) is missing; None when every one of them was born on another day."""
    day = born.toordinal() if isinstance(born, dt.date) else 0
    uncompared = None
    for packed in same_names if isinstance(same_names, list) else (same_names,):
        pk, stored_day = packed >> _DAY_BITS, packed & _DAY_MASK
        if day and stored_day:
            if day == stored_day:
                return pk, True
        elif uncompared is None:
            uncompared = pk
    return None if uncompared is None else (uncompared, False)
