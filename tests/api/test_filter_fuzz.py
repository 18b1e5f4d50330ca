"""Every filter of every list, analytics and export endpoint, fed hostile values.

For each endpoint, Hypothesis draws a role (admin, teacher, student) and a query string
of its filters with random text, whole numbers of any size, dates real and impossible,
and repeated values. Whatever comes, the answer is a normal one (200), a refusal (403),
an unknown object (404) or a 400 in the API's error shape; never a 500.
"""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apps.academics.grading import RISK_LEVELS
from apps.analytics.selectors.bands import BANDS, RISK_REASON_CODES
from apps.analytics.selectors.period_comparison import COMPARE_CHOICES
from tests.api.conftest import client_for

# Also on PostgreSQL, which refuses what SQLite lets pass (a NUL character in a string).
pytestmark = pytest.mark.postgres

RECORD_FILTERS = ("course", "student", "class_division", "study_year", "is_active", "search")
PAGING = ("page", "page_size", "ordering")
ANALYTICS_FILTERS = (
    "date_from", "date_to", "course", "student", "class_division", "study_year", "semester",
    "threshold", "consecutive", "format",
)  # fmt: skip
EXPORT_FILTERS = (
    "date_from", "date_to", "course", "student", "class_division", "study_year", "semester",
    "search", "columns",
)  # fmt: skip

ENDPOINTS = {
    "students/": (*RECORD_FILTERS, "date_from", "date_to", "academic_year", *PAGING),
    "courses/": ("student", "teacher", "semester", "is_active", "search", *PAGING),
    "enrollments/": (*RECORD_FILTERS, "status", "date_from", "date_to", *PAGING),
    "grades/": (*RECORD_FILTERS, "category", "date_from", "date_to", *PAGING),
    "attendance/": (
        *RECORD_FILTERS,
        "status",
        "date",
        "period_number",
        "date_from",
        "date_to",
        *PAGING,
    ),  # fmt: skip
    "daily-performance/": (*RECORD_FILTERS, "category", "date_from", "date_to", *PAGING),
    "analytics/dashboard/": ANALYTICS_FILTERS,
    "analytics/students/": (*ANALYTICS_FILTERS, *PAGING),
    "analytics/students/{student}/": ANALYTICS_FILTERS,
    "analytics/grades/": ANALYTICS_FILTERS,
    "analytics/attendance/": ANALYTICS_FILTERS,
    "analytics/courses/": ANALYTICS_FILTERS,
    "analytics/courses/{course}/": ANALYTICS_FILTERS,
    "exports/students.csv": EXPORT_FILTERS,
    "exports/courses.csv": EXPORT_FILTERS,
    "exports/enrollments.csv": EXPORT_FILTERS,
    "exports/grades.csv": EXPORT_FILTERS,
    "exports/attendance.csv": EXPORT_FILTERS,
    "imports/": ("resource", "status", "page"),
    "notifications/": ("unread", "kind", "page", "page_size"),
}

# What a hostile client sends: any text, numbers far beyond a database id, impossible
# dates, and the usual suspects.
HOSTILE = st.one_of(
    st.text(max_size=40),
    st.integers().map(str),
    st.integers(min_value=2**63 - 2, max_value=2**80).map(str),
    st.dates(min_value=dt.date(1, 1, 1)).map(dt.date.isoformat),
    st.sampled_from(
        [
            "",
            " ",
            "0",
            "-1",
            "1.5",
            "1e30",
            "NaN",
            "inf",
            "-0",
            "2025-02-30",
            "2025-13-45",
            "31/12/2025",
            "9" * 40,
            "true",
            "yes",
            "null",
            "[]",
            "{}",
            "1,2",
            ",",
            "1,,x",
            "\u202e",
            "\x00",
            "%00",
            "' OR 1=1 --",
            "json",
            "csv",
            "xlsx",
            "last",
        ]
    ),
)
ROLES = st.sampled_from(["admin", "teacher", "student"])


def user_of(school, role: str):
    return {
        "admin": school.admin,
        "teacher": school.own.teacher,
        "student": school.own.student_user,
    }[role]


def fetch(client, path: str, query):
    """GET, reading a streamed file to its end: a stream that breaks halfway is a failure
    too, not a 200."""
    response = client.get(path, query)
    if response.streaming:
        b"".join(response.streaming_content)
    return response


def is_error_shape(body) -> bool:
    """``{"detail": "…"}`` or ``{field: ["…", …]}``: what every API error looks like."""
    if not isinstance(body, dict) or not body:
        return False
    if isinstance(body.get("detail"), str):
        return True
    return all(
        isinstance(messages, list) and messages and all(isinstance(m, str) for m in messages)
        for messages in body.values()
    )


@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
def test_every_filter_answers_hostile_values_without_a_500(school, endpoint):
    path = "/api/v1/" + endpoint.format(course=school.own.course.pk, student=school.own.student.pk)
    names = st.sampled_from(ENDPOINTS[endpoint])
    pairs = st.lists(st.tuples(names, HOSTILE), min_size=1, max_size=4)

    @settings(
        max_examples=20,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(role=ROLES, query=pairs)
    def check(role, query):
        client = client_for(user_of(school, role))

        response = fetch(client, path, [(name, value) for name, value in query])

        assert response.status_code in (200, 400, 403, 404), (role, query, response.content)
        if response.status_code == 400:
            assert is_error_shape(response.json()), (role, query, response.content)

    check()


def test_every_filter_answers_a_nul_character_without_a_500(school):
    """PostgreSQL cannot compare text holding NUL: every filter must refuse or drop it."""
    client = client_for(school.admin)
    client.raise_request_exception = False  # list every failure, not only the first
    failures = []

    for endpoint, names in ENDPOINTS.items():
        path = "/api/v1/" + endpoint.format(
            course=school.own.course.pk, student=school.own.student.pk
        )
        for name in names:
            try:
                status = fetch(client, path, {name: "a\x00b"}).status_code
            except Exception as error:  # noqa: BLE001 - a broken stream, listed below
                status = repr(error)
            if status not in (200, 400, 404):
                failures.append((endpoint, name, status))

    assert failures == []


# The reports' own filters: the student list's risk level, reason and band, and the
# dashboard's comparison. Their values are drawn hostile or real (alone, as comma lists,
# in capitals with spaces), so both the refusal and the normal answer are exercised.
OWN_FILTER_CHOICES = {
    "risk_level": RISK_LEVELS,
    "risk_reason": RISK_REASON_CODES,
    "band": BANDS,
    "compare": COMPARE_CHOICES,
}
COMMA_LISTS = ("risk_level", "risk_reason", "band")
OWN_FILTERS = {
    "analytics/students/": ("risk_level", "risk_reason", "band"),
    "analytics/dashboard/": ("compare",),
}


def real_or_hostile(name: str):
    choice = st.sampled_from(OWN_FILTER_CHOICES[name])
    return st.one_of(
        HOSTILE,
        choice,
        choice.map(lambda value: f" {value.upper()} "),
        st.lists(choice, min_size=1, max_size=3).map(",".join),
    )


def is_accepted(query: list[tuple[str, str]]) -> bool:
    """What the filters read as real: every part of a comma list, and the last value of
    the others (as with the record filters), is a choice once stripped and in lower
    case, or blank."""
    listed = [(n, part) for n, value in query if n in COMMA_LISTS for part in value.split(",")]
    last = {name: value for name, value in query if name not in COMMA_LISTS}
    read = listed + list(last.items())
    return all(part.strip().lower() in ("", *OWN_FILTER_CHOICES[name]) for name, part in read)


@pytest.mark.parametrize("endpoint", list(OWN_FILTERS))
def test_report_own_filters_answer_hostile_values_with_400_or_200(school, endpoint):
    path = "/api/v1/" + endpoint
    pair = st.sampled_from(OWN_FILTERS[endpoint]).flatmap(
        lambda name: st.tuples(st.just(name), real_or_hostile(name))
    )

    @settings(
        max_examples=30,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(role=st.sampled_from(["admin", "teacher"]), query=st.lists(pair, min_size=1, max_size=4))
    def check(role, query):
        client = client_for(user_of(school, role))

        response = fetch(client, path, query)

        if is_accepted(query):
            assert response.status_code == 200, (role, query, response.content)
        else:
            assert response.status_code == 400, (role, query, response.content)
            assert is_error_shape(response.json()), (role, query, response.content)
            assert set(response.json()) <= {name for name, _value in query}, response.content

    check()


def test_report_own_filters_refuse_a_nul_character(school):
    client = client_for(school.admin)
    answers = {}

    for endpoint, names in OWN_FILTERS.items():
        for name in names:
            response = fetch(client, "/api/v1/" + endpoint, {name: "high\x00"})
            answers[(endpoint, name)] = (response.status_code, sorted(response.json()))

    assert answers == {
        ("analytics/students/", "risk_level"): (400, ["risk_level"]),
        ("analytics/students/", "risk_reason"): (400, ["risk_reason"]),
        ("analytics/students/", "band"): (400, ["band"]),
        ("analytics/dashboard/", "compare"): (400, ["compare"]),
    }
