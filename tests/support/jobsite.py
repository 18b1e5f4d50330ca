"""A throw-away site with a school and a large grade file, real Celery workers that can be
killed, and probes that read the site's database and Redis from outside. Used by the
fault tests (tests/integration/test_job_recovery.py) and ``benchmarks/faults.py``.
Nothing here runs in production.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from contextlib import closing, suppress
from dataclasses import dataclass, field
from pathlib import Path

from tests.support import livestack

BASE_DIR = livestack.BASE_DIR

SEED = """
import csv, datetime as dt, json
from django.core.management import call_command
call_command("migrate", verbosity=0, skip_checks=True)
from apps.academics.models import Course, Enrollment, Student
from apps.accounts.models import User
rows, path = {rows}, {path!r}
students = max(1, rows // 100)
User.objects.create(username="fault-admin", role="admin", is_staff=True, password="!")
Course.objects.bulk_create(
    Course(course_code=f"FC{{n:03d}}", course_name=f"Fault {{n}}", semester="A")
    for n in range(50)
)
Student.objects.bulk_create(
    Student(student_id=f"F{{n:05d}}", first_name="First", last_name=f"Last{{n}}",
            email=f"f{{n:05d}}@example.org")
    for n in range(students)
)
ids = dict(Student.objects.values_list("student_id", "pk"))
codes = dict(Course.objects.values_list("course_code", "pk"))
Enrollment.objects.bulk_create(
    Enrollment(student_id=ids[f"F{{n:05d}}"], course_id=codes[f"FC{{(n + k) % 50:03d}}"])
    for n in range(students) for k in range(10)
)
per_pair = rows // (students * 10)
with open(path, "w", newline="") as handle:
    out = csv.writer(handle)
    out.writerow(["student_id", "course_code", "assignment_name", "category", "grade",
                  "max_grade", "date_assigned"])
    for n in range(students):
        for k in range(10):
            for item in range(per_pair):
                out.writerow([f"F{{n:05d}}", f"FC{{(n + k) % 50:03d}}", f"Homework {{item + 1}}",
                              "Homework", (n * 7 + item * 13) % 100, 100,
                              (dt.date(2025, 10, 1) + dt.timedelta(days=item)).isoformat()])
print(json.dumps(students * 10 * per_pair))
"""

# Upload, wait for the worker's preview, then confirm, as a user would. The worker is
# paused (SIGSTOP) just before the confirmation when asked, so the caller can be watching
# before the apply starts.
UPLOAD_AND_CONFIRM = """
import json, os, signal, time
from apps.accounts.models import User
from apps.bulkio.importing import jobs
from apps.bulkio.models import ImportJob
admin = User.objects.get(username="fault-admin")
with open({path!r}, "rb") as handle:
    job = jobs.start_import(user=admin, resource="grades", filename="grades.csv",
                            data=handle.read(), mode="all_or_nothing")
deadline = time.monotonic() + {timeout}
while job.status not in ("previewed", "failed") and time.monotonic() < deadline:
    time.sleep(0.1)
    job.refresh_from_db()
if job.status == "previewed":
    if {pause_group}:
        os.killpg({pause_group}, signal.SIGSTOP)
    job = jobs.confirm_import(job, actor=admin)
print(json.dumps([job.pk, job.status, job.error_message]))
"""

CONFIRM = """
import json
from apps.accounts.models import User
from apps.bulkio.importing import jobs
from apps.bulkio.models import ImportJob
job = jobs.confirm_import(ImportJob.objects.get(pk={job_id}),
                          actor=User.objects.get(username="fault-admin"))
print(json.dumps(job.status))
"""


@dataclass
class Site:
    """A site in its own folder, sharing a Redis with others under its own queue and keys."""

    var_dir: Path
    redis_url: str
    lease_seconds: int = 2
    extra: dict[str, str] = field(default_factory=dict)
    name: str = field(default_factory=lambda: f"sms-fault-{uuid.uuid4().hex[:10]}")

    @property
    def env(self) -> dict[str, str]:
        env = livestack.site_env(
            self.var_dir,
            self.redis_url,
            CELERY_QUEUE=self.name,
            CACHE_KEY_PREFIX=self.name,
            SMS_JOB_LEASE_SECONDS=str(self.lease_seconds),
        )
        env.update(self.extra)  # e.g. DEBUG=0 for a benchmark, DATABASE_URL
        return env

    def prepare(self, rows: int) -> int:
        """Migrate, seed a school and write a grade file of ``rows`` rows; the row count."""
        self.var_dir.mkdir(parents=True, exist_ok=True)
        # A copy of the migrated SQLite template (PostgreSQL migrates for real); the seed's
        # own migrate then only confirms there is nothing left to apply.
        livestack.migrate(self.env)
        code = SEED.format(rows=rows, path=str(self.grades))
        return livestack.run_python(self.env, code, timeout=900)

    @property
    def grades(self) -> Path:
        return self.var_dir / "grades.csv"

    # --- Workers ------------------------------------------------------------------------
    def start_worker(self, pool: str = "solo", concurrency: int = 1) -> subprocess.Popen:
        argv = [sys.executable, "-m", "celery", "-A", "sms", "worker", "-P", pool]
        argv += ["--concurrency", str(concurrency), "-Q", self.name, "-n", f"{self.name}@%h"]
        # FAULT_WORKER_LOG=info lists every task the workers take (in var/worker.log).
        level = os.environ.get("FAULT_WORKER_LOG", "warning")
        argv += ["--without-gossip", "--without-mingle", "--without-heartbeat", "-l", level]
        log = open(self.var_dir / "worker.log", "ab")  # noqa: SIM115 - the worker holds it
        try:
            return subprocess.Popen(  # noqa: S603 - fixed argv
                argv,
                cwd=BASE_DIR,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        finally:
            log.close()

    def worker_log(self) -> str:
        path = self.var_dir / "worker.log"
        return path.read_text(errors="replace")[-4000:] if path.exists() else ""

    # --- Jobs ---------------------------------------------------------------------------
    def upload_and_confirm(
        self, *, pause: subprocess.Popen | None = None, timeout: float = 300
    ) -> tuple[int, str, str]:
        """The new job's id, status and error once confirmed (or failed in preview). With
        ``pause``, that worker is stopped (SIGSTOP) just before the confirmation."""
        code = UPLOAD_AND_CONFIRM.format(
            path=str(self.grades), timeout=timeout, pause_group=pause.pid if pause else 0
        )
        return tuple(livestack.run_python(self.env, code, timeout=timeout + 120))

    def confirm(self, job_id: int) -> str:
        return livestack.run_python(self.env, CONFIRM.format(job_id=job_id))

    def query(self, sql: str, *params) -> list[tuple]:
        url = self.extra.get("DATABASE_URL", "")
        if url.startswith("postgres"):
            import psycopg

            with psycopg.connect(url) as connection:
                return connection.execute(sql.replace("?", "%s"), params).fetchall()
        with closing(sqlite3.connect(self.var_dir / "sms.sqlite3", timeout=30)) as connection:
            return connection.execute(sql, params).fetchall()

    def job(self, job_id: int) -> dict:
        status, attempts, message = self.query(
            "SELECT status, attempts, error_message FROM bulkio_importjob WHERE id = ?", job_id
        )[0]
        return {"status": status, "attempts": attempts, "error_message": message}

    def grade_count(self) -> int:
        return self.query("SELECT count(*) FROM academics_grade")[0][0]

    def change_count(self, job_id: int) -> int:
        return self.query("SELECT count(*) FROM bulkio_importchange WHERE job_id = ?", job_id)[0][0]

    def progress(self, job_id: int) -> int | None:
        """The running step's progress as the site's cache holds it (Redis)."""
        import redis

        client = redis.Redis.from_url(self.redis_url)
        try:
            value = client.get(f"{self.name}:1:bulkio:import:{job_id}:progress")
        finally:
            client.close()
        return int(value) if value is not None else None

    def wait_for_status(self, job_id: int, wanted: set[str], timeout: float) -> dict:
        return wait_until(lambda: self.job(job_id), lambda job: job["status"] in wanted, timeout)


def wait_until(read: Callable, done: Callable, timeout: float, every: float = 0.05):
    deadline = time.monotonic() + timeout
    value = read()
    while not done(value):
        if time.monotonic() > deadline:
            raise TimeoutError(f"still {value!r} after {timeout} s")
        time.sleep(every)
        value = read()
    return value


def resume(process: subprocess.Popen) -> None:
    os.killpg(process.pid, signal.SIGCONT)


def kill_hard(process: subprocess.Popen) -> None:
    """SIGKILL the worker and every process of its session (a prefork pool's children)."""
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(30)


def stop(process: subprocess.Popen | None, timeout: float = 30) -> None:
    """A warm shutdown (SIGTERM: running tasks finish), then SIGKILL if it hangs."""
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        kill_hard(process)
