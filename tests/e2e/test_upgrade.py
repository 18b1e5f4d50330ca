"""An upgrade from the previous release: its code makes data on its own migration state,
this release migrates forward and shows the same students, grades and figures, then the
database goes back to the previous state and the previous release reads its data again.

The previous release is ``PREVIOUS_RELEASE``, the commit 1.16.0's work started from (no
release was tagged before 1.16.0; after it, this becomes the last release's tag). Its
code comes out of git (``git archive``) and runs with this checkout's virtualenv.

The database is a schema of its own on the staged PostgreSQL server (the stack's role
owns its database but may not create another), so the running stack is not disturbed;
on a stack without PostgreSQL it is an SQLite file. The pages are served by a daphne of
this release started by the test against that schema, with no Redis (the running stack's
cache would mix the two databases' figures).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest
from playwright.sync_api import expect

from tests.e2e import pages
from tests.e2e.school import MIDTERM, RULES, TERM_ITEMS
from tests.e2e.stack import BASE_DIR, StackError, call_script
from tests.support.livestack import free_port, wait_for_port

pytestmark = pytest.mark.e2e

PREVIOUS_RELEASE = "60e838ad95c0981990e250e0fe4ce6a3742081b2"
MIDTERMS = (40, 65, 90)
FINAL = 90  # the first student's final exam


def git(*args: str) -> str:
    result = subprocess.run(  # noqa: S603 - fixed git commands
        ["git", *args],
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        check=False,  # noqa: S607
    )
    if result.returncode != 0:
        pytest.fail(f"git {args[0]} failed (a clone with its history is needed):\n{result.stderr}")
    return result.stdout


def require_previous_release() -> None:
    """The previous release's commit must be in this clone; a shallow one lacks it."""
    found = subprocess.run(  # noqa: S603 - a fixed git command
        ["git", "cat-file", "-e", f"{PREVIOUS_RELEASE}^{{commit}}"],  # noqa: S607
        cwd=BASE_DIR,
        capture_output=True,
        check=False,
    )
    if found.returncode != 0:
        pytest.fail(
            f"The previous release ({PREVIOUS_RELEASE[:12]}) is not in this clone's git "
            "history (a shallow clone?): fetch the full history first, e.g. "
            "`git fetch --unshallow`.",
            pytrace=False,
        )


def previous_tree(folder: Path) -> Path:
    tree = folder / "previous"
    tree.mkdir()
    archive = subprocess.run(  # noqa: S603
        ["git", "archive", PREVIOUS_RELEASE],  # noqa: S607
        cwd=BASE_DIR,
        capture_output=True,
        check=False,
    )
    if archive.returncode != 0:
        pytest.fail(f"git archive {PREVIOUS_RELEASE} failed:\n{archive.stderr.decode()}")
    subprocess.run(["tar", "-x", "-C", str(tree)], input=archive.stdout, check=True)  # noqa: S603, S607
    return tree


def previous_state() -> dict[str, str]:
    """The last migration of each project app in the previous release."""
    latest: dict[str, str] = {}
    for path in git("ls-tree", "-r", "--name-only", PREVIOUS_RELEASE, "apps").split():
        parts = Path(path).parts
        if len(parts) == 4 and parts[2] == "migrations" and parts[3][:4].isdigit():
            app, name = parts[1], parts[3].removesuffix(".py")
            latest[app] = max(latest.get(app, name), name)
    return latest


def database_url(stack, schema: str, folder: Path) -> str:
    """A schema of its own on the stack's PostgreSQL, else an SQLite file."""
    db = stack.call("upgrade", "database")
    if db["vendor"] != "postgresql":
        return f"sqlite:///{folder / 'upgrade.sqlite3'}"
    stack.call("upgrade", "create_schema", schema=schema)
    credentials = f"{quote(db['user'], safe='')}:{quote(db['password'], safe='')}"
    location = f"{db['host'] or '127.0.0.1'}:{db['port'] or 5432}/{db['name']}"
    # Commits without waiting for the disk: the migrations' many small transactions are
    # what this scenario is about, not the server's durability.
    options = f"-c search_path={schema} -c synchronous_commit=off"
    return f"postgres://{credentials}@{location}?options={quote(options)}"


def site_env(url: str, folder: Path, **extra: str) -> dict[str, str]:
    keep = ("PATH", "HOME", "LANG", "TMPDIR")
    return {
        **{key: os.environ[key] for key in keep if key in os.environ},
        "DJANGO_SETTINGS_MODULE": "sms.settings",
        "DATABASE_URL": url,
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SMS_VAR_DIR": str(folder / "var"),
        "PYTHONUNBUFFERED": "1",
        **extra,
    }


def manage_in(tree: Path, env: dict[str, str]):
    def manage(*args: str, timeout: float = 300, env_extra=None) -> str:
        result = subprocess.run(  # noqa: S603
            [sys.executable, "manage.py", *args],
            cwd=tree,
            env={**env, **(env_extra or {})},
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if result.returncode != 0:
            raise StackError(
                f"{tree.name}: manage {' '.join(args[:2])} failed ({result.returncode}):\n"
                f"{result.stdout[-3000:]}\n{result.stderr[-5000:]}"
            )
        return result.stdout

    return manage


@contextlib.contextmanager
def web_server(env: dict[str, str], log: Path):
    """This release's daphne on a free port, against the upgraded database."""
    port = free_port()
    with open(log, "ab") as output:
        process = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port),
             "sms.asgi:application"],
            cwd=BASE_DIR, env=env, stdout=output, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        wait_for_port(port, 60)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def school_params(tag: str, password: str) -> dict:
    names = [("Γιώργος", "Παπαδόπουλος"), ("Ελένη", "Αλεξίου"), ("Νίκος", "Οικονόμου")]
    final_category, (final_name,), _grade, _date = TERM_ITEMS[-1]
    students = []
    for n, ((first, last), midterm) in enumerate(zip(names, MIDTERMS, strict=True)):
        grades = [{"assignment_name": MIDTERM[1], "category": MIDTERM[0], "grade": midterm}]
        if n == 0:
            grades.append(
                {"assignment_name": final_name, "category": final_category, "grade": FINAL}
            )
        students.append(
            {"student_id": f"U{tag}{n:03d}", "first_name": first, "last_name": last,
             "email": f"u{tag.lower()}{n}@example.org", "account": n == 0, "grades": grades}
        )  # fmt: skip
    return {
        "teacher": f"teacher{tag}",
        "student": f"student{tag}",
        "password": password,
        "course_code": f"UPG{tag}",
        "rules": RULES,
        "students": students,
    }


def test_upgrade_from_previous_release_keeps_data_on_pages_and_migrates_back(
    stack, browser, tag, password, tmp_path
):
    require_previous_release()
    schema = f"upgrade_{tag.lower()}"
    url = database_url(stack, schema, tmp_path)
    try:
        run_upgrade(browser, tag, password, tmp_path, url)
    finally:
        if url.startswith("postgres"):
            stack.call("upgrade", "drop_schema", schema=schema)


def run_upgrade(browser, tag: str, password: str, folder: Path, url: str) -> None:
    previous = manage_in(previous_tree(folder), site_env(url, folder, DEBUG="1"))
    current_env = site_env(url, folder, DEBUG="0", SMS_PLAIN_HTTP="1")
    current = manage_in(BASE_DIR, current_env)
    params = school_params(tag, password)
    made = call_script(previous, "previous_release", "migrate_and_seed", params)

    current("migrate", "--noinput", "-v", "0")

    with web_server(current_env, folder / "daphne.log") as base_url:
        people = pages.People(browser, base_url, password)
        try:
            check_pages(people, params, made)
        except BaseException:
            pages.ARTIFACTS.mkdir(parents=True, exist_ok=True)
            people.screenshot_all(pages.ARTIFACTS, "upgrade")
            raise
        finally:
            people.close()
    call_script(current, "upgrade", "migrate_back", {"targets": previous_state()})
    after = call_script(previous, "previous_release", "check_and_summary", params)
    assert after["plan"].endswith("No planned migration operations.")
    assert after["unknown_applied"] == []
    assert after["summary"] == made


def check_pages(people, params: dict, made: dict) -> None:
    teacher = people.log_in(params["teacher"], to=f"/courses/{made['course_id']}/")
    roster = teacher.locator("main")
    for _pk, student_id, last, first in made["students"]:
        expect(roster).to_contain_text(student_id)
        expect(roster).to_contain_text(f"{last} {first}")
    teacher.goto(people.url("/analytics/"))
    # Final grades (midterm and final weigh the same): (40 + 90) / 2, 65 and 90.
    expect(pages.kpi(teacher, "average_grade")).to_have_text("73.33")
    expect(pages.kpi(teacher, "students")).to_have_text("3")
    student = people.log_in(params["student"], to=f"/students/{made['students'][0][0]}/")
    card = student.locator(".result-card").filter(has_text=params["course_code"])
    expect(card.locator(".big-grade")).to_have_text("65.00")  # (40 + 90) / 2
    expect(card).to_contain_text(TERM_ITEMS[-1][0])  # the final exam's category
