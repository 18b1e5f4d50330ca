"""The student list's risk level, risk reason and percentile band filters (API, files,
date ranges, role scopes) and the dashboard's at-risk card that uses them.

The school (conftest): averages Ana 83 (low: attendance below 80, improving), Ben 46
(high: average below 50, attendance below 70), Chloe 70 (medium: average below 75,
attendance below 70). In MATH1 alone (the teacher's scope): Ana 86 (medium), Ben 46.
"""

import csv
import io
import itertools
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from apps.academics import grading
from apps.analytics.selectors.bands import RISK_REASON_CODES, add_percentiles
from tests.factories import StudentFactory

STUDENTS = reverse("analytics-api:students")
DASHBOARD = reverse("analytics:dashboard")


def _client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _names(response) -> list[str]:
    return [row["name"] for row in response.json()["results"]]


def _row(name: str, average) -> dict:
    return {"name": name, "average_grade": average}


def test_students_api_rows_carry_percentile_and_band(school, admin_user):
    response = _client(admin_user).get(STUDENTS, {"ordering": "percentile"})

    rows = [(r["name"], r["percentile"], r["band"]) for r in response.json()["results"]]
    assert rows == [
        ("Beta Ben", 33.33, "bottom"),
        ("Gamma Chloe", 66.67, None),
        ("Alpha Ana", 100.0, "top"),
    ]


def test_students_api_filters_by_risk_level_as_list_or_repeated(school, admin_user):
    client = _client(admin_user)

    comma = client.get(STUDENTS, {"risk_level": "high,medium"})
    repeated = client.get(STUDENTS, {"risk_level": ["high", "low"]})

    assert _names(comma) == ["Beta Ben", "Gamma Chloe"]
    assert _names(repeated) == ["Alpha Ana", "Beta Ben"]


def test_students_api_filters_by_risk_reason(school, admin_user):
    client = _client(admin_user)

    attendance = client.get(STUDENTS, {"risk_reason": "attendance_below_70"})
    either = client.get(STUDENTS, {"risk_reason": ["trend_improving", "average_below_50"]})
    none = client.get(STUDENTS, {"risk_reason": "trend_declining"})

    assert _names(attendance) == ["Beta Ben", "Gamma Chloe"]
    assert _names(either) == ["Alpha Ana", "Beta Ben"]
    assert none.json()["count"] == 0


def test_students_api_band_filter_keeps_the_cohort_percentiles(school, admin_user):
    client = _client(admin_user)

    bottom = client.get(STUDENTS, {"band": "bottom"}).json()["results"]
    extremes = client.get(STUDENTS, {"band": "top,bottom"})
    medium_top = client.get(STUDENTS, {"band": "top", "risk_level": "medium"})

    assert [(r["name"], r["percentile"]) for r in bottom] == [("Beta Ben", 33.33)]
    assert _names(extremes) == ["Alpha Ana", "Beta Ben"]
    assert medium_top.json()["count"] == 0


def test_students_api_ranks_within_class_and_year_filters(school, admin_user):
    client = _client(admin_user)

    class_a1 = client.get(STUDENTS, {"class_division": "A1"}).json()["results"]
    high_in_a1 = client.get(STUDENTS, {"class_division": "A1", "risk_level": "high"})
    year_two = client.get(STUDENTS, {"study_year": 2}).json()["results"]

    assert [(r["name"], r["percentile"], r["band"]) for r in class_a1] == [
        ("Alpha Ana", 100.0, "top"),
        ("Beta Ben", 50.0, "bottom"),
    ]
    assert _names(high_in_a1) == ["Beta Ben"]
    # One student: the cohort cannot place them, so no band.
    assert [(r["name"], r["percentile"], r["band"]) for r in year_two] == [
        ("Gamma Chloe", 100.0, None)
    ]


def test_students_api_date_range_filters_on_the_ranged_figures(school, admin_user):
    client = _client(admin_user)
    autumn = {"date_from": "2025-10-01", "date_to": "2025-11-30"}

    top = client.get(STUDENTS, {**autumn, "band": "top"}).json()["results"]
    attendance = client.get(STUDENTS, {**autumn, "risk_reason": "attendance_below_80"})

    assert [(r["name"], r["average_grade"], r["band"]) for r in top] == [("Alpha Ana", 80.0, "top")]
    assert _names(attendance) == ["Alpha Ana"]


def test_teacher_percentiles_rank_only_their_students(school):
    client = _client(school.teacher)

    rows = client.get(STUDENTS).json()["results"]
    medium = client.get(STUDENTS, {"risk_level": "medium"})

    assert [(r["name"], r["percentile"], r["band"]) for r in rows] == [
        ("Alpha Ana", 100.0, "top"),
        ("Beta Ben", 50.0, "bottom"),
    ]
    assert _names(medium) == ["Alpha Ana"]


def test_student_role_cannot_list_students_with_filters(school):
    response = _client(school.ana_user).get(STUDENTS, {"band": "top"})

    assert response.status_code == 403


def test_students_api_rejects_unknown_values_naming_the_allowed_ones(school, admin_user):
    response = _client(admin_user).get(
        STUDENTS, {"risk_level": "critical", "risk_reason": "laziness", "band": "middle"}
    )

    assert response.status_code == 400
    body = response.json()
    assert body["risk_level"] == ["Choose from: low, medium, high."]
    assert "average_below_50" in body["risk_reason"][0]
    assert body["band"] == ["Choose from: bottom, top."]


def test_students_file_export_rejects_an_unknown_band(school, admin_user):
    response = _client(admin_user).get(STUDENTS, {"band": "middle", "format": "csv"})

    assert response.status_code == 400
    assert "band" in response.json()


def test_other_reports_ignore_the_student_list_filters(school, admin_user):
    response = _client(admin_user).get(
        reverse("analytics-api:dashboard"), {"risk_level": "critical"}
    )

    assert response.status_code == 200
    assert response.json()["totals"]["students"] == 3


def test_students_api_list_filters_are_part_of_the_cache_key(school, admin_user):
    client = _client(admin_user)

    high = client.get(STUDENTS, {"risk_level": "high"})
    low = client.get(STUDENTS, {"risk_level": "low"})
    reordered = client.get(STUDENTS, {"risk_level": ["low", "high"]})
    same = client.get(STUDENTS, {"risk_level": "high,low"})

    assert _names(high) == ["Beta Ben"]
    assert _names(low) == ["Alpha Ana"]
    assert high["ETag"] != low["ETag"]
    assert reordered["ETag"] == same["ETag"]


def test_students_csv_export_has_the_filtered_rows(school, admin_user):
    response = _client(admin_user).get(
        STUDENTS, {"risk_level": "high,medium", "class_division": "A1", "format": "csv"}
    )

    text = response.content.decode("utf-8-sig")
    names = [row[1] for row in csv.reader(io.StringIO(text)) if len(row) > 1]
    assert response.status_code == 200
    assert "Beta Ben" in names
    assert "Alpha Ana" not in names
    assert "Gamma Chloe" not in names


def test_students_api_filtered_list_reads_no_more_than_the_unfiltered(
    school, admin_user, django_assert_max_num_queries
):
    client = _client(admin_user)
    with CaptureQueriesContext(connection) as unfiltered:
        client.get(STUDENTS)
    cache.clear()

    with django_assert_max_num_queries(len(unfiltered)):
        response = client.get(STUDENTS, {"risk_level": "high", "band": "bottom"})

    assert _names(response) == ["Beta Ben"]


def test_ordering_by_percentile_puts_students_without_average_last(school, admin_user):
    StudentFactory(first_name="Dora", last_name="Delta")

    response = _client(admin_user).get(STUDENTS, {"ordering": "-percentile"})

    rows = [(r["name"], r["percentile"], r["band"]) for r in response.json()["results"]]
    assert rows[0] == ("Alpha Ana", 100.0, "top")
    assert rows[-1] == ("Delta Dora", None, None)


# --- The bands' definition ---------------------------------------------------------------
def test_add_percentiles_uses_nearest_rank_on_twenty_students():
    rows = [_row(f"s{i:02d}", float(i)) for i in range(1, 21)]

    add_percentiles(rows)

    bands = {row["name"]: row["band"] for row in rows}
    # P15 = rank ⌈3⌉ = 3; P85 = rank ⌈17⌉ = 17 (not 18: no float 0.15 × 20 rounding up).
    assert [name for name, band in bands.items() if band == "bottom"] == ["s01", "s02", "s03"]
    assert [name for name, band in bands.items() if band == "top"] == [
        "s17",
        "s18",
        "s19",
        "s20",
    ]
    assert rows[16]["percentile"] == 85.0


def test_add_percentiles_ties_share_a_band_and_no_average_has_none():
    rows = [_row("a", 40.0), _row("b", 40.0), _row("c", 60.0), _row("d", 90.0)]
    rows += [_row("e", 90.0), _row("f", None)]

    add_percentiles(rows)

    assert [(r["name"], r["percentile"], r["band"]) for r in rows] == [
        ("a", 40.0, "bottom"),
        ("b", 40.0, "bottom"),
        ("c", 60.0, None),
        ("d", 100.0, "top"),
        ("e", 100.0, "top"),
        ("f", None, None),
    ]


def test_add_percentiles_puts_an_undivided_cohort_in_no_band():
    rows = [_row(name, 70.0) for name in "abc"]

    add_percentiles(rows)

    assert {row["band"] for row in rows} == {None}
    assert {row["percentile"] for row in rows} == {100.0}


def test_risk_reason_codes_are_the_engines_codes():
    values = [None, *(Decimal(v) for v in (0, 49, 60, 74, 79, 90))]
    trends = ["declining", "improving", "stable"]

    codes = {
        reason.code
        for average, rate, trend in itertools.product(values, values, trends)
        for reason in grading.risk_assessment(average, rate, trend).reasons
    }

    assert codes == set(RISK_REASON_CODES)


# --- The dashboard's at-risk card --------------------------------------------------------
@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def _at_risk_names(html: str) -> list[str]:
    table = html.split('id="analytics-at-risk"', 1)[1].split("</table>", 1)[0]
    return [name for name in ("Alpha Ana", "Beta Ben", "Gamma Chloe") if name in table]


def test_dashboard_at_risk_card_filters_by_level_and_reason(school, admin_client):
    everyone = admin_client.get(DASHBOARD).content.decode()
    high = admin_client.get(DASHBOARD, {"risk_level": "high"}).content.decode()
    reason = admin_client.get(DASHBOARD, {"risk_reason": "average_below_75"}).content.decode()

    assert _at_risk_names(everyone) == ["Beta Ben", "Gamma Chloe"]
    assert _at_risk_names(high) == ["Beta Ben"]
    assert _at_risk_names(reason) == ["Gamma Chloe"]


def test_dashboard_at_risk_card_combines_with_the_class_filter(school, admin_client):
    html = admin_client.get(DASHBOARD, {"class_division": "B2"}).content.decode()

    assert _at_risk_names(html) == ["Gamma Chloe"]
    assert 'data-band="bottom"' not in html  # alone in B2: no band


def test_dashboard_at_risk_card_shows_the_band_badge(school, admin_client):
    html = admin_client.get(DASHBOARD).content.decode()

    assert 'data-band="bottom"' in html
    assert "Bottom 15%" in html


def test_dashboard_at_risk_card_swaps_alone_for_its_htmx_target(school, admin_client):
    response = admin_client.get(
        DASHBOARD,
        {"risk_level": "medium"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="analytics-at-risk-card",
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert html.strip().startswith('<section class="card" id="analytics-at-risk-card">')
    assert "chart-histogram" not in html
    assert _at_risk_names(html) == ["Gamma Chloe"]


def test_dashboard_rejects_a_level_the_at_risk_card_does_not_show(school, admin_client):
    response = admin_client.get(DASHBOARD, {"risk_level": "low"})

    assert response.status_code == 400
    assert "Risk level: Choose from: high, medium." in response.content.decode()


def test_dashboard_at_risk_export_link_lists_the_same_students(
    school, admin_client, admin_user, monkeypatch
):
    monkeypatch.setattr("apps.analytics.views.AT_RISK_SHOWN", 1)

    html = admin_client.get(DASHBOARD, {"class_division": "A1"}).content.decode()
    html_all = admin_client.get(DASHBOARD).content.decode()

    link = html_all.split("All (XLSX)")[0].rsplit('href="', 1)[1].split('"')[0]
    query = link.split("?", 1)[1].replace("&amp;", "&").replace("format=xlsx", "format=json")
    listed = _client(admin_user).get(f"{STUDENTS}?{query}")
    assert "All (XLSX)" not in html  # one flagged student in A1: all shown
    assert "risk_level=high%2Cmedium" in link
    assert _names(listed) == ["Beta Ben", "Gamma Chloe"]


@pytest.mark.parametrize(
    "params",
    [
        {"risk_level": "\x00"},
        {"risk_reason": "x" * 5000},
        {"band": ",,,bottom,,middle"},
        {"risk_level": ["high", "Robert'); DROP TABLE--"]},
    ],
)
def test_students_api_answers_hostile_list_filters_with_400(school, admin_user, params):
    response = _client(admin_user).get(STUDENTS, params)

    assert response.status_code == 400
    assert set(response.json()) == set(params)


def test_students_api_list_filters_ignore_case_and_blanks(school, admin_user):
    response = _client(admin_user).get(STUDENTS, {"risk_level": " HIGH , ", "band": ""})

    assert _names(response) == ["Beta Ben"]


# --- The list's files --------------------------------------------------------------------
def _csv_lines(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def _csv_students(lines: list[list[str]]) -> list[dict]:
    start = next(i for i, line in enumerate(lines) if line[:1] == ["Student ID"])
    columns = lines[start]
    return [dict(zip(columns, line, strict=True)) for line in lines[start + 1 :] if line]


def test_students_csv_has_percentile_and_band_and_names_the_list_filters(school, admin_user):
    response = _client(admin_user).get(
        STUDENTS, {"risk_level": "high,medium", "band": "bottom", "format": "csv"}
    )

    lines = _csv_lines(response)
    rows = [(r["Name"], r["Percentile"], r["Percentile band"]) for r in _csv_students(lines)]
    assert response.status_code == 200
    assert rows == [("Beta Ben", "33.33", "bottom")]
    assert ["Risk level", "medium, high"] in lines
    assert ["Percentile band", "bottom"] in lines
    assert not any(line[:1] == ["Risk reason"] for line in lines)


def test_students_csv_without_list_filters_has_empty_band_for_the_middle(school, admin_user):
    response = _client(admin_user).get(STUDENTS, {"format": "csv", "ordering": "percentile"})

    lines = _csv_lines(response)
    rows = [(r["Name"], r["Percentile"], r["Percentile band"]) for r in _csv_students(lines)]
    assert rows == [
        ("Beta Ben", "33.33", "bottom"),
        ("Gamma Chloe", "66.67", ""),
        ("Alpha Ana", "100.0", "top"),
    ]
    assert not any(line[:1] in (["Risk level"], ["Percentile band"]) for line in lines)


def test_students_csv_in_greek_translates_the_new_headers(school, admin_user):
    response = _client(admin_user).get(
        STUDENTS,
        {"risk_reason": "attendance_below_70", "format": "csv"},
        HTTP_ACCEPT_LANGUAGE="el",
    )

    text = response.content.decode("utf-8-sig")
    assert response.status_code == 200
    assert "Percentile band" not in text
    assert "Risk reason" not in text
    assert "attendance_below_70" in text
