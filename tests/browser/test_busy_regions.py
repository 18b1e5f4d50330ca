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


def test_dashboard_body_is_dimmed_and_busy_while_new_figures_load(page, school):
    log_in(page, "mteacher")
    page.goto(page.base_url + "/analytics/")
    body = page.locator("#analytics-body")
    held = _hold(page)

    page.fill("input[name=date_from]", "2025-11-01")

    expect(body).to_have_attribute("aria-busy", "true")
    expect(body).to_have_class(re.compile(r"\bhtmx-request\b"))
    _wait_for_opacity(page, "#analytics-body", dimmed=True)
    _let_go(page, held)
    expect(page.locator("#analytics-compare")).to_contain_text("1 Nov 2025")
    expect(body).not_to_have_attribute("aria-busy", "true")
    _wait_for_opacity(page, "#analytics-body", dimmed=False)


def test_at_risk_card_is_dimmed_and_busy_while_its_filter_loads(page, school):
    log_in(page, "mteacher")
    page.goto(page.base_url + "/analytics/")
    card = page.locator("#analytics-at-risk-card")
    held = _hold(page)

    page.select_option("select[name=risk_level]", "high")

    expect(card).to_have_attribute("aria-busy", "true")
    _wait_for_opacity(page, "#analytics-at-risk-card", dimmed=True)
    _let_go(page, held)
    expect(page.locator("select[name=risk_level]")).to_have_value("high")
    expect(card).to_contain_text("No student is at risk under these filters.")
    expect(card).not_to_have_attribute("aria-busy", "true")
    _wait_for_opacity(page, "#analytics-at-risk-card", dimmed=False)
