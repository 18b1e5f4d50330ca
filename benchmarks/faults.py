"""Fault benchmarks: what a user sees when a process dies or the disk fills, with figures.

    python benchmarks/faults.py                          # every scenario
    python benchmarks/faults.py --scenario kill-apply    # one of them
    python benchmarks/faults.py --redis-url redis://127.0.0.1:6379/0 --rows 100000

Each scenario runs a throw-away site (SQLite in a temporary folder, or an empty database
given with ``--database-url``) with real Celery worker processes and a real Redis (a
redis-server of its own on a free loopback port unless ``--redis-url`` is given; the
site keeps to its own queue and cache keys there). Scenarios:

- ``kill-apply``: a grade file of ``--rows`` rows is previewed and confirmed, and the
  worker (its whole process group, as ``docker kill`` or the OOM killer would) gets
  SIGKILL in the middle of writing the rows. Expected: 0 rows written, the next worker to
  start marks the job failed with the reason, and applying it again writes every row.
- ``disk-full``: the site's ``var/`` is a small tmpfs (needs root) that a filler file
  leaves about 1 MB free; an export of ``--students`` students then runs out of space.
  Expected: the job fails with the reason, no partial file is left, the download answers
  409; with the filler gone the same export is ready and whole.

The figures go to docs/benchmarks.md ("Faults").
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.support import livestack  # noqa: E402
from tests.support.jobsite import Site, kill_hard, resume, stop, wait_until  # noqa: E402

# Production settings for the site's processes: no query log, quiet, plain HTTP.
PRODUCTION = {
    "DEBUG": "0",
    "ALLOWED_HOSTS": "localhost,testserver",
    "SMS_PLAIN_HTTP": "1",
    "LOG_LEVEL": "WARNING",
}
Figures = list[tuple[str, str]]


def say(text: str) -> None:
    print(text, flush=True)


def new_site(args: argparse.Namespace, var_dir: Path, lease_seconds: int) -> Site:
    extra = dict(PRODUCTION)
    if args.database_url:
        extra["DATABASE_URL"] = args.database_url
    return Site(var_dir, args.redis_url, lease_seconds=lease_seconds, extra=extra)


# --- kill -9 in the middle of an apply ---------------------------------------------------------
def kill_apply(args: argparse.Namespace, workdir: Path) -> Figures:
    site = new_site(args, workdir / "kill-apply" / "var", args.lease)
    started = time.perf_counter()
    rows = site.prepare(args.rows)
    say(f"site ready: {rows:,} grade rows in the file ({time.perf_counter() - started:.0f} s)")
    before = site.grade_count()
    first = site.start_worker(pool=args.pool)
    second = None
    try:
        job_id, status, error = site.upload_and_confirm(pause=first, timeout=900)
        assert status == "applying", error or site.worker_log()
        resume(first)
        confirmed = time.perf_counter()
        seen = wait_until(
            lambda: site.progress(job_id), lambda p: p is not None and p >= args.kill_at, 900
        )
        kill_hard(first)
        killed = time.perf_counter()
        left = site.job(job_id)
        written, changes = site.grade_count() - before, site.change_count(job_id)
        say(f"killed at {seen} % after {killed - confirmed:.1f} s: {written} rows written")

        second = site.start_worker(pool=args.pool)
        restarted = time.perf_counter()
        failed = site.wait_for_status(job_id, {"failed", "applied"}, timeout=600)
        recovered = time.perf_counter()
        say(f"recovered after {recovered - restarted:.1f} s: {failed}")

        assert site.confirm(job_id) == "applying"
        applied = site.wait_for_status(job_id, {"applied", "failed"}, timeout=1800)
        after = site.grade_count() - before
    finally:
        kill_hard(first)
        stop(second, timeout=900)
    raw = site.query("SELECT timings FROM bulkio_importjob WHERE id = ?", job_id)[0][0]
    timings = raw if isinstance(raw, dict) else json.loads(raw or "{}")
    return [
        ("grade rows in the file", f"{rows:,}"),
        ("preview (worker)", f"{timings.get('preview', 0):.1f} s"),
        ("SIGKILL of the worker's process group at", f"{seen} % ({killed - confirmed:.1f} s)"),
        ("rows / change records written by the killed apply", f"{written} / {changes}"),
        ("job status right after the kill", left["status"]),
        ("lease lifetime (SMS_JOB_LEASE_SECONDS)", f"{args.lease} s"),
        ("new worker start → job failed with the reason", f"{recovered - restarted:.1f} s"),
        ("the reason", failed["error_message"]),
        ("apply again: the apply step (job timings)", f"{timings.get('apply', 0):.1f} s"),
        ("rows written by the retry", f"{after:,} ({applied['status']})"),
    ]


# --- A full disk during an export ----------------------------------------------------------
SEED_STUDENTS = """
import json
from django.core.management import call_command
from apps.academics.models import Student
from apps.accounts.models import User
call_command("migrate", verbosity=0, skip_checks=True)
User.objects.create(username="fault-admin", role="admin", is_staff=True, password="!")
Student.objects.bulk_create(
    (Student(student_id=f"D{{n:06d}}", first_name="Δοκιμή", last_name=f"Last{{n}}",
             email=f"d{{n:06d}}@example.org", notes="x" * 40) for n in range({count})),
    batch_size=5000,
)
print(json.dumps(Student.objects.count()))
"""

START_EXPORT = """
import json
from apps.academics.filtering import RecordFilters
from apps.accounts.models import User
from apps.bulkio import export_jobs, exporting
request = exporting.make_request("students", "csv", [], RecordFilters())
job = export_jobs.start_export(user=User.objects.get(username="fault-admin"), request=request)
print(json.dumps(job.pk))
"""

DOWNLOAD = """
import json
from django.test import Client
from apps.accounts.models import User
client = Client()
client.force_login(User.objects.get(username="fault-admin"))
response = client.get("/api/v1/exports/{job_id}/download/")
body = b"".join(response.streaming_content) if response.streaming else response.content
print(json.dumps([response.status_code, len(body)]))
"""


@contextlib.contextmanager
def tmpfs(path: Path, size_mb: int) -> Iterator[None]:
    path.mkdir(parents=True, exist_ok=True)
    subprocess.run(  # noqa: S603 - fixed argv
        ["mount", "-t", "tmpfs", "-o", f"size={size_mb}m", "tmpfs", str(path)],  # noqa: S607
        check=True,
        capture_output=True,
    )
    try:
        yield
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)  # noqa: S603, S607


def free_bytes(path: Path) -> int:
    stats = os.statvfs(path)
    return stats.f_bavail * stats.f_frsize


def fill(path: Path, leave: int) -> Path:
    """A file that leaves ``leave`` bytes free on the file system of ``path``."""
    filler = path / "filler"
    with open(filler, "wb") as handle:
        remaining = free_bytes(path) - leave
        block = b"\0" * 1_048_576
        while remaining > 0:
            remaining -= handle.write(block[: min(len(block), remaining)])
    return filler


def files_under(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


def export_once(site: Site) -> tuple[dict, float]:
    """Ask for the export; its job once done, and the seconds from asking to done."""
    job_id = livestack.run_python(site.env, START_EXPORT)
    columns = ("id", "status", "error_message", "size", "created_at", "finished_at")
    read = lambda: site.query(  # noqa: E731
        f"SELECT {', '.join(columns)} FROM bulkio_exportjob WHERE id = ?", job_id
    )[0]
    job = dict(
        zip(columns, wait_until(read, lambda r: r[1] in ("ready", "failed"), 600), strict=True)
    )
    seconds = (as_datetime(job["finished_at"]) - as_datetime(job["created_at"])).total_seconds()
    return job, seconds


def as_datetime(value) -> dt.datetime:
    return value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(value)


def disk_full(args: argparse.Namespace, workdir: Path) -> Figures:
    if args.database_url:
        return [("disk-full", "skipped: runs on SQLite under the tmpfs only")]
    var_dir = workdir / "disk-full" / "var"
    with contextlib.ExitStack() as stack:
        try:
            stack.enter_context(tmpfs(var_dir, args.tmpfs_mb))
        except (subprocess.CalledProcessError, OSError) as error:
            return [("disk-full", f"skipped: cannot mount a tmpfs here ({error})")]
        site = new_site(args, var_dir, args.lease)
        students = livestack.run_python(site.env, SEED_STUDENTS.format(count=args.students))
        worker = site.start_worker(pool=args.pool)
        stack.callback(stop, worker, 120)
        filler = fill(var_dir, leave=1_048_576)
        free_before = free_bytes(var_dir)
        failed, fail_seconds = export_once(site)
        left = files_under(var_dir / "media" / "exports")
        download = livestack.run_python(site.env, DOWNLOAD.format(job_id=failed["id"]))
        free_after = free_bytes(var_dir)
        filler.unlink()
        ready, ready_seconds = export_once(site)
        whole = livestack.run_python(site.env, DOWNLOAD.format(job_id=ready["id"]))
    return [
        ("var/ file system", f"tmpfs {args.tmpfs_mb} MB, SQLite and media on it"),
        ("students exported (CSV)", f"{students:,}"),
        ("free space when the export starts", f"{free_before / 1e6:.1f} MB"),
        ("export → job failed", f"{fail_seconds:.1f} s, {failed['status']}"),
        ("the reason", failed["error_message"]),
        ("files left under media/exports", str(len(left))),
        ("free space after the failure", f"{free_after / 1e6:.1f} MB"),
        ("download of the failed job", f"HTTP {download[0]}"),
        ("same export once space is back", f"{ready_seconds:.1f} s, {ready['status']}"),
        ("its file (stored size / downloaded)", f"{ready['size']:,} / {whole[1]:,} B"),
    ]


SCENARIOS: dict[str, Callable[[argparse.Namespace, Path], Figures]] = {
    "kill-apply": kill_apply,
    "disk-full": disk_full,
}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenario", choices=[*SCENARIOS, "all"], default="all")
    parser.add_argument("--redis-url", default="", help="default: a redis-server of its own")
    parser.add_argument("--database-url", default="", help="an empty database; default SQLite")
    parser.add_argument("--rows", type=int, default=100_000, help="kill-apply: grade rows")
    parser.add_argument("--kill-at", type=int, default=75, help="kill-apply: progress %%")
    parser.add_argument("--lease", type=int, default=30, help="SMS_JOB_LEASE_SECONDS")
    parser.add_argument("--pool", default="prefork", help="the workers' Celery pool")
    parser.add_argument("--students", type=int, default=50_000, help="disk-full: students")
    parser.add_argument("--tmpfs-mb", type=int, default=96, help="disk-full: size of var/")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="sms-faults-"))
    redis = None
    try:
        if not args.redis_url:
            port = livestack.free_port()
            redis = livestack.start_redis(port, workdir)
            args.redis_url = f"redis://127.0.0.1:{port}/0"
        chosen = list(SCENARIOS) if args.scenario == "all" else [args.scenario]
        for name in chosen:
            say(f"\n== {name}")
            figures = SCENARIOS[name](args, workdir)
            say(f"\n| {name} | measured |\n| --- | --- |")
            for label, value in figures:
                say(f"| {label} | {value} |")
    finally:
        livestack.stop(redis)
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
