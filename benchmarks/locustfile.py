"""Locust load for the REST API's reads (SPEC §6: 50 users, p95 < 300 ms, 0 errors).

Two user classes; pick one (or both) by name after the file, bound the run with ``-t``:

    .venv/bin/locust -f benchmarks/locustfile.py --headless -H http://127.0.0.1:8000 \
        -u 50 -r 10 -t 60s --csv var/load/api ApiUser
    .venv/bin/locust -f benchmarks/locustfile.py --headless -H http://127.0.0.1:8000 \
        -u 50 -r 10 -t 60s --csv var/load/analytics AnalyticsUser

``benchmarks/load.py`` starts a server, runs these and prints the percentiles.

- ``ApiUser`` (tag ``api``): list and detail reads of students, courses, enrollments,
  grades, attendance and daily performance with filters, ordering and pages.
- ``AnalyticsUser`` (tag ``analytics``): the analytics endpoints (dashboard, students
  with ordering and pages, one student, grades, attendance, courses, one course) with a
  mix of course / class_division / study_year / semester filters.

Each simulated user signs in as the administrator (``SMS_LOAD_ADMIN_SHARE`` of them,
default 0.3) or as one of ``SMS_LOAD_TEACHERS`` teachers (``teacher``, ``teacher2`` …,
default 10), with the demo passwords of ``seed_demo`` unless ``SMS_LOAD_ADMIN_PASSWORD``
/ ``SMS_LOAD_TEACHER_PASSWORD`` say otherwise. Tokens and the ids a user may see (its
courses, a sample of its students and their class divisions, the first page of its
analytics student list) are fetched once per account, outside the measured requests,
and shared by the simulated users of that account. Request names group URLs by shape
(``/api/v1/grades/?course`` …), not by ids.

Each account looks at a fixed, small set of analytics views (its own few filters, a
sample of students and courses), as people return to the same screens; the analytics
cache is per scope and filters, so this bounds what "warm" means.
``python benchmarks/locustfile.py --warm URL`` requests every one of those views once
(for a steady-state run) and prints how long that took.
"""

from __future__ import annotations

import os
import random
from dataclasses import dataclass, field

from gevent.lock import Semaphore
from locust import HttpUser, between, tag, task

# isort: split
import requests  # after locust, which patches the standard library before it loads

API = "/api/v1"
TIMEOUT = float(os.environ.get("SMS_LOAD_TIMEOUT", "60"))
ADMIN = (
    os.environ.get("SMS_LOAD_ADMIN", "admin"),
    os.environ.get("SMS_LOAD_ADMIN_PASSWORD", "admin"),
)
TEACHER_PASSWORD = os.environ.get("SMS_LOAD_TEACHER_PASSWORD", "teacher")
TEACHERS = int(os.environ.get("SMS_LOAD_TEACHERS", "10"))
ADMIN_SHARE = float(os.environ.get("SMS_LOAD_ADMIN_SHARE", "0.3"))
SEMESTERS = ("1", "3", "5", "7")
GRADE_CATEGORIES = ("Homework", "Quiz", "Midterm Exam", "Final Exam", "Participation", "Lab")
ATTENDANCE_STATUSES = ("present", "absent", "late", "excused")
RECORD_KINDS = ("enrollments", "grades", "attendance", "daily-performance")
ANALYTICS_ORDERINGS = (
    "name", "-average_grade", "average_grade", "-gpa", "attendance_rate", "student_id",
    "class_division", "study_year",
)  # fmt: skip


@dataclass
class Account:
    """What one signed-in account may see, fetched once before the measured requests."""

    username: str
    token: str
    courses: list[int] = field(default_factory=list)
    students: list[int] = field(default_factory=list)
    divisions: list[str] = field(default_factory=list)
    study_years: list[int] = field(default_factory=list)
    dates: list[str] = field(default_factory=list)
    records: dict[str, list[int]] = field(default_factory=dict)
    analytics_filters: list[dict] = field(default_factory=list)
    analytics_students: list[int] = field(default_factory=list)
    analytics_courses: list[int] = field(default_factory=list)
    student_pages: int = 1


_accounts: dict[str, Account] = {}
_account_lock = Semaphore()


def teacher_name(number: int) -> str:
    return "teacher" if number == 1 else f"teacher{number}"


def _get(session: requests.Session, host: str, path: str, **params) -> dict:
    response = session.get(host + API + path, params=params, timeout=TIMEOUT)
    response.raise_for_status()
    return response.json()


def load_account(host: str, username: str, password: str) -> Account:
    """Sign in and collect the ids this account sees (not counted in the statistics)."""
    with _account_lock:
        if username in _accounts:
            return _accounts[username]
        rng = random.Random(username)  # the same sample in every run and in the warm-up
        session = requests.Session()
        response = session.post(
            host + API + "/auth/token/",
            json={"username": username, "password": password},
            timeout=TIMEOUT,
        )
        response.raise_for_status()
        account = Account(username=username, token=response.json()["access"])
        session.headers["Authorization"] = f"Bearer {account.token}"
        courses = _get(session, host, "/courses/", page_size=500, ordering="id")
        account.courses = [row["id"] for row in courses["results"]]
        count = _get(session, host, "/students/", page_size=1)["count"]
        account.student_pages = max(1, -(-count // 50))
        page = rng.randint(1, max(1, -(-count // 200)))
        students = _get(session, host, "/students/", page_size=200, page=page, ordering="id")
        account.students = [row["id"] for row in students["results"]]
        account.divisions = sorted({row["class_division"] for row in students["results"]})
        account.study_years = sorted({row["study_year"] for row in students["results"]})
        attendance = _get(session, host, "/attendance/", page_size=100, ordering="-date")
        account.dates = sorted({row["date"] for row in attendance["results"]}) or [""]
        for kind in RECORD_KINDS:
            rows = _get(session, host, f"/{kind}/", course=rng.choice(account.courses))
            account.records[kind] = [row["id"] for row in rows["results"]]
        account.analytics_filters = analytics_filters(account, rng)
        # The analytics scope leaves out students whose only enrollments are dropped.
        ranked = _get(session, host, "/analytics/students/", page_size=500, ordering="id")
        ranked_ids = [row["id"] for row in ranked["results"]]
        account.analytics_students = rng.sample(ranked_ids, min(25, len(ranked_ids)))
        account.analytics_courses = rng.sample(account.courses, min(25, len(account.courses)))
        _accounts[username] = account
        return account


def analytics_filters(account: Account, rng: random.Random) -> list[dict]:
    """No filter first, then a few courses, a class, two study years and two semesters."""
    found: list[dict] = [{}]
    found += [{"course": pk} for pk in rng.sample(account.courses, min(2, len(account.courses)))]
    found += [{"class_division": rng.choice(account.divisions)}]
    found += [{"study_year": year} for year in account.study_years[:2]]
    found += [{"semester": semester} for semester in rng.sample(SEMESTERS, 2)]
    return found


def analytics_views(account: Account) -> list[tuple[str, dict]]:
    """Every analytics request an ``AnalyticsUser`` of this account can make."""
    views = []
    for filters in account.analytics_filters:
        for report in ("dashboard", "grades", "attendance", "courses"):
            views.append((f"/analytics/{report}/", filters))
        pages = range(1, 4) if not filters else range(1, 2)
        for ordering in ANALYTICS_ORDERINGS:
            views += [("/analytics/students/", {**filters, "ordering": ordering, "page": page})
                      for page in pages]  # fmt: skip
    views += [(f"/analytics/students/{pk}/", {}) for pk in account.analytics_students]
    views += [(f"/analytics/courses/{pk}/", {}) for pk in account.analytics_courses]
    return views


def accounts_in_use() -> list[tuple[str, str]]:
    teachers = [(teacher_name(n), TEACHER_PASSWORD) for n in range(1, TEACHERS + 1)]
    return [ADMIN, *teachers] if ADMIN_SHARE > 0 else teachers


class SignedInUser(HttpUser):
    abstract = True
    wait_time = between(0.5, 2.0)

    def on_start(self) -> None:
        if random.random() < ADMIN_SHARE:
            username, password = ADMIN
        else:
            username, password = teacher_name(random.randint(1, TEACHERS)), TEACHER_PASSWORD
        self.account = load_account(self.host, username, password)
        self.role = "admin" if username == ADMIN[0] else "teacher"
        self.client.headers["Authorization"] = f"Bearer {self.account.token}"

    def read(self, path: str, name: str, **params) -> None:
        """GET and count anything but 200 as a failure, under ``<role> <name>``."""
        with self.client.get(
            API + path,
            params=params,
            name=name,
            timeout=TIMEOUT,
            catch_response=True,
        ) as response:
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}: {response.text[:200]}")

    # Random picks from what the account sees.
    def course(self) -> int:
        return random.choice(self.account.courses)

    def student(self) -> int:
        return random.choice(self.account.students)

    def division(self) -> str:
        return random.choice(self.account.divisions)

    def study_year(self) -> int:
        return random.choice(self.account.study_years)

    def page(self, pages: int) -> int:
        """Mostly the first pages, sometimes a deep one."""
        if random.random() < 0.8:
            return random.randint(1, min(pages, 3))
        return random.randint(1, pages)


class ApiUser(SignedInUser):
    """List and detail reads of the CRUD API, with filters and pagination."""

    @tag("api")
    @task(4)
    def students(self) -> None:
        choice = random.random()
        if choice < 0.4:
            page = self.page(self.account.student_pages)
            self.read("/students/", "students list", page=page, ordering="last_name")
        elif choice < 0.7:
            self.read("/students/", "students ?class_division", class_division=self.division())
        elif choice < 0.85:
            self.read(
                "/students/",
                "students ?study_year",
                study_year=self.study_year(),
                page=random.randint(1, 3),
            )
        else:
            self.read("/students/", "students ?course", course=self.course())

    @tag("api")
    @task(3)
    def student_detail(self) -> None:
        self.read(f"/students/{self.student()}/", "students/{id}")

    @tag("api")
    @task(2)
    def courses(self) -> None:
        if random.random() < 0.5:
            self.read("/courses/", "courses list", page=1)
        else:
            self.read("/courses/", "courses ?semester", semester=random.choice(SEMESTERS))

    @tag("api")
    @task(2)
    def course_detail(self) -> None:
        self.read(f"/courses/{self.course()}/", "courses/{id}")

    @tag("api")
    @task(3)
    def enrollments(self) -> None:
        choice = random.random()
        if choice < 0.5:
            self.read("/enrollments/", "enrollments ?course", course=self.course())
        elif choice < 0.8:
            self.read("/enrollments/", "enrollments ?student", student=self.student())
        else:
            self.read("/enrollments/", "enrollments list", page=random.randint(1, 5))

    @tag("api")
    @task(5)
    def grades(self) -> None:
        choice = random.random()
        if choice < 0.4:
            self.read(
                "/grades/",
                "grades ?course",
                course=self.course(),
                page=random.randint(1, 4),
                ordering="-date_assigned",
            )
        elif choice < 0.6:
            self.read("/grades/", "grades ?course&category", course=self.course(),
                      category=random.choice(GRADE_CATEGORIES))  # fmt: skip
        elif choice < 0.8:
            self.read("/grades/", "grades ?student", student=self.student())
        else:
            self.read("/grades/", "grades list", page=random.randint(1, 5))

    @tag("api")
    @task(4)
    def record_detail(self) -> None:
        kind = random.choice(RECORD_KINDS)
        record = random.choice(self.account.records[kind])
        self.read(f"/{kind}/{record}/", f"{kind}/{{id}}")

    @tag("api")
    @task(5)
    def attendance(self) -> None:
        choice = random.random()
        if choice < 0.4:
            self.read(
                "/attendance/",
                "attendance ?course&date",
                course=self.course(),
                date=random.choice(self.account.dates),
            )
        elif choice < 0.6:
            self.read(
                "/attendance/",
                "attendance ?course&status",
                course=self.course(),
                status=random.choice(ATTENDANCE_STATUSES),
                page=random.randint(1, 2),
            )
        elif choice < 0.8:
            self.read("/attendance/", "attendance ?student", student=self.student())
        else:
            self.read("/attendance/", "attendance list", page=random.randint(1, 5))

    @tag("api")
    @task(3)
    def daily_performance(self) -> None:
        choice = random.random()
        if choice < 0.5:
            self.read("/daily-performance/", "daily-performance ?course", course=self.course())
        elif choice < 0.8:
            self.read("/daily-performance/", "daily-performance ?student", student=self.student())
        else:
            self.read("/daily-performance/", "daily-performance list", page=random.randint(1, 3))


class AnalyticsUser(SignedInUser):
    """Reads of the analytics API with a realistic mix of filters."""

    def filters(self) -> dict:
        """No filter half the time, else one of the account's course / class / year /
        semester filters."""
        if random.random() < 0.5:
            return {}
        return random.choice(self.account.analytics_filters[1:])

    def analytics(self, path: str, name: str, **params) -> None:
        filters = self.filters()
        label = "&".join(sorted(filters)) or "all"
        self.read("/analytics" + path, f"analytics {name} [{label}]", **filters, **params)

    @tag("analytics")
    @task(4)
    def dashboard(self) -> None:
        self.analytics("/dashboard/", "dashboard")

    @tag("analytics")
    @task(4)
    def students(self) -> None:
        filters = self.filters()
        page = random.randint(1, 3) if not filters else 1  # a class has fewer than 50
        label = "&".join(sorted(filters)) or "all"
        ordering = random.choice(ANALYTICS_ORDERINGS)
        params = {**filters, "ordering": ordering, "page": page}
        self.read("/analytics/students/", f"analytics students [{label}]", **params)

    @tag("analytics")
    @task(3)
    def student_detail(self) -> None:
        student = random.choice(self.account.analytics_students)
        self.read(f"/analytics/students/{student}/", "analytics students/{id}")

    @tag("analytics")
    @task(2)
    def grades(self) -> None:
        self.analytics("/grades/", "grades")

    @tag("analytics")
    @task(2)
    def attendance(self) -> None:
        self.analytics("/attendance/", "attendance")

    @tag("analytics")
    @task(2)
    def courses(self) -> None:
        self.analytics("/courses/", "courses")

    @tag("analytics")
    @task(2)
    def course_detail(self) -> None:
        course = random.choice(self.account.analytics_courses)
        self.read(f"/analytics/courses/{course}/", "analytics courses/{id}")


def warm(host: str) -> None:
    """Request every analytics view of every account once, one after another."""
    import time

    total = started = time.perf_counter()
    for username, password in accounts_in_use():
        account = load_account(host, username, password)
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {account.token}"
        started = time.perf_counter()
        views = analytics_views(account)
        for path, params in views:
            session.get(host + API + path, params=params, timeout=600).raise_for_status()
        print(f"warm-up {username}: {len(views)} views in {time.perf_counter() - started:.1f} s")
    print(f"warm-up done in {time.perf_counter() - total:.1f} s", flush=True)


if __name__ == "__main__":
    import sys

    if len(sys.argv) != 3 or sys.argv[1] != "--warm":
        raise SystemExit("usage: locustfile.py --warm http://host:port")
    warm(sys.argv[2])
