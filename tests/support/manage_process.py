"""``manage.py`` in a process of its own, as a user runs it: for what a test process
cannot show in itself (a database file of its own, a command's own process)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterable, Mapping

from django.conf import settings


def run_manage(
    *args: str,
    env: Mapping[str, str] = {},
    without: Iterable[str] = ("DATABASE_URL", "REDIS_URL"),
    timeout: int = 180,
) -> subprocess.CompletedProcess:
    """``manage.py *args`` with this environment less ``without`` plus ``env``; its
    output captured as text, its exit status left to the caller."""
    environment = {name: value for name, value in os.environ.items() if name not in without}
    environment.update(env)
    return subprocess.run(  # noqa: S603 - this interpreter, the project's manage.py
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
