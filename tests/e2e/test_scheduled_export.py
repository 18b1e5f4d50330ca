"""An admin schedules an export; Celery beat fires it, the worker builds the file and the
email with the file attached arrives at the office's mailbox (a local SMTP sink)."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from tests.e2e.school import MIDTERM, small_class

pytestmark = pytest.mark.e2e

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MIDTERMS = (40, 65, 90)


def test_scheduled_export_is_fired_by_beat_and_mailed_with_its_file(
    request, stack, people, tag, password, smtp_sink
):
    if smtp_sink is None:
        pytest.skip("set SMS_E2E_SMTP_PORT to the EMAIL_PORT of the running stack")
    school = small_class(stack, tag=tag, password=password, midterms=MIDTERMS)
    name = f"Βαθμοί {school['course_code']}"
    # An every-minute schedule left behind would mail on every minute of the stack's life.
    request.addfinalizer(lambda: stack.call("schedule", "remove", name=name))
    admin = people.log_in(school["users"]["admin"], to="/bulk/exports/")
    admin.select_option("#id_resource", "grades")
    expect(admin.locator("#export-columns")).to_contain_text("Assignment")  # columns of grades
    admin.select_option("#id_format", "xlsx")
    admin.select_option("#id_course", str(school["course_id"]))
    admin.check("#id_schedule")
    admin.fill("#id_name", name)
    # The shortest schedule cron can say: every minute.
    admin.fill("#id_crontab", "* * * * *")
    admin.fill("#id_recipients", "grammateia@example.org")

    admin.locator("#export-submit").click()

    expect(admin.locator("ul.messages")).to_contain_text(f"Scheduled export “{name}” saved.")
    # Beat would fire it at the next minute boundary; recorded as last run two
    # minutes ago (what beat writes after a run), it is due at beat's next check.
    stack.call("schedule", "last_ran_minutes_ago", name=name, minutes=2)
    mail = smtp_sink.wait_for(lambda m: m["Subject"] == f"Scheduled export: {name}", 90)
    assert mail is not None, f"no email; the sink has {[m['Subject'] for m in smtp_sink.messages]}"
    assert mail["To"] == "grammateia@example.org"
    assert "(grades, XLSX)" in mail.get_body(("plain",)).get_content()
    files = list(mail.iter_attachments())
    assert [part.get_content_type() for part in files] == [XLSX]
    assert files[0].get_filename().endswith(".xlsx")
    sheet = load_workbook(io.BytesIO(files[0].get_content()), read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    header, body = rows[0], rows[1:]
    cell = {column: header.index(column) for column in ("student_id", "assignment_name", "grade")}
    got = sorted(
        (row[cell["student_id"]], row[cell["assignment_name"]], float(row[cell["grade"]]))
        for row in body
    )
    assert got == [
        (student_id, MIDTERM[1], float(grade))
        for student_id, grade in zip(school["student_ids"], MIDTERMS, strict=True)
    ]
    admin.reload()
    expect(admin.locator("tr", has_text=name)).to_contain_text("sent")
