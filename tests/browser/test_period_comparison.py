"""The dashboard cards' "vs previous period" lines in a real browser: loaded after the
page, and loaded again for the new period when a filter changes."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in
from tests.factories import AttendanceFactory

pytestmark = pytest.mark.browser

D = dt.date


@pytest.fixture
def attendance_weeks(school):
    """NET101 attendance: 2 of 3 present in the week of 10 Nov 2025, 1 of 3 the week before."""
    anna, babis, chara = school["students"]
    for student, day, status in [
        (anna, D(2025, 11, 10), "present"),
        (babis, D(2025, 11, 11), "present"),
        (chara, D(2025, 11, 12), "absent"),
        (anna, D(2025, 11, 3), "absent"),
        (babis, D(2025, 11, 4), "absent"),
        (chara, D(2025, 11, 5), "present"),
    ]:
        AttendanceFactory(student=student, course=school["course"], date=day, status=status)
    return school


def test_dashboard_cards_show_the_change_against_the_previous_period(page, attendance_weeks):
    comparison_requests = []
    page.on(
        "request",
        lambda request: (
            comparison_requests.append(request.url)
            if "/analytics/comparison/" in request.url
            else None
        ),
    )
    log_in(page, "mteacher")

    page.goto(page.base_url + "/analytics/?date_from=2025-11-10&date_to=2025-11-16")
    attendance = page.locator("#delta-attendance_rate")
    expect(attendance).to_contain_text("+33.34")

    assert attendance.get_attribute("data-direction") == "up"
    assert attendance.locator(".an-arrow").inner_text() == "▲"
    assert attendance.locator(".an-arrow").get_attribute("aria-hidden") == "true"
    assert "up" in attendance.locator(".visually-hidden").first.text_content()
    assert "vs previous period" in attendance.inner_text()
    expect(page.locator("#analytics-compare")).to_contain_text("3 Nov 2025 – 9 Nov 2025")
    expect(page.locator("#delta-average_grade")).to_contain_text("no data")
    assert len(comparison_requests) == 1
    page.evaluate("window.__notReloaded = true")

    page.fill("input[name=date_from]", "2025-11-03")

    expect(page.locator("#analytics-compare")).to_contain_text("20 Oct 2025 – 2 Nov 2025")
    # 3 of 6 present over both weeks, nothing recorded in the fortnight before.
    expect(page.locator("#delta-attendance_rate")).to_contain_text("no data")
    assert page.locator("[data-kpi=attendance_rate]").inner_text() == "50.0%"
    assert page.evaluate("window.__notReloaded") is True
    assert len(comparison_requests) == 2
    assert "date_from=2025-11-03" in comparison_requests[-1]
