"""Debian's Chromium for the browser tests: its path and flags in one place.

Playwright drives the system browser (never a downloaded one). Without the background
networking flags Chromium keeps trying hosts this closed network refuses.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

CHROMIUM = os.environ.get("SMS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def launch(playwright):
    return playwright.chromium.launch(headless=True, executable_path=CHROMIUM, args=CHROMIUM_ARGS)


@contextmanager
def browser_context(**options) -> Iterator:
    """A fresh browser and context; Django may be called from Playwright's event loop."""
    sync_api = pytest.importorskip("playwright.sync_api")
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_api.sync_playwright() as playwright:
        browser = launch(playwright)
        context = browser.new_context(**options)
        try:
            yield context
        finally:
            context.close()
            browser.close()
