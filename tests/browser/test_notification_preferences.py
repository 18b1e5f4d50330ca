"""The notification preferences page in a real browser: a teacher chooses Greek and
escalation to email, saves, and finds both kept, with the page now in Greek.

With ``SMS_SCREENSHOTS=1`` the test also rewrites docs/img/notification-preferences.png
(the form filled in, before saving).
"""

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from apps.notifications.models import NotificationPreference
from tests.browser.conftest import log_in

pytestmark = pytest.mark.browser

DOCS_IMG = Path(__file__).resolve().parents[2] / "docs" / "img"


def test_notification_preferences_keep_language_and_escalation(page, school):
    log_in(page, "mteacher")
    page.goto(page.base_url + "/notifications/")
    page.get_by_role("link", name="Preferences").click()
    expect(page.locator("h1")).to_have_text("Notification preferences")

    page.select_option("#id_language", label="Greek")
    page.fill("#id_escalate_after_minutes", "30")
    page.check("#id_attendance_alert__escalate")
    page.check("#id_alert__escalate")
    page.fill("#id_quiet_hours_start", "22:00")
    page.fill("#id_quiet_hours_end", "07:00")
    if os.environ.get("SMS_SCREENSHOTS"):
        page.locator("h1").click()  # no field focused in the picture
        DOCS_IMG.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(DOCS_IMG / "notification-preferences.png"), full_page=True)
    page.get_by_role("button", name="Save").click()

    expect(page.locator(".message.success")).to_have_text(
        "Οι προτιμήσεις ειδοποιήσεων αποθηκεύτηκαν."
    )
    expect(page.locator("h1")).to_have_text("Προτιμήσεις ειδοποιήσεων")
    page.reload()
    expect(page.locator("#id_language")).to_have_value("el")
    expect(page.locator("#id_escalate_after_minutes")).to_have_value("30")
    expect(page.locator("#id_attendance_alert__escalate")).to_be_checked()
    expect(page.locator("#id_alert__escalate")).to_be_checked()
    expect(page.locator("#id_system__escalate")).not_to_be_checked()
    preference = NotificationPreference.objects.get(user=school["teacher"])
    assert (preference.language, preference.escalate_after_minutes) == ("el", 30)
    assert preference.escalate_kinds == ["alert", "attendance_alert"]


def test_notification_preferences_refuse_a_zero_delay(page, school):
    log_in(page, "mteacher")
    page.goto(page.base_url + "/notifications/preferences/")

    page.fill("#id_escalate_after_minutes", "0")
    page.locator("#id_escalate_after_minutes").evaluate("input => input.removeAttribute('min')")
    page.get_by_role("button", name="Save").click()

    expect(page.locator(".notif-escalation")).to_contain_text(
        "Ensure this value is greater than or equal to 1."
    )
    assert not NotificationPreference.objects.filter(escalate_after_minutes__isnull=False).exists()
