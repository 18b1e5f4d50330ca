"""A throw-away site under daphne for browser tests that need a live WebSocket.

One daphne process with the in-memory channel layer (no REDIS_URL) on a fresh SQLite
database, so a toast pushed to a student signed in elsewhere is real; ``setup`` is Python
run in the site's environment to create its data, printing a JSON object of ids.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests import chromium
from tests.support import livestack


@contextmanager
def live_site(var_dir: Path, setup: str) -> Iterator[dict]:
    if not Path(chromium.CHROMIUM).exists():
        pytest.skip(f"Chromium not found at {chromium.CHROMIUM}")
    env = livestack.site_env(var_dir, "", DJANGO_ALLOW_ASYNC_UNSAFE="true")
    livestack.migrate(env)
    ids = livestack.run_python(env, setup)
    port = livestack.free_port()
    process = livestack.start_daphne(env, port)
    try:
        yield {"url": f"http://127.0.0.1:{port}", "ids": ids}
    finally:
        livestack.stop(process)


def signed_in(browser, url: str, username: str, password: str):
    """A new context signed in as ``username``: (context, page, console errors)."""
    context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.on("pageerror", lambda error: errors.append(f"page error: {error}"))
    page.goto(url + "/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_url(url + "/")
    return context, page, errors
