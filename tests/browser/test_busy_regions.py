"""While the dashboard fetches new figures, the region they replace shows it: dimmed and
marked aria-busy (a whole school's range takes seconds), then back once they are in."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in

pytestmark = pytest.mark.browser


def _wait_for_opacity(page, selector: str, dimmed: bool) -> None:
    """Until the region is dimmed (or back to full opacity): it fades in 0.2 s."""
    test = "< 1" if dimmed else "== 1"
    page.wait_for_function(
        f"s => Number(getComputedStyle(document.querySelector(s)).opacity) {test}", arg=selector
    )


def _hold(page) -> list:
    """The dashboard's requests wait until ``_let_go`` (the figures "take seconds")."""
    held = []
    page.route("**/analytics/?*", lambda route: held.append(route))
    return held


def _let_go(page, held: list) -> None:
    for _ in range(250):  # the request reaches the route just after htmx marks the region
        if held:
            break
        page.wait_for_timeout(20)
    assert held, "the filter sent no request"
    for route in held:
        route.continue_()
    page.unroute("**/analytics/?*")


# What the user changes, the region it refreshes, and what the address then carries
# (both push their filters to the address).
CHANGES = {
    "date filter": (
        "input[name=date_from]",
        "2025-11-01",
        "#analytics-body",
        "date_from=2025-11-01",
    ),
    "at-risk level": (
        "select[name=risk_level]",
        "high",
        "#analytics-at-risk-card",
        "risk_level=high",
    ),
}


@pytest.mark.parametrize("change", list(CHANGES))
def test_region_is_dimmed_and_busy_while_its_new_figures_load(page, school, change):
    field, value, region, in_address = CHANGES[change]
    log_in(page, "mteacher")
    page.goto(page.base_url + "/analytics/")
    held = _hold(page)

    if field.startswith("select"):
        page.select_option(field, value)
    else:
        page.fill(field, value)

    expect(page.locator(region)).to_have_attribute("aria-busy", "true")
    expect(page.locator(region)).to_have_class(re.compile(r"\bhtmx-request\b"))
    _wait_for_opacity(page, region, dimmed=True)
    _let_go(page, held)
    expect(page).to_have_url(re.compile(re.escape(in_address)))
    expect(page.locator(region)).not_to_have_attribute("aria-busy", "true")
    _wait_for_opacity(page, region, dimmed=False)
