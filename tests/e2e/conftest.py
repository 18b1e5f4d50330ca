"""End-to-end scenarios: Debian's Chromium against the production shape running here.

They run only when asked for with ``-m e2e`` (``pytest -p no:cacheprovider -m e2e
tests/e2e``, or ``-m "stage or e2e" tests/test_stage.py tests/e2e`` with the stage checks
on the same stack); any other selection, ``-m "not browser"`` and ``-m browser``
included, leaves them out. The session's stack comes from ``tests/support/staged.py``: a
local SMTP sink, then ``scripts/stage up`` in a temporary folder with EMAIL_* pointing at
the sink, and ``scripts/stage down`` at the end. With ``SMS_E2E_URL`` and
``SMS_E2E_MANAGE`` set they use that running stack instead (and ``SMS_E2E_SMTP_PORT``, the
port its EMAIL_PORT names, for the email scenario).

Every person in a scenario has a browser context of their own and logs in through the
login page. A failed scenario leaves a screenshot of each person's page in
test-artifacts/e2e/, and a failed run the stage's logs in test-artifacts/stage/
(``SMS_E2E_KEEP=1`` keeps the whole stage folder).
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.chromium import CHROMIUM, launch
from tests.e2e import pages
from tests.e2e.smtp_sink import SMTPSink
from tests.e2e.stack import STAGE, Stack, external_stack, wait_until_answers
from tests.support import staged

E2E_DIR = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config, items):
    """Leave the scenarios out of every run that does not ask for ``e2e`` by name; in one
    that does, the stage tests that stop and start the shared stack go after them."""
    if "e2e" in (config.getoption("markexpr") or ""):
        staged.run_restarts_last(items)
        return
    mine = [item for item in items if E2E_DIR in Path(str(item.fspath)).parents]
    if mine:
        config.hook.pytest_deselected(items=mine)
        items[:] = [item for item in items if item not in mine]


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"e2e_report_{report.when}", report)


# --- The stack -------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def smtp_sink(request) -> Iterator[SMTPSink | None]:
    """The sink the stack's EMAIL_PORT names: the session stack's own, or for a running
    stack one started here on SMS_E2E_SMTP_PORT (None without it)."""
    if not os.environ.get("SMS_E2E_URL"):
        yield staged.shared_stack(request).sink
        return
    if not os.environ.get("SMS_E2E_SMTP_PORT"):
        yield None
        return
    sink = SMTPSink(int(os.environ["SMS_E2E_SMTP_PORT"])).start()
    yield sink
    sink.stop()


@pytest.fixture(scope="session")
def stack(request, smtp_sink) -> Stack:
    running = external_stack()
    if running is not None:
        wait_until_answers(running)
        return running
    if not STAGE.exists():
        pytest.fail("scripts/stage is missing: it brings up the stack these scenarios need")
    shared = staged.shared_stack(request)
    stack = Stack(
        url=shared.url,
        manage_prefix=[str(STAGE), "manage"],
        env=shared.caller_env,
        stage_dir=shared.dir,
    )
    wait_until_answers(stack)
    return stack


@pytest.fixture(scope="session")
def password() -> str:
    """One strong password for every account the scenarios make (the stack's validators
    and hasher are the production ones)."""
    return "e2e-" + secrets.token_urlsafe(18)


@pytest.fixture
def tag() -> str:
    """A short suffix that keeps each scenario's users, courses and students apart on a
    stack that keeps its data between runs."""
    return secrets.token_hex(3).upper()


# --- Browsers --------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}")
    sync_api.expect.set_options(timeout=pages.EXPECT_TIMEOUT)
    with sync_api.sync_playwright() as playwright:
        browser = launch(playwright)
        yield browser
        browser.close()


@pytest.fixture
def people(request, browser, stack, password):
    """``people.log_in(username, to=path)`` opens a browser context of its own for that
    person and logs in; a failed scenario leaves each one's screenshot."""
    crowd = pages.People(browser, stack.url, password)
    yield crowd
    failed = getattr(request.node, "e2e_report_call", None)
    if failed is not None and failed.failed:
        pages.ARTIFACTS.mkdir(parents=True, exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
        crowd.screenshot_all(pages.ARTIFACTS, name)
    crowd.close()
