"""The dashboard in a real browser: charts drawn, a filter changes them without a reload."""

import pytest
from django.conf import settings

from tests.chromium import browser_context
from tests.factories import AdminFactory

pytestmark = pytest.mark.browser


@pytest.fixture
def browser_page():
    with browser_context() as context:
        yield context


def _letter_counts(page) -> list[int]:
    return page.evaluate("Chart.getChart('chart-letters').data.datasets[0].data")


def test_dashboard_filter_updates_charts_and_url(school, live_server, client, browser_page):
    admin = AdminFactory()
    client.force_login(admin)
    browser_page.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    page = browser_page.new_page()
    page.goto(live_server.url + "/analytics/")
    page.wait_for_function("() => window.Chart && Chart.getChart('chart-letters')")
    before = _letter_counts(page)
    page.evaluate("window.__notReloaded = true")

    page.select_option("select[name=class_division]", "B2")
    page.wait_for_function(
        "() => Chart.getChart('chart-letters').data.datasets[0].data.join()"
        " === '0,0,0,0,0,0,0,1,0,0'"
    )

    assert sum(before) == 4
    assert _letter_counts(page) == [0, 0, 0, 0, 0, 0, 0, 1, 0, 0]
    assert page.evaluate("window.__notReloaded") is True
    assert "class_division=B2" in page.url
    assert page.locator("[data-kpi=students]").inner_text() == "1"
    assert "Gamma Chloe" in page.locator("#analytics-at-risk").inner_text()
