"""What people do and see in the scenarios: log in, read the bell, the toasts, a figure.

Waits are Playwright locators and ``expect``: the site's Content-Security-Policy forbids
string evaluation, so nothing here asks the page to evaluate text.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlencode

from playwright.sync_api import Page, expect

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "e2e"
LIVE_TIMEOUT = 20_000  # ms: a worker, the channel layer and a socket between the act and it
# A page that answers in well under a second on a quiet machine may take a few on a busy
# one (set for expect() by the e2e session, not at import: other runs collect this too).
EXPECT_TIMEOUT = 15_000


class People:
    """One browser context per person, each logged in through the login page."""

    def __init__(self, browser, base_url: str, password: str) -> None:
        self.browser, self.base_url, self.password = browser, base_url, password
        self.pages: dict[str, Page] = {}

    def log_in(self, username: str, *, to: str = "/", locale: str = "en-GB") -> Page:
        """Log in through the login page and land on ``to`` (the login's ``next``)."""
        context = self.browser.new_context(
            viewport={"width": 1280, "height": 900}, locale=locale, accept_downloads=True
        )
        context.set_default_timeout(15_000)
        context.add_init_script(script=TOAST_RECORDER)
        page = context.new_page()
        page.goto(f"{self.base_url}/accounts/login/?{urlencode({'next': to})}")
        page.fill("#id_username", username)
        page.fill("#id_password", self.password)
        page.click("button[type=submit]")
        page.wait_for_url(self.base_url + to)
        self.pages[username] = page
        return page

    def url(self, path: str) -> str:
        return self.base_url + path

    def screenshot_all(self, folder: Path, name: str) -> None:
        for username, page in self.pages.items():
            try:
                page.screenshot(path=str(folder / f"{name}-{username}.png"), timeout=10_000)
            except Exception as error:  # noqa: BLE001 - a closed page must not hide the failure
                print(f"no screenshot of {username}: {error}")

    def close(self) -> None:
        for page in self.pages.values():
            page.context.close()
        self.pages.clear()


def wait_live(page: Page) -> None:
    """The notifications socket is open (the bell says so with ``is-live``)."""
    expect(page.locator("#notif-bell.is-live")).to_have_count(1, timeout=LIVE_TIMEOUT)


def bell(page: Page):
    return page.locator("#notif-bell [data-notif-badge]")


def expect_bell_count(page: Page, count: int) -> None:
    """The badge shows ``count`` (hidden when there is nothing unread)."""
    badge = bell(page)
    if count:
        expect(badge).to_be_visible(timeout=LIVE_TIMEOUT)
        expect(badge).to_have_text(str(count), timeout=LIVE_TIMEOUT)
    else:
        expect(badge).to_be_hidden(timeout=LIVE_TIMEOUT)


# Toasts leave after 8 s, sooner than a busy machine may get round to looking: every page
# records the ones it shows (added before the page's own scripts run, like an extension;
# Playwright adds it outside the page's Content-Security-Policy).
TOAST_RECORDER = """
(() => {
  window.__e2eToasts = [];
  new MutationObserver((records) => {
    for (const record of records) {
      for (const node of record.addedNodes) {
        if (node.nodeType === 1 && node.classList.contains("notif-toast")) {
          const close = node.querySelector(".notif-toast-close");
          window.__e2eToasts.push({
            text: node.textContent,
            closeLabel: close ? close.getAttribute("aria-label") : null,
          });
        }
      }
    }
  }).observe(document, { childList: true, subtree: true });
})();
"""


def expect_toast(page: Page, text: str) -> dict:
    """Wait until the page has shown a toast containing ``text``; what it showed."""
    shown = page.wait_for_function(
        "(text) => (window.__e2eToasts || []).find((toast) => toast.text.includes(text))",
        arg=text,
        timeout=LIVE_TIMEOUT,
    )
    return shown.json_value()


def toasts(page: Page) -> list[dict]:
    return page.evaluate("() => window.__e2eToasts || []")


def kpi(page: Page, name: str):
    return page.locator(f"#analytics-kpis [data-kpi={name}]")


def accept_next_dialog(page: Page) -> None:
    """The next ``window.confirm`` (a form's ``data-confirm``) is answered OK."""
    page.once("dialog", lambda dialog: dialog.accept())


def upload_import(page: Page, base_url: str, *, resource: str, name: str, data: bytes) -> None:
    """The import page: choose what the file holds, the file, upload and preview."""
    page.goto(base_url + "/bulk/imports/new/")
    page.select_option("#id_resource", resource)
    page.set_input_files(
        "#id_file", files=[{"name": name, "mimeType": mime_type(name), "buffer": data}]
    )
    page.locator("#import-upload button[type=submit]").click()
    page.wait_for_url(re.compile(r".*/bulk/imports/\d+/$"))


def mime_type(name: str) -> str:
    if name.endswith(".xlsx"):
        return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return "text/csv"


def import_status(page: Page):
    return page.locator("#import-status [data-status]")


def expect_import_step(page: Page, wanted: str, timeout: float = 120_000) -> None:
    """Wait while the job runs (the page polls its status by itself); a failed job fails
    at once, with the message the page shows."""
    status = import_status(page)
    expect(status).to_have_attribute(
        "data-status", re.compile(f"^({wanted}|failed)$"), timeout=timeout
    )
    if status.get_attribute("data-status") == "failed":
        shown = page.locator("#import-status").inner_text()
        raise AssertionError(f"the import failed instead of reaching {wanted}: {shown}")
