"""The dashboard against the previous period: ``?compare=previous`` on the API and the
cards' "vs previous period" lines on the page (issue 10)."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from apps.academics import services
from apps.academics.filtering import RecordFilters
from apps.analytics.selectors.period_comparison import COMPARED_FIGURES, comparison_periods
from tests.factories import StudentUserFactory

D = dt.date
WEEK = {"date_from": "2025-10-13", "date_to": "2025-10-19"}
WEEK_BEFORE = {"date_from": "2025-10-06", "date_to": "2025-10-12"}


def _client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _dashboard(user, **params) -> dict:
    response = _client(user).get(reverse("analytics-api:dashboard"), params)
    assert response.status_code == 200, response.content
    return response.json()


def _headline(body: dict) -> dict:
    return {
        "average_grade": body["average_grade"],
        "pass_rate": body["pass_rate"],
        "attendance_rate": body["attendance_rate"],
        "at_risk": body["at_risk"]["high"] + body["at_risk"]["medium"],
    }


def _side(comparison: dict, side: str) -> dict:
    return {name: comparison["figures"][name][side] for name in COMPARED_FIGURES}


def _assert_equals_dashboards(user, comparison: dict, **filters) -> None:
    for side in ("current", "previous"):
        period = comparison[side]
        dashboard = _dashboard(user, **filters, **period)
        assert _side(comparison, side) == _headline(dashboard), side


@pytest.mark.postgres
def test_compare_previous_figures_equal_the_dashboard_of_each_period(school, admin_user):
    october = {"date_from": "2025-10-16", "date_to": "2025-11-15"}

    comparison = _dashboard(admin_user, compare="previous", **october)["comparison"]

    assert comparison["current"] == october
    assert comparison["previous"] == {"date_from": "2025-09-15", "date_to": "2025-10-15"}
    _assert_equals_dashboards(admin_user, comparison)
    figures = comparison["figures"]
    assert figures["average_grade"]["current"] is not None
    assert figures["average_grade"]["previous"] is not None
    assert figures["average_grade"]["change"] == round(
        figures["average_grade"]["current"] - figures["average_grade"]["previous"], 2
    )


def test_compare_previous_attendance_change_is_worked_out_by_hand(school, admin_user):
    # Week of 13 Oct: ben MATH1 present, ana PHYS1 present, chloe PHYS1 absent → 2/3.
    # Week of 6 Oct: present 1, late 1, absent 4, excused 1 (chloe dropped MATH1) → 2/6.

    figures = _dashboard(admin_user, compare="previous", **WEEK)["comparison"]["figures"]

    assert figures["attendance_rate"] == {"current": 66.67, "previous": 33.33, "change": 33.34}
    assert figures["average_grade"] == {"current": None, "previous": None, "change": None}


def test_compare_previous_keeps_every_other_filter_for_both_periods(school, admin_user):
    filters = {"class_division": "B2", "semester": "B", "course": [school.physics.pk]}

    comparison = _dashboard(admin_user, compare="previous", **filters, **WEEK)["comparison"]

    # Only chloe's PHYS1 absence of 14 Oct is left: 0 % against no record at all.
    assert comparison["figures"]["attendance_rate"] == {
        "current": 0.0,
        "previous": None,
        "change": None,
    }
    _assert_equals_dashboards(admin_user, comparison, **filters)


def test_compare_previous_keeps_the_teacher_scope(school, admin_user):
    teacher = _dashboard(school.teacher, compare="previous", **WEEK)["comparison"]
    whole_school = _dashboard(admin_user, compare="previous", **WEEK)["comparison"]

    # The teacher sees MATH1 only: of the week of 13 Oct, ben's one present record.
    assert teacher["figures"]["attendance_rate"]["current"] == 100.0
    assert whole_school["figures"]["attendance_rate"]["current"] == 66.67
    _assert_equals_dashboards(school.teacher, teacher)


def test_compare_previous_without_dates_is_this_month_against_last_month(school, admin_user):
    today = timezone.localdate()
    last_month_end = today.replace(day=1) - dt.timedelta(days=1)

    comparison = _dashboard(admin_user, compare="previous")["comparison"]

    assert comparison["current"] == {
        "date_from": today.replace(day=1).isoformat(),
        "date_to": today.isoformat(),
    }
    assert comparison["previous"] == {
        "date_from": last_month_end.replace(day=1).isoformat(),
        "date_to": last_month_end.isoformat(),
    }
    _assert_equals_dashboards(admin_user, comparison)


def test_dashboard_without_compare_has_no_comparison_even_after_one_was_asked(school, admin_user):
    _dashboard(admin_user, compare="previous", **WEEK)

    plain = _dashboard(admin_user, **WEEK)
    empty = _dashboard(admin_user, compare="", **WEEK)

    assert "comparison" not in plain
    assert "comparison" not in empty
    assert plain["attendance_rate"] == 66.67


def test_compare_previous_warm_request_reads_the_cache(
    school, admin_user, django_assert_max_num_queries
):
    client = _client(admin_user)
    url = reverse("analytics-api:dashboard")
    first = client.get(url, {"compare": "previous", **WEEK})

    with django_assert_max_num_queries(1):
        again = client.get(url, {"compare": "previous", **WEEK})
    plain = client.get(url, WEEK)

    assert again.json() == first.json()
    assert again["ETag"] == first["ETag"]
    assert plain["ETag"] != first["ETag"]


@pytest.mark.postgres
def test_compare_previous_changes_at_once_after_an_attendance_mark_in_the_period(
    school, admin_user, django_capture_on_commit_callbacks
):
    before = _dashboard(admin_user, compare="previous", **WEEK)["comparison"]

    with django_capture_on_commit_callbacks(execute=True):
        services.attendance_create(
            student=school.ana,
            course=school.math,
            date=D(2025, 10, 15),
            status="absent",
            period_number=1,
            actor=admin_user,
        )
    after = _dashboard(admin_user, compare="previous", **WEEK)["comparison"]

    assert before["figures"]["attendance_rate"]["current"] == 66.67
    assert after["figures"]["attendance_rate"]["current"] == 50.0
    assert after["figures"]["attendance_rate"]["change"] == 16.67


@pytest.mark.parametrize("value", ["next", "previous-year", "1"])
def test_compare_rejects_an_unknown_value_with_a_message(school, admin_user, value):
    response = _client(admin_user).get(reverse("analytics-api:dashboard"), {"compare": value})

    assert response.status_code == 400
    assert response.json() == {"compare": ["Choose one of: previous."]}


def test_compare_rejects_a_range_with_no_period_before_it(school, admin_user):
    response = _client(admin_user).get(
        reverse("analytics-api:dashboard"),
        {"compare": "previous", "date_from": "0001-01-01", "date_to": "0001-01-31"},
    )

    assert response.status_code == 400
    assert "date_from" in response.json()


def test_compare_file_export_is_the_plain_dashboard_and_checks_the_value(school, admin_user):
    client = _client(admin_user)
    url = reverse("analytics-api:dashboard")

    csv = client.get(url, {"compare": "previous", "format": "csv"})
    bad = client.get(url, {"compare": "nope", "format": "csv"})

    assert csv.status_code == 200
    assert csv["Content-Type"].startswith("text/csv")
    assert bad.status_code == 400


def test_compare_is_refused_to_a_student_as_the_dashboard_is(school):
    response = _client(school.ana_user).get(
        reverse("analytics-api:dashboard"), {"compare": "previous"}
    )

    assert response.status_code == 403


@pytest.mark.parametrize(
    ("filters", "today", "current", "previous"),
    [
        # Both dates: the same number of days, ending the day before date_from.
        (
            RecordFilters(date_from=D(2025, 3, 1), date_to=D(2025, 3, 31)),
            D(2025, 6, 1),
            (D(2025, 3, 1), D(2025, 3, 31)),
            (D(2025, 1, 29), D(2025, 2, 28)),
        ),
        (
            RecordFilters(date_from=D(2025, 10, 7), date_to=D(2025, 10, 7)),
            D(2025, 6, 1),
            (D(2025, 10, 7), D(2025, 10, 7)),
            (D(2025, 10, 6), D(2025, 10, 6)),
        ),
        # No dates: this month to date against the whole month before, across a year.
        (
            RecordFilters(),
            D(2026, 1, 12),
            (D(2026, 1, 1), D(2026, 1, 12)),
            (D(2025, 12, 1), D(2025, 12, 31)),
        ),
        (
            RecordFilters(),
            D(2024, 3, 31),
            (D(2024, 3, 1), D(2024, 3, 31)),
            (D(2024, 2, 1), D(2024, 2, 29)),
        ),
        # Only date_from: up to today (or that very day when it is later).
        (
            RecordFilters(date_from=D(2025, 10, 1)),
            D(2025, 10, 10),
            (D(2025, 10, 1), D(2025, 10, 10)),
            (D(2025, 9, 21), D(2025, 9, 30)),
        ),
        (
            RecordFilters(date_from=D(2025, 10, 1)),
            D(2025, 9, 1),
            (D(2025, 10, 1), D(2025, 10, 1)),
            (D(2025, 9, 30), D(2025, 9, 30)),
        ),
        # Only date_to: its month up to it against the month before.
        (
            RecordFilters(date_to=D(2025, 11, 20)),
            D(2026, 1, 1),
            (D(2025, 11, 1), D(2025, 11, 20)),
            (D(2025, 10, 1), D(2025, 10, 31)),
        ),
    ],
)
def test_comparison_periods_follow_the_documented_rules(filters, today, current, previous):
    periods = comparison_periods(filters, today=today)

    assert (periods.current.date_from, periods.current.date_to) == current
    assert (periods.previous.date_from, periods.previous.date_to) == previous


# The page: the cards' lines come from a fragment loaded after the page.


def test_page_dashboard_loads_the_comparison_after_the_page(client, school, admin_user):
    client.force_login(admin_user)

    page = client.get(reverse("analytics:dashboard"), {"class_division": "A1"}).content.decode()

    url = reverse("analytics:comparison") + "?class_division=A1"
    assert f'hx-get="{url}" hx-trigger="load"' in page
    assert f'href="{url}"' in page
    assert 'id="delta-average_grade"' in page and 'id="delta-at_risk"' in page


def test_page_dashboard_with_bad_filters_loads_no_comparison(client, school, admin_user):
    client.force_login(admin_user)

    page = client.get(reverse("analytics:dashboard"), {"course": "abc"}).content.decode()

    assert reverse("analytics:comparison") not in page


def test_page_comparison_fragment_shows_each_card_change(client, school, admin_user):
    client.force_login(admin_user)

    response = client.get(reverse("analytics:comparison"), WEEK, HTTP_HX_REQUEST="true")

    html = response.content.decode()
    assert response.status_code == 200
    assert "13 Oct 2025 – 19 Oct 2025" in html and "6 Oct 2025 – 12 Oct 2025" in html
    assert html.count('hx-swap-oob="true"') == 4
    attendance = html.split('id="delta-attendance_rate"')[1].split("</span>\n")[0]
    assert 'data-direction="up"' in attendance
    assert "vs previous period: <span" in attendance
    assert "+33.34" in attendance
    assert "(previous period: 33.33)" in attendance
    average = html.split('id="delta-average_grade"')[1].split("</span>\n")[0]
    assert "vs previous period: no data" in average


def test_page_comparison_fragment_keeps_the_teacher_scope(client, school):
    client.force_login(school.teacher)

    html = client.get(reverse("analytics:comparison"), WEEK).content.decode()

    # MATH1 only: ben present on 13 Oct (100 %) against 2 of 6 in the week before.
    attendance = html.split('id="delta-attendance_rate"')[1].split("</span>\n")[0]
    assert "+66.67" in attendance


def test_page_comparison_fragment_is_refused_to_students(client, school):
    client.force_login(school.ana_user)
    no_profile = StudentUserFactory()

    own = client.get(reverse("analytics:comparison"))
    client.force_login(no_profile)
    other = client.get(reverse("analytics:comparison"))

    assert own.status_code == 403
    assert other.status_code == 403


def test_page_comparison_fragment_needs_a_login(client, school):
    response = client.get(reverse("analytics:comparison"))

    assert response.status_code == 302
    assert "login" in response["Location"]


@pytest.mark.parametrize(
    "query",
    [
        {"date_from": "2025-13-01"},
        {"date_from": "2025-11-01", "date_to": "2025-10-01"},
        {"date_from": "0001-01-01", "date_to": "0001-01-02"},
        {"course": "x"},
    ],
)
def test_page_comparison_fragment_answers_bad_filters_with_400(client, school, admin_user, query):
    client.force_login(admin_user)

    response = client.get(reverse("analytics:comparison"), query)

    assert response.status_code == 400


def test_schema_describes_the_compare_parameter(db):
    response = APIClient().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")

    parameters = response.json()["paths"]["/api/v1/analytics/dashboard/"]["get"]["parameters"]
    compare = next(parameter for parameter in parameters if parameter["name"] == "compare")
    assert compare["schema"]["enum"] == ["previous"]
    assert "previous month" in compare["description"]
