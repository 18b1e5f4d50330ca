"""Big lists stay cheap: bounded counts on every list, keyset (cursor) pages on the marks.

A list counts at most ``SMS_API_COUNT_CAP`` rows (then ``count_is_exact`` is false) and
still serves every page; attendance, grades and daily performance also page by cursor,
scoped to whoever sends the request, with a tampered cursor or an unsupported ordering
answered 400 in the API's error shape.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qs, urlsplit

import hypothesis
import pytest
from django.core import signing
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given
from hypothesis import strategies as st

from apps.academics.models import Attendance
from tests.api.conftest import client_for
from tests.api.test_filter_fuzz import HOSTILE, is_error_shape
from tests.factories import (
    AdminFactory,
    AttendanceFactory,
    CourseFactory,
    DailyPerformanceFactory,
    GradeFactory,
    StudentFactory,
    StudentUserFactory,
    TeacherFactory,
    enroll,
)

# Also on PostgreSQL: the row-value comparison and the capped count are SQL of their own.
pytestmark = pytest.mark.postgres

FIRST_DAY = dt.date(2025, 9, 1)


class Register:
    """Two courses, each with its teacher and two students, and attendance on many days
    (several rows share a date, so the keyset's tie-breaker matters)."""

    def __init__(self, days: int = 6):
        self.admin = AdminFactory()
        self.teacher, self.other_teacher = TeacherFactory(), TeacherFactory()
        self.course = CourseFactory(teachers=[self.teacher])
        self.other_course = CourseFactory(teachers=[self.other_teacher])
        self.student_user = StudentUserFactory()
        self.student = StudentFactory(user=self.student_user)
        self.classmate = StudentFactory()
        for student in (self.student, self.classmate):
            enroll(student, self.course)
            enroll(student, self.other_course)
        for day in range(days):
            for student in (self.student, self.classmate):
                for course in (self.course, self.other_course):
                    self.mark(student, course, FIRST_DAY + dt.timedelta(days=day))

    def mark(self, student, course, date, period: int = 1) -> Attendance:
        return AttendanceFactory(student=student, course=course, date=date, period_number=period)

    def ids(self, **lookups) -> set[int]:
        return set(Attendance.objects.filter(**lookups).values_list("pk", flat=True))


@pytest.fixture
def register(db) -> Register:
    return Register()


def walk(client, path: str, params: dict) -> tuple[list[int], list[dict]]:
    """Every row id met while following ``next`` from the first page, and the pages."""
    pages = [client.get(path, params).json()]
    while pages[-1]["next"]:
        response = client.get(pages[-1]["next"])
        assert response.status_code == 200
        pages.append(response.json())
    return [row["id"] for page in pages for row in page["results"]], pages


# --- Bounded count --------------------------------------------------------------------------
def test_list_count_is_exact_below_the_cap(register, settings):
    settings.SMS_API_COUNT_CAP = 24

    body = client_for(register.admin).get("/api/v1/attendance/", {"page_size": 5}).json()

    assert body["count"] == 24
    assert body["count_is_exact"] is True


def test_list_count_stops_at_the_cap(register, settings):
    settings.SMS_API_COUNT_CAP = 10

    body = client_for(register.admin).get("/api/v1/attendance/", {"page_size": 4}).json()

    assert body["count"] == 10
    assert body["count_is_exact"] is False
    assert len(body["results"]) == 4
    assert "page=2" in body["next"]


@pytest.mark.parametrize(
    ("path", "rows"),
    [("students", 2), ("courses", 2), ("enrollments", 4), ("grades", 2), ("attendance", 24),
     ("daily-performance", 2)],
)  # fmt: skip
def test_list_count_is_capped_on_every_list(register, settings, path, rows):
    for course in (register.course, register.other_course):
        GradeFactory(student=register.student, course=course)
        DailyPerformanceFactory(student=register.student, course=course)
    settings.SMS_API_COUNT_CAP = 1

    body = client_for(register.admin).get(f"/api/v1/{path}/").json()

    assert body["count"] == 1
    assert body["count_is_exact"] is False
    assert len(body["results"]) == rows  # every row is still on the page


def test_list_pages_beyond_the_cap_reach_every_row_once(register, settings):
    settings.SMS_API_COUNT_CAP = 7

    ids, pages = walk(client_for(register.admin), "/api/v1/attendance/", {"page_size": 5})

    assert sorted(ids) == sorted(register.ids())
    assert len(pages) == 5  # 24 rows: 5 + 5 + 5 + 5 + 4
    assert [page["count"] for page in pages] == [7] * 5
    assert pages[-1]["next"] is None
    assert "page=4" in pages[-1]["previous"]


def test_list_page_past_the_end_is_404_when_count_is_capped(register, settings):
    settings.SMS_API_COUNT_CAP = 7
    client = client_for(register.admin)

    past = client.get("/api/v1/attendance/", {"page_size": 5, "page": 6})
    huge = client.get("/api/v1/attendance/", {"page_size": 5, "page": 10**30})
    zero = client.get("/api/v1/attendance/", {"page_size": 5, "page": 0})

    assert [past.status_code, huge.status_code, zero.status_code] == [404, 404, 404]
    assert past.json() == {"detail": "Invalid page."}


def test_list_last_page_needs_an_exact_count(register, settings):
    client = client_for(register.admin)
    settings.SMS_API_COUNT_CAP = 100
    exact = client.get("/api/v1/attendance/", {"page_size": 5, "page": "last"})

    settings.SMS_API_COUNT_CAP = 7
    capped = client.get("/api/v1/attendance/", {"page_size": 5, "page": "last"})

    assert exact.status_code == 200
    assert len(exact.json()["results"]) == 4
    assert capped.status_code == 404
    assert "more than 7 rows" in capped.json()["detail"]


def test_list_capped_count_reads_a_limited_subquery_not_the_whole_table(register, settings):
    settings.SMS_API_COUNT_CAP = 10
    client = client_for(register.admin)

    with CaptureQueriesContext(connection) as queries:
        response = client.get("/api/v1/attendance/", {"page_size": 4})

    assert response.status_code == 200
    counts = [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]
    assert len(counts) == 1
    assert "LIMIT 11" in counts[0]  # SELECT COUNT(*) FROM (SELECT … LIMIT cap + 1)
    assert 'academics_student"."first_name' not in counts[0]  # no joined columns


def test_list_page_runs_a_bounded_number_of_queries(
    register, settings, django_assert_max_num_queries
):
    settings.SMS_API_COUNT_CAP = 10
    client = client_for(register.admin)

    # The user, the capped count, the page's ids, then its rows with their student and course.
    with django_assert_max_num_queries(4):
        deep = client.get("/api/v1/attendance/", {"page_size": 4, "page": 5})

    assert deep.status_code == 200
    assert len(deep.json()["results"]) == 4


def test_list_page_below_the_cap_runs_a_bounded_number_of_queries(
    register, settings, django_assert_max_num_queries
):
    settings.SMS_API_COUNT_CAP = 100
    client = client_for(register.admin)

    # The user, the count, the page (on SQLite: its ids, then its rows).
    with django_assert_max_num_queries(4 if connection.vendor == "sqlite" else 3):
        response = client.get("/api/v1/attendance/", {"page_size": 4, "page": 5})

    assert response.status_code == 200
    assert response.json()["count"] == 24


def test_list_page_rows_come_in_the_asked_order_with_their_names(register):
    client = client_for(register.admin)

    body = client.get("/api/v1/attendance/", {"ordering": "-id", "page_size": 7, "page": 2}).json()

    assert [row["id"] for row in body["results"]] == sorted(register.ids(), reverse=True)[7:14]
    codes = {register.course.course_code, register.other_course.course_code}
    assert {row["course_code"] for row in body["results"]} == codes
    assert all(row["student_name"] for row in body["results"])


# --- Cursor pages ---------------------------------------------------------------------------
def test_cursor_first_page_has_no_count(register):
    response = client_for(register.admin).get("/api/v1/attendance/", {"cursor": "", "page_size": 5})

    body = response.json()
    assert response.status_code == 200
    assert set(body) == {"next", "previous", "results"}
    assert body["previous"] is None
    assert [row["date"] for row in body["results"]] == ["2025-09-06"] * 4 + ["2025-09-05"]


def test_cursor_pages_walk_the_whole_list_newest_first(register):
    ids, pages = walk(
        client_for(register.admin), "/api/v1/attendance/", {"cursor": "", "page_size": 5}
    )

    assert sorted(ids) == sorted(register.ids())
    assert len(ids) == len(set(ids)) == 24
    newest_first = sorted(Attendance.objects.values_list("date", "pk"), reverse=True)
    assert ids == [pk for _date, pk in newest_first]
    assert pages[-1]["next"] is None


def test_cursor_walk_has_no_duplicates_or_gaps_when_rows_are_inserted(register):
    client = client_for(register.admin)
    before = register.ids()
    first = client.get("/api/v1/attendance/", {"cursor": "", "page_size": 5}).json()
    # One row behind the walk (newer than everything read) and one ahead of it (older).
    behind = register.mark(register.student, register.course, FIRST_DAY + dt.timedelta(days=9))
    ahead = register.mark(register.student, register.course, FIRST_DAY - dt.timedelta(days=1))

    ids, _pages = walk(client, first["next"], {})

    seen = [row["id"] for row in first["results"]] + ids
    assert len(seen) == len(set(seen))
    assert set(seen) == before | {ahead.pk}
    assert behind.pk not in seen


def test_cursor_previous_links_walk_back_to_the_start(register):
    client = client_for(register.admin)
    _ids, pages = walk(client, "/api/v1/attendance/", {"cursor": "", "page_size": 5})

    back = [pages[-1]]
    while back[-1]["previous"]:
        back.append(client.get(back[-1]["previous"]).json())

    assert [page["results"] for page in reversed(back)] == [page["results"] for page in pages]
    assert back[-1]["next"] is not None


@pytest.mark.parametrize(
    ("ordering", "key"),
    [("date", lambda row: (row["date"], row["id"])), ("id", lambda row: row["id"])],
)
def test_cursor_walks_each_supported_ordering_in_order(register, ordering, key):
    client = client_for(register.admin)

    _ids, pages = walk(
        client, "/api/v1/attendance/", {"cursor": "", "page_size": 5, "ordering": ordering}
    )

    rows = [row for page in pages for row in page["results"]]
    assert len(rows) == 24
    assert rows == sorted(rows, key=key)


def test_cursor_pages_grades_newest_first(db):
    teacher = TeacherFactory()
    course = CourseFactory(teachers=[teacher])
    student = StudentFactory()
    enroll(student, course)
    grades = [
        GradeFactory(student=student, course=course, date_assigned=FIRST_DAY + dt.timedelta(n % 3))
        for n in range(7)
    ]

    ids, _pages = walk(client_for(teacher), "/api/v1/grades/", {"cursor": "", "page_size": 3})

    expected = sorted(grades, key=lambda grade: (grade.date_assigned, grade.pk), reverse=True)
    assert ids == [grade.pk for grade in expected]


@pytest.mark.parametrize(
    "ordering", ["student__last_name", "-date,id", "period_number", "date_assigned", "nonsense"]
)
def test_cursor_unsupported_ordering_is_400(register, ordering):
    response = client_for(register.admin).get(
        "/api/v1/attendance/", {"cursor": "", "ordering": ordering}
    )

    assert response.status_code == 400
    assert response.json() == {
        "ordering": ["With a cursor, order by one of: -date, date, -id, id."]
    }


def test_cursor_page_runs_one_query_besides_the_user(register, django_assert_max_num_queries):
    client = client_for(register.admin)
    first = client.get("/api/v1/attendance/", {"cursor": "", "page_size": 5}).json()

    with django_assert_max_num_queries(2):  # the user, the page; never a count
        response = client.get(first["next"])

    assert response.status_code == 200
    assert len(response.json()["results"]) == 5


def _token(link: str) -> str:
    return parse_qs(urlsplit(link).query)["cursor"][0]


def _tampered(register) -> dict[str, str]:
    client = client_for(register.admin)
    link = client.get("/api/v1/attendance/", {"cursor": "", "page_size": 5}).json()["next"]
    token = _token(link)
    payload, signature = token.rsplit(":", 1)
    forged = signing.Signer(key="not-the-site-key", salt="sms.api.cursor")
    GradeFactory.create_batch(2, student=register.student, course=register.course)
    grades_link = client.get("/api/v1/grades/", {"cursor": "", "page_size": 1}).json()["next"]
    site = signing.Signer(salt="sms.api.cursor")
    return {
        "garbage": "not a cursor",
        "flipped signature": f"{payload}:{signature[::-1]}",
        "other payload": f"{payload[:-2]}AA:{signature}",
        "forged key": forged.sign_object({"o": "-date", "p": ["2025-09-03", "1"], "b": False}),
        "another list's ordering": _token(grades_link),
        "not a date": site.sign_object({"o": "-date", "p": ["2025-13-45", "1"], "b": False}),
        "id out of range": site.sign_object({"o": "-date", "p": ["2025-09-03", "9" * 30], "b": 0}),
        "wrong width": site.sign_object({"o": "-date", "p": ["2025-09-03"], "b": False}),
        "no direction": site.sign_object({"o": "-date", "p": ["2025-09-03", "1"]}),
        "a list": site.sign_object(["-date"]),
        "NUL": "\x00",
        "very long": "A" * 5000,
    }


@pytest.mark.parametrize(
    "case",
    [
        "garbage", "flipped signature", "other payload", "forged key", "another list's ordering",
        "not a date", "id out of range", "wrong width", "no direction", "a list", "NUL",
        "very long",
    ],
)  # fmt: skip
def test_cursor_tampered_is_400_in_the_error_shape(register, case):
    token = _tampered(register)[case]

    response = client_for(register.admin).get("/api/v1/attendance/", {"cursor": token})

    assert response.status_code == 400
    assert response.json() == {"cursor": ["Invalid cursor."]}


@pytest.mark.parametrize("resource", ["attendance", "grades", "daily-performance"])
def test_cursor_mode_answers_hostile_values_without_a_500(register, resource):
    client = client_for(register.admin)
    path = f"/api/v1/{resource}/"
    names = st.sampled_from(["cursor", "ordering", "page", "page_size"])
    pairs = st.lists(st.tuples(names, HOSTILE), min_size=1, max_size=4)

    @hypothesis.settings(
        max_examples=25,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(query=pairs)
    def check(query):
        response = client.get(path, [("cursor", ""), *query])

        assert response.status_code in (200, 400, 404), (query, response.content)
        if response.status_code == 400:
            assert is_error_shape(response.json()), (query, response.content)

    check()


def test_list_search_with_a_nul_character_is_400_in_the_error_shape(register):
    response = client_for(register.admin).get("/api/v1/attendance/", {"search": "\x00"})

    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["Null characters are not allowed."]}


def test_browsable_api_pages_past_the_cap(register, settings, client):
    settings.SMS_API_COUNT_CAP = 7
    client.force_login(register.admin)

    deep = client.get("/api/v1/attendance/", {"page_size": 5, "page": 4}, HTTP_ACCEPT="text/html")
    by_cursor = client.get("/api/v1/attendance/", {"cursor": ""}, HTTP_ACCEPT="text/html")

    assert deep.status_code == 200
    assert "page=5" in deep.content.decode()  # the next link, without page numbers
    assert by_cursor.status_code == 200


# --- Scope, in both modes -------------------------------------------------------------------
@pytest.mark.parametrize("mode", [{"page": 1}, {"cursor": ""}], ids=["page", "cursor"])
@pytest.mark.parametrize("role", ["teacher", "student"])
def test_list_scope_per_role_in_both_modes(register, settings, mode, role):
    settings.SMS_API_COUNT_CAP = 3  # capped too: scope holds beyond the cap as well
    user, visible = {
        "teacher": (register.teacher, register.ids(course=register.course)),
        "student": (register.student_user, register.ids(student=register.student)),
    }[role]

    ids, _pages = walk(client_for(user), "/api/v1/attendance/", {**mode, "page_size": 5})

    assert sorted(ids) == sorted(visible)
    assert len(visible) == 12


def test_cursor_of_one_user_shows_another_only_their_scope(register):
    admin_page = client_for(register.admin).get(
        "/api/v1/attendance/", {"cursor": "", "page_size": 6}
    )
    last_seen = admin_page.json()["results"][-1]

    ids, _pages = walk(client_for(register.teacher), admin_page.json()["next"], {})

    rows = Attendance.objects.filter(pk__in=ids)
    assert ids
    assert {row.course_id for row in rows} == {register.course.pk}
    assert all(
        (row.date.isoformat(), row.pk) < (last_seen["date"], last_seen["id"]) for row in rows
    )
    older = register.ids(course=register.course, date__lt=last_seen["date"])
    assert older <= set(ids)


def test_cursor_with_a_filter_walks_only_the_filtered_rows(register):
    params = {"cursor": "", "page_size": 2, "course": register.other_course.pk, "status": "present"}

    ids, _pages = walk(client_for(register.admin), "/api/v1/attendance/", params)

    assert sorted(ids) == sorted(register.ids(course=register.other_course, status="present"))


def test_schema_documents_the_cursor_and_the_bounded_count(db):
    schema = Client().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()

    attendance = {p["name"] for p in schema["paths"]["/api/v1/attendance/"]["get"]["parameters"]}
    students = {p["name"] for p in schema["paths"]["/api/v1/students/"]["get"]["parameters"]}
    paginated = schema["components"]["schemas"]["PaginatedAttendanceList"]
    assert {"cursor", "page", "page_size", "ordering"} <= attendance
    assert "cursor" not in students
    assert "count_is_exact" in paginated["properties"]
