"""Pictures for the guides, taken by the browser tests that reach the pages they show.

A test calls ``docs_screenshot(page, "export-page")`` at the moment the guide describes;
it writes docs/img/export-page.png only when ``SMS_SCREENSHOTS=1`` is set, and does
nothing in a normal run.
"""

from __future__ import annotations

import os
from pathlib import Path

DOCS_IMG = Path(__file__).resolve().parents[2] / "docs" / "img"


def docs_screenshot(page, name: str, *, full_page: bool = True) -> None:
    if not os.environ.get("SMS_SCREENSHOTS"):
        return
    # The page's own requests (htmx fragments, vendored scripts) settle before the shot.
    page.wait_for_load_state("networkidle")
    DOCS_IMG.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(DOCS_IMG / f"{name}.png"), full_page=full_page)
