"""The attendance endpoint: one record per slot, statuses in any case, no future dates."""

from __future__ import annotations

import datetime as dt

from apps.academics.models import Attendance
from tests.api.conftest import client_for

URL = "/api/v1/attendance/"


def slot(side, **overrides) -> dict:
    data = {
        "student": side.student.pk,
        "course": side.course.pk,
        "date": "2025-11-05",
        "period_number": 1,
        "status": "Absent",
    }
    return {**data, **overrides}


def test_attendance_status_is_case_insensitive(school):
    response = client_for(school.own.teacher).post(URL, slot(school.own), format="json")

    assert response.status_code == 201, response.content
    assert response.json()["status"] == "absent"


def test_attendance_duplicate_slot_is_400_and_keeps_first(school):
    client = client_for(school.own.teacher)
    client.post(URL, slot(school.own), format="json")

    response = client.post(URL, slot(school.own, status="present"), format="json")

    assert response.status_code == 400
    assert "already recorded" in str(response.json())
    records = Attendance.objects.filter(student=school.own.student, date="2025-11-05")
    assert [record.status for record in records] == ["absent"]


def test_attendance_second_period_same_day_is_allowed(school):
    client = client_for(school.own.teacher)
    client.post(URL, slot(school.own), format="json")

    response = client.post(URL, slot(school.own, period_number=2), format="json")

    assert response.status_code == 201


def test_attendance_future_date_and_bad_period_are_400(school):
    tomorrow = (dt.date.today() + dt.timedelta(days=2)).isoformat()

    response = client_for(school.admin).post(
        URL, slot(school.own, date=tomorrow, period_number=0, status="asleep"), format="json"
    )

    assert response.status_code == 400
    assert set(response.json()) == {"date", "period_number", "status"}
    assert "future" in response.json()["date"][0]


def test_attendance_filters_by_status_and_dates(school):
    client = client_for(school.own.teacher)
    client.post(URL, slot(school.own, date="2025-12-01"), format="json")

    absent = client.get(URL, {"status": "absent"}).json()["results"]
    december = client.get(URL, {"date_from": "2025-12-01", "date_to": "2025-12-31"}).json()

    assert [row["date"] for row in absent] == ["2025-12-01"]
    assert december["count"] == 1


def test_attendance_update_changes_status(school):
    url = f"{URL}{school.own.attendance.pk}/"

    response = client_for(school.own.teacher).patch(url, {"status": "LATE"}, format="json")

    assert response.status_code == 200
    school.own.attendance.refresh_from_db()
    assert school.own.attendance.status == "late"
