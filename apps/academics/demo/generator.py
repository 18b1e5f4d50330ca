"""Plan a deterministic demo school, then stream its rows.

``build_dataset`` decides everything small (people, courses, who takes what, when each
class meets and each assessment falls) from ``random.Random(seed)``; the row iterators
then stream the large tables (grades, attendance, daily performance), each from its own
seeded generator, so the same seed on the same day gives the same school.

Each student has an ability, an absence rate, a lateness rate and a trend over the term;
a few fixed personas (failing, at risk, excellent) make sure every dataset shows them.
Absences are more frequent on Mondays and Fridays and lateness in the first period.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from apps.academics.demo import catalog, names
from apps.academics.demo.term import Term, build_term
from apps.academics.validators import clean_evaluation_rules


@dataclass(frozen=True)
class SizeSpec:
    name: str
    students: int
    courses: int
    courses_per_student: int
    grades_per_enrollment: int
    attendance_per_enrollment: int
    daily_per_enrollment: int
    teachers: int
    student_users: int
    division_size: int


SIZES = {
    # "tiny" exists for the tests; "large" is the SPEC §6 reference dataset.
    "tiny": SizeSpec("tiny", 40, 6, 3, 6, 10, 2, 2, 2, 12),
    "small": SizeSpec("small", 200, 12, 5, 10, 20, 3, 4, 3, 25),
    "large": SizeSpec("large", 10_000, 300, 10, 10, 20, 1, 60, 5, 30),
}

DEMO_EMAIL_DOMAIN = "demo.example.org"
PASSWORDS = {"admin": "admin", "teacher": "teacher", "student": "student"}
DIVISION_LETTERS = ("Α", "Β", "Γ", "Δ")
DROP_RATE = 0.03
GRADE_NOISE = 7.0
# Monday … Friday: more absences around the weekend.
WEEKDAY_ABSENCE_FACTOR = (1.45, 0.9, 0.85, 0.9, 1.6)
FIRST_PERIOD_LATE_FACTOR = 3.0
EXCUSED_SHARE = 0.25

GRADE_FIELDS = (
    "student_id", "course_id", "assignment_name", "category", "grade", "max_grade", "weight",
    "date_assigned", "date_submitted", "notes", "created_at", "updated_at", "posted_at",
)  # fmt: skip
ATTENDANCE_FIELDS = (
    "student_id", "course_id", "date", "period_number", "status", "notes", "created_at",
    "updated_at",
)  # fmt: skip
DAILY_PERFORMANCE_FIELDS = (
    "student_id", "course_id", "date", "category", "score", "max_score", "notes", "created_at",
)  # fmt: skip
ENROLLMENT_FIELDS = ("student_id", "course_id", "enrolled_at", "status", "created_at", "updated_at")


@dataclass(frozen=True)
class UserPlan:
    username: str
    role: str
    first_name: str
    last_name: str
    password: str

    @property
    def email(self) -> str:
        return f"{self.username}@{DEMO_EMAIL_DOMAIN}"


@dataclass
class StudentPlan:
    student_id: str
    first_name: str
    last_name: str
    father_name: str
    email: str
    mobile_phone: str
    phone: str
    study_year: int
    class_division: str
    enrollment_date: dt.date
    is_active: bool
    health_issue: str
    ability: float
    absence: float
    lateness: float
    trend: float  # percentage points gained (or lost) from the start of the term to now
    username: str | None = None

    @property
    def absence_drift(self) -> float:
        """Students whose grades slide also stop coming."""
        return max(0.0, -self.trend) / 150


@dataclass(frozen=True)
class Assessment:
    key: str
    name: str
    category: str
    max_grade: int
    weight: Decimal
    position: float
    date_assigned: dt.date
    date_submitted: dt.date


@dataclass(frozen=True)
class Session:
    date: dt.date
    period: int
    position: float
    absence_factor: float
    late_factor: float


@dataclass
class CoursePlan:
    course_code: str
    course_name: str
    semester: str
    credits: int
    description: str
    evaluation_rules: list
    absence_penalty: Decimal
    hours_per_week: int
    study_year: int
    difficulty: float
    daily_category: str
    teachers: tuple[str, ...]
    assessments: tuple[Assessment, ...] = ()
    sessions: tuple[Session, ...] = ()


@dataclass(frozen=True)
class EnrollmentPlan:
    student: int
    course: int
    enrolled_at: dt.date
    status: str


@dataclass
class DemoDataset:
    spec: SizeSpec
    seed: int
    term: Term
    users: list[UserPlan]
    students: list[StudentPlan]
    courses: list[CoursePlan]
    enrollments: list[EnrollmentPlan] = field(default_factory=list)

    def row_counts(self) -> dict[str, int]:
        per_course = [0] * len(self.courses)
        for enrollment in self.enrollments:
            per_course[enrollment.course] += 1
        return {
            "enrollments": len(self.enrollments),
            "grades": sum(
                n * len(c.assessments) for n, c in zip(per_course, self.courses, strict=True)
            ),
            "attendance": sum(
                n * len(c.sessions) for n, c in zip(per_course, self.courses, strict=True)
            ),
            "daily_performance": len(self.enrollments) * self.spec.daily_per_enrollment,
        }

    def enrollment_rows(self, student_pks, course_pks, now) -> Iterator[tuple]:
        for e in self.enrollments:
            yield (student_pks[e.student], course_pks[e.course], e.enrolled_at, e.status, now, now)

    def grade_rows(self, student_pks, course_pks, now) -> Iterator[tuple]:
        gauss = random.Random(f"{self.seed}:grades").gauss
        values = _half_steps(catalog.MAX_GRADE.values())
        maxima = {m: Decimal(m) for m in values}
        for e in self.enrollments:
            student, course = self.students[e.student], self.courses[e.course]
            student_pk, course_pk = student_pks[e.student], course_pks[e.course]
            level = student.ability + course.difficulty
            for a in course.assessments:
                offset = catalog.CATEGORY_OFFSET[a.key]
                percent = level + offset + student.trend * (a.position - 0.5)
                percent += gauss(0.0, GRADE_NOISE)
                steps = min(max(round(percent * a.max_grade / 50), 0), 2 * a.max_grade)
                yield (
                    student_pk, course_pk, a.name, a.category, values[a.max_grade][steps],
                    maxima[a.max_grade], a.weight, a.date_assigned, a.date_submitted, "",
                    now, now, now,
                )  # fmt: skip

    def attendance_rows(self, student_pks, course_pks, now) -> Iterator[tuple]:
        rng = random.Random(f"{self.seed}:attendance")
        draw = rng.random
        for e in self.enrollments:
            student, course = self.students[e.student], self.courses[e.course]
            student_pk, course_pk = student_pks[e.student], course_pks[e.course]
            for s in course.sessions:
                absent = (student.absence + student.absence_drift * s.position) * s.absence_factor
                roll = draw()
                notes = ""
                if roll < absent:
                    status = "absent"
                    if draw() < EXCUSED_SHARE:
                        status, notes = "excused", "Ιατρική βεβαίωση"
                elif roll < absent + student.lateness * s.late_factor:
                    status = "late"
                else:
                    status = "present"
                yield (student_pk, course_pk, s.date, s.period, status, notes, now, now)

    def daily_performance_rows(self, student_pks, course_pks, now) -> Iterator[tuple]:
        rng = random.Random(f"{self.seed}:daily")
        scores = _half_steps([10])[10]
        ten = Decimal(10)
        for e in self.enrollments:
            student, course = self.students[e.student], self.courses[e.course]
            for _ in range(self.spec.daily_per_enrollment):
                session = rng.choice(course.sessions)
                percent = student.ability + course.difficulty + 5
                percent += student.trend * (session.position - 0.5) + rng.gauss(0.0, 10.0)
                steps = min(max(round(percent / 5), 0), 20)
                yield (
                    student_pks[e.student], course_pks[e.course], session.date,
                    course.daily_category, scores[steps], ten, "", now,
                )  # fmt: skip


def _half_steps(maxima) -> dict[int, list[Decimal]]:
    """Every grade from 0 to max in steps of 0.5, built once and shared by all rows."""
    return {m: [Decimal(step) / 2 for step in range(2 * m + 1)] for m in set(maxima)}


def build_dataset(size: str, seed: int, today: dt.date) -> DemoDataset:
    spec = SIZES[size]
    rng = random.Random(seed)
    term = build_term(today)
    users = _plan_users(rng, spec)
    students = _plan_students(rng, spec, term)
    teachers = [user.username for user in users if user.role == "teacher"]
    courses = [_plan_course(rng, spec, term, index, teachers) for index in range(spec.courses)]
    dataset = DemoDataset(spec, seed, term, users, students, courses)
    dataset.enrollments = _plan_enrollments(rng, dataset, teachers[0])
    for position, plan in enumerate(u for u in users if u.role == "student"):
        students[position].username = plan.username
    return dataset


def _numbered(base: str, count: int) -> list[str]:
    """``teacher``, ``teacher2``, ``teacher3`` …"""
    return [base if n == 1 else f"{base}{n}" for n in range(1, count + 1)]


def _plan_users(rng: random.Random, spec: SizeSpec) -> list[UserPlan]:
    users = [UserPlan("admin", "admin", "Demo", "Admin", PASSWORDS["admin"])]
    for username in _numbered("teacher", spec.teachers):
        first, last, _ = names.person_name(rng, greek=rng.random() < 0.8, female=rng.random() < 0.5)
        users.append(UserPlan(username, "teacher", first, last, PASSWORDS["teacher"]))
    # Student users take their names from the first students (filled in by build_dataset).
    users.extend(
        UserPlan(username, "student", "", "", PASSWORDS["student"])
        for username in _numbered("student", spec.student_users)
    )
    return users


# Fixed personas right after the demo student users: (ability, absence, trend).
PERSONAS = (
    (36.0, 0.30, -10.0),  # failing: low grades and often away
    (70.0, 0.22, -45.0),  # at risk: sliding grades and attendance
    (93.0, 0.02, 4.0),  # excellent
)


def _plan_students(rng: random.Random, spec: SizeSpec, term: Term) -> list[StudentPlan]:
    students = []
    per_year_count = [0, 0, 0, 0]
    for index in range(spec.students):
        year = 1 if index < spec.student_users else index % 4 + 1
        division = per_year_count[year - 1] // spec.division_size + 1
        per_year_count[year - 1] += 1
        student = _plan_student(rng, index, year, term)
        student.class_division = f"{DIVISION_LETTERS[year - 1]}{division}"
        persona = index - spec.student_users
        if 0 <= persona < len(PERSONAS):
            student.ability, student.absence, student.trend = PERSONAS[persona]
        elif index == 0:  # the demo student login: a steady, good student
            student.ability, student.absence, student.trend = 78.0, 0.05, 3.0
        elif index == 1:  # the second demo student login: one in trouble
            student.ability, student.absence, student.trend = PERSONAS[1]
        students.append(student)
    return students


def _plan_student(rng: random.Random, index: int, year: int, term: Term) -> StudentPlan:
    greek, female = rng.random() < 0.75, rng.random() < 0.5
    first, last, father = names.person_name(rng, greek=greek, female=female)
    entry_year = term.start.year - (year - 1)
    ability = min(max(rng.gauss(70, 13), 25.0), 98.0)
    roll = rng.random()
    trend = (
        rng.gauss(-25, 6) if roll < 0.12 else rng.gauss(15, 5) if roll < 0.2 else rng.gauss(0, 6)
    )
    absence = 0.03 + max(0.0, 70 - ability) / 250 + rng.expovariate(25)
    return StudentPlan(
        student_id=f"IEK{entry_year}-{index + 1:05d}",
        first_name=first,
        last_name=last,
        father_name=father,
        email=f"{names.transliterate(first)}.{names.transliterate(last)}{index + 1}"
        f"@students.example.org",
        mobile_phone=f"+3069{rng.randrange(10**8):08d}",
        phone=f"2{rng.randrange(10**9):09d}" if rng.random() < 0.6 else "",
        study_year=year,
        class_division="",
        enrollment_date=dt.date(entry_year, 9, 1) + dt.timedelta(days=rng.randrange(10)),
        is_active=rng.random() > 0.01,
        health_issue=rng.choice(names.HEALTH_ISSUES) if rng.random() < 0.05 else "",
        ability=ability,
        absence=min(absence, 0.6),
        lateness=rng.uniform(0.01, 0.06),
        trend=trend,
    )


def _plan_course(
    rng: random.Random, spec: SizeSpec, term: Term, index: int, teachers: Sequence[str]
) -> CoursePlan:
    department, subjects = catalog.DEPARTMENTS[index % len(catalog.DEPARTMENTS)]
    nth_in_department = index // len(catalog.DEPARTMENTS)
    subject = subjects[nth_in_department % len(subjects)]
    name = subject + catalog.ROMAN[nth_in_department // len(subjects) % len(catalog.ROMAN)]
    year = index * 4 // spec.courses + 1
    language = "en" if subject.isascii() else "el"
    rules_language = language if rng.random() < 0.75 else ("el" if language == "en" else "en")
    template = catalog.RULE_TEMPLATES[(index * 5 + 3) % len(catalog.RULE_TEMPLATES)]
    course_teachers = [teachers[index % len(teachers)]]
    if len(teachers) > 1 and rng.random() < 0.15:
        course_teachers.append(
            teachers[(index + 1 + rng.randrange(len(teachers) - 1)) % len(teachers)]
        )
    fall = term.today.month >= 9 or term.today.month == 1
    hours = rng.choice((2, 3, 4, 5, 6))
    course = CoursePlan(
        course_code=f"{department}{year}{nth_in_department + 1:02d}",
        course_name=name,
        semester=str(2 * year - 1 if fall else 2 * year),
        credits=rng.choice((3, 4, 5, 6)),
        description=f"{name}: μάθημα {year}ου έτους σπουδών.",
        evaluation_rules=_rules(template, rules_language),
        absence_penalty=Decimal(rng.choice(catalog.ABSENCE_PENALTIES)),
        hours_per_week=hours,
        study_year=year,
        difficulty=rng.gauss(0, 5),
        daily_category=_daily_category(template, language),
        teachers=tuple(course_teachers),
    )
    course.assessments = _plan_assessments(rng, spec, term, template, language)
    course.sessions = _plan_sessions(rng, spec, term, hours)
    return course


def _rules(template, language: str) -> list[dict]:
    rules = [
        {
            "category": catalog.CATEGORY_LABELS[language][key],
            "weight": weight,
            "include_daily_performance": key != "lab",
            "daily_performance_multiplier": 0.5 if key == "participation" else 1.0,
        }
        for key, weight in template
    ]
    return clean_evaluation_rules(rules)


def _daily_category(template, language: str) -> str:
    keys = [key for key, _ in template if key in ("participation", "homework", "continuous")]
    return catalog.CATEGORY_LABELS[language][keys[0] if keys else "participation"]


def _plan_assessments(rng, spec, term, template, language) -> tuple[Assessment, ...]:
    graded = [key for key, _ in template if key != "attendance"] or list(catalog.UNRULED_CATEGORIES)
    exams = [key for key in graded if key in catalog.EXAM_KEYS]
    others = [key for key in graded if key not in catalog.EXAM_KEYS] or ["homework"]
    counts = dict.fromkeys(others, 0)
    for item in range(spec.grades_per_enrollment - len(exams)):
        counts[others[item % len(others)]] += 1
    placed = [(key, 1, catalog.EXAM_POSITION[key]) for key in exams]
    for key, count in counts.items():
        for n in range(1, count + 1):
            spread = (n - 0.5) / count * 0.9 + rng.uniform(-0.03, 0.03)
            placed.append((key, n, spread))
    return tuple(
        _assessment(term, language, key, n, position, last=n == counts.get(key))
        for key, n, position in sorted(placed, key=lambda item: item[2])
    )


def _assessment(term: Term, language: str, key: str, n: int, position: float, last: bool):
    assigned = term.day_at(position)
    submitted = assigned
    if key in ("homework", "lab", "continuous"):
        submitted = min(assigned + dt.timedelta(days=7), term.days[-1])
    return Assessment(
        key=key,
        name=catalog.ITEM_NAMES[language][key].format(n=n),
        category=catalog.CATEGORY_LABELS[language][key],
        max_grade=catalog.MAX_GRADE[key],
        weight=Decimal("2") if key == "homework" and last and n > 1 else Decimal("1"),
        position=position,
        date_assigned=assigned,
        date_submitted=submitted,
    )


def _plan_sessions(rng, spec: SizeSpec, term: Term, hours: int) -> tuple[Session, ...]:
    """The class meetings that have attendance: evenly spread over the term so far."""
    needed = spec.attendance_per_enrollment
    meeting_days = sorted(rng.sample(range(5), 3 if hours >= 5 else 2))
    first_period = rng.randint(1, 6)
    periods = 1
    while True:
        slots = [
            (position, day, first_period + offset)
            for position, day in enumerate(term.days)
            if day.weekday() in meeting_days
            for offset in range(periods)
        ]
        if len(slots) >= needed or periods >= 3 and len(meeting_days) == 5:
            break
        if periods < 3:
            periods += 1
        else:
            spare = [day for day in range(5) if day not in meeting_days]
            meeting_days = sorted([*meeting_days, spare[0]])
    if needed <= 1:
        chosen = slots[-needed:] if needed else []
    else:
        chosen = [slots[round(i * (len(slots) - 1) / (needed - 1))] for i in range(needed)]
    last = max(len(term.days) - 1, 1)
    return tuple(
        Session(
            date=day,
            period=period,
            position=position / last,
            absence_factor=WEEKDAY_ABSENCE_FACTOR[day.weekday()],
            late_factor=FIRST_PERIOD_LATE_FACTOR if period == 1 else 1.0,
        )
        for position, day, period in chosen
    )


def _plan_enrollments(rng: random.Random, dataset: DemoDataset, demo_teacher: str):
    spec, term = dataset.spec, dataset.term
    by_year: dict[int, list[int]] = {year: [] for year in range(1, 5)}
    for index, course in enumerate(dataset.courses):
        by_year[course.study_year].append(index)
    demo_courses = [i for i, c in enumerate(dataset.courses) if demo_teacher in c.teachers]
    enrollments = []
    for index, student in enumerate(dataset.students):
        forced = demo_courses if index < spec.student_users else []
        own = rng.sample(by_year[student.study_year], len(by_year[student.study_year]))
        others = [i for year, ids in by_year.items() if year != student.study_year for i in ids]
        others = rng.sample(others, len(others))
        picks = list(dict.fromkeys([*forced, *own, *others]))[: spec.courses_per_student]
        for course in sorted(picks):
            dropped = course not in forced and rng.random() < DROP_RATE
            enrollments.append(
                EnrollmentPlan(
                    student=index,
                    course=course,
                    enrolled_at=term.days[min(rng.randrange(8), len(term.days) - 1)],
                    status="dropped" if dropped else "active",
                )
            )
    return enrollments
