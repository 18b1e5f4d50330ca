"""The stack the end-to-end scenarios run against, and how they talk to it.

Either one that is already running (``SMS_E2E_URL``, with ``SMS_E2E_MANAGE`` the command
prefix that runs manage.py against it), or the production shape on this machine, brought
up once for the session by ``tests/support/staged.py`` (``scripts/stage up`` in a folder
of its own, shared with the stage checks) and taken down at the end.

Data is made with ``manage shell``: a script from ``tests/e2e/shell/`` defines functions,
one of them is called with JSON parameters and prints its JSON answer on a marked line.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]
SHELL_DIR = Path(__file__).resolve().parent / "shell"
STAGE = BASE_DIR / "scripts" / "stage"
RESULT_MARK = "E2E-RESULT "


class StackError(RuntimeError):
    """A command against the stack failed; the message carries its output."""


@dataclass
class Stack:
    url: str
    manage_prefix: list[str]
    env: dict[str, str] = field(default_factory=lambda: dict(os.environ))
    stage_dir: Path | None = None

    def manage(self, *args: str, timeout: float = 300, env: dict | None = None) -> str:
        """Run manage.py against the stack; its standard output, or StackError."""
        result = subprocess.run(  # noqa: S603 - argv from our own configuration
            [*self.manage_prefix, *args],
            cwd=BASE_DIR,
            env={**self.env, **(env or {})},
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if result.returncode != 0:
            raise StackError(
                f"manage {args[0]} failed ({result.returncode}):\n"
                f"{result.stdout[-3000:]}\n{result.stderr[-5000:]}"
            )
        return result.stdout

    def call(self, script: str, function: str, **params) -> object:
        """Call ``function(params)`` of ``shell/<script>.py`` inside ``manage shell``."""
        return call_script(self.manage, script, function, params)

    def get(self, path: str, timeout: float = 10) -> tuple[int, bytes]:
        try:
            with urllib.request.urlopen(self.url + path, timeout=timeout) as response:  # noqa: S310
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()


def call_script(manage, script: str, function: str, params: dict) -> object:
    """Run one function of a shell script with ``manage`` (a callable taking argv)."""
    source = (SHELL_DIR / f"{script}.py").read_text(encoding="utf-8")
    call = (
        "\nimport json as _json\n"
        f"_result = {function}(_json.loads({json.dumps(params, ensure_ascii=False)!r}))\n"
        f"print({RESULT_MARK!r} + _json.dumps(_result, ensure_ascii=False, default=str))\n"
    )
    output = manage("shell", "-v", "0", "-c", source + call)
    for line in reversed(output.splitlines()):
        if line.startswith(RESULT_MARK):
            return json.loads(line[len(RESULT_MARK) :])
    raise StackError(f"{script}.{function} printed no result:\n{output[-3000:]}")


# --- Starting and stopping -------------------------------------------------------------------
def external_stack() -> Stack | None:
    """The stack named by SMS_E2E_URL / SMS_E2E_MANAGE, when both are set."""
    url = os.environ.get("SMS_E2E_URL", "").rstrip("/")
    if not url:
        return None
    manage = shlex.split(os.environ.get("SMS_E2E_MANAGE", ""))
    if not manage:
        raise StackError("SMS_E2E_URL is set but SMS_E2E_MANAGE (the manage.py command) is not")
    return Stack(url=url, manage_prefix=manage)


def wait_until_answers(stack: Stack, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            status, _body = stack.get("/accounts/login/")
        except OSError:
            status = 0
        if status == 200:
            return
        if time.monotonic() > deadline:
            raise StackError(f"{stack.url} did not answer the login page (last status {status})")
        time.sleep(0.5)
