"""One staged stack for a whole pytest session, shared by the stage checks
(``tests/test_stage.py``) and the end-to-end scenarios (``tests/e2e``).

The first fixture that asks for it starts a local SMTP sink, then ``scripts/stage up
--web 2`` in a temporary folder with EMAIL_* pointing at the sink; ``scripts/stage down``
runs at the end of the session. ``pytest -m "stage or e2e" tests/test_stage.py tests/e2e``
so brings the stack up once for both (``tests/e2e/conftest.py`` runs the stage tests that
stop and start the stack after every scenario, see ``restarts_the_stack``); each of
``pytest -m stage tests/test_stage.py`` and ``pytest -m e2e tests/e2e`` still works alone.

A failed run keeps the stage's output and logs in ``test-artifacts/stage/``;
``SMS_E2E_KEEP=1`` keeps the whole stage folder.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.e2e.smtp_sink import SMTPSink
from tests.support.livestack import free_port

BASE_DIR = Path(__file__).resolve().parents[2]
STAGE = BASE_DIR / "scripts" / "stage"
ARTIFACTS = BASE_DIR / "test-artifacts" / "stage"
WEB_PROCESSES = "2"
RESTARTS = "restarts_the_stack"
# The first start on a fresh machine installs packages and creates the database.
UP_TIMEOUT = float(os.environ.get("SMS_E2E_UP_TIMEOUT", "900"))


@dataclass
class StagedStack:
    """The stack in ``dir`` (``SMS_STAGE_DIR``): its ``stage.env`` and the SMTP sink its
    EMAIL_PORT names."""

    dir: Path
    sink: SMTPSink
    caller_env: dict[str, str]  # what scripts/stage is called with
    env: dict[str, str] = field(default_factory=dict)  # stage.env: what its processes get

    @property
    def url(self) -> str:
        return self.env["SMS_STAGE_URL"].rstrip("/")

    def run(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        """``scripts/stage ARGS`` with the session's environment (an ``up`` again keeps the
        email settings); its output captured."""
        return subprocess.run(  # noqa: S603 - our own script
            [str(STAGE), *args],
            cwd=BASE_DIR,
            env=self.caller_env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def manage(self, *args: str) -> str:
        """``scripts/stage manage ARGS``: manage.py against the stack; its output."""
        result = self.run("manage", *args, timeout=120)
        assert result.returncode == 0, result.stderr
        return result.stdout

    def read_env(self) -> dict[str, str]:
        self.env = read_env_file(self.dir / "stage.env")
        return self.env


def read_env_file(path: Path) -> dict[str, str]:
    """stage.env: one shell-quoted ``KEY=value`` a line."""
    values = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        name, value = line.removeprefix("export ").split("=", 1)
        values[name.strip()] = (shlex.split(value) or [""])[0]
    return values


def email_env(sink: SMTPSink) -> dict[str, str]:
    return {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": sink.host,
        "EMAIL_PORT": str(sink.port),
        "EMAIL_USE_TLS": "0",
        "DEFAULT_FROM_EMAIL": "sms@example.org",
    }


# --- One per session ------------------------------------------------------------------------
_SHARED = pytest.StashKey["StagedStack | str"]()


def shared_stack(request: pytest.FixtureRequest) -> StagedStack:
    """The session's stack, brought up by the first (session-scoped) fixture that asks;
    its finalizer takes it down at the end of the session. A start that failed fails
    every later asker at once with the same message instead of starting again."""
    stash = request.session.stash
    if _SHARED not in stash:
        needed = ("nginx", "redis-server", "pg_ctlcluster")
        if os.geteuid() != 0 and not all(map(shutil.which, needed)):
            pytest.skip("scripts/stage needs root once to install nginx, Redis and PostgreSQL")
        try:
            stash[_SHARED] = _bring_up(request.addfinalizer, request.session)
        except Exception as error:
            stash[_SHARED] = f"scripts/stage up did not finish: {error}"
            raise
    shared = stash[_SHARED]
    if isinstance(shared, str):
        pytest.fail(shared, pytrace=False)
    return shared


def _bring_up(addfinalizer: Callable, session: pytest.Session) -> StagedStack | str:
    # Not pytest's tmp_path: its parents are private, and PostgreSQL and nginx run as
    # users of their own that must enter the folder.
    folder = Path(tempfile.mkdtemp(prefix="sms-stage-"))
    folder.chmod(0o755)
    sink = SMTPSink(free_port()).start()
    stage_dir, log = folder / "stage", folder / "stage.log"
    env = {**os.environ, **email_env(sink), "SMS_STAGE_DIR": str(stage_dir)}
    staged = StagedStack(dir=stage_dir, sink=sink, caller_env=env)
    up = False

    def take_down() -> None:
        started = time.monotonic()
        down = staged.run("down", timeout=300)
        with open(log, "a", encoding="utf-8") as output:
            output.write(down.stdout + down.stderr)
        print(f"\nscripts/stage down (end of session): {time.monotonic() - started:.1f} s")
        sink.stop()
        if not up or session.testsfailed:
            keep_logs(folder)
        if os.environ.get("SMS_E2E_KEEP") == "1":
            print(f"stage folder kept: {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)

    addfinalizer(take_down)
    started = time.monotonic()
    result = staged.run("up", "--web", WEB_PROCESSES, timeout=UP_TIMEOUT)
    output = result.stdout + result.stderr
    log.write_text(output, encoding="utf-8")
    if result.returncode != 0:
        return f"scripts/stage up failed ({result.returncode}):\n{output[-5000:]}"
    staged.read_env()
    up = True
    print(f"\nscripts/stage up: {time.monotonic() - started:.1f} s, {staged.url}")
    return staged


def keep_logs(folder: Path) -> None:
    """The stage's output and logs, for a failed run to be read later."""
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    ARTIFACTS.mkdir(parents=True)
    if (folder / "stage.log").exists():
        shutil.copy2(folder / "stage.log", ARTIFACTS / "stage.log")
    logs = folder / "stage" / "logs"
    if logs.is_dir():
        shutil.copytree(logs, ARTIFACTS / "logs")
    print(f"stage logs kept in {ARTIFACTS}")


# --- Order ----------------------------------------------------------------------------------
def restarts_the_stack(test: Callable) -> Callable:
    """Marks a stage test that stops or starts the shared stack: it runs after every
    other test of the session (``run_restarts_last``), the end-to-end scenarios included."""
    setattr(test, RESTARTS, True)
    return test


def run_restarts_last(items: list[pytest.Item]) -> None:
    """Move the tests marked ``restarts_the_stack`` to the end, in their own order."""
    last = [item for item in items if getattr(getattr(item, "obj", None), RESTARTS, False)]
    if last:
        items[:] = [item for item in items if item not in last] + last
