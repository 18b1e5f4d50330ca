"""The record filters (SPEC §4.1) shared by the analytics and the exports.

One parser for a request's query string (``?course=1&course=2`` or ``?course=1,2``) and
for the stored filters of export jobs and schedules (JSON dicts): the same names, the
same validation, the same ``{field: [messages]}`` errors, the same frozen value that
also gives the cache key. The attendance alert defaults come from the settings
(``SMS_NOTIFY_ATTENDANCE_THRESHOLD``, ``SMS_NOTIFY_CONSECUTIVE_ABSENCES``), the one place
they are defined.

Filters and scope, the same rule for every filter of the API lists (students, courses,
enrollments, grades, attendance, daily performance), the analytics and the exports:

- A filter narrows what the user may see; it never widens it or reveals anything beyond
  it. An id filter (``course``, ``student``, ``teacher``) naming something outside the
  scope matches nothing: the answer is exactly the one for an id that does not exist (an
  empty page, zero figures, a file with only its header), never a count of anything.
- Filters that follow an enrollment to another kind of record (students by ``course``,
  courses by ``student``, the analytics' and exports' student set by course or semester)
  follow only enrollments whose other end is in scope too
  (``scoping.enrollments_in_visible_courses`` / ``enrollments_of_visible_students``), so
  a teacher cannot count which of their students take a colleague's course, nor a student
  which of their courses a classmate takes.
- Value filters (dates, ``class_division``, ``study_year``, ``semester``, ``status``,
  ``category``) narrow the rows in scope by their own shown values.
- An object named in the path (``students/{id}/``, ``analytics/courses/{id}/``) outside
  the scope is a 404; a malformed value (not a number, not a date, an id beyond the
  database's range, an unknown choice) is a 400 ``{filter: [messages]}`` on the API and
  a 400 page on the pages (``page_number`` and ``BadQuery`` below).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import BadRequest
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from sms.api import MAX_DB_ID, flat_errors

FILTER_NAMES = (
    "date_from",
    "date_to",
    "course",
    "student",
    "class_division",
    "study_year",
    "semester",
    "threshold",
    "consecutive",
)
REPEATABLE_FILTERS = ("course", "student")


def default_threshold() -> Decimal:
    """Attendance below this rate (%) raises an alert."""
    return Decimal(str(settings.SMS_NOTIFY_ATTENDANCE_THRESHOLD))


def default_consecutive() -> int:
    """This many absences in a row raise an alert."""
    return int(settings.SMS_NOTIFY_CONSECUTIVE_ABSENCES)


@dataclass(frozen=True)
class RecordFilters:
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    courses: tuple[int, ...] = ()
    students: tuple[int, ...] = ()
    class_division: str = ""
    study_year: int | None = None
    semester: str = ""
    threshold: Decimal = field(default_factory=default_threshold)
    consecutive: int = field(default_factory=default_consecutive)
    extra: tuple[tuple[str, str], ...] = field(default=())

    def cache_token(self) -> str:
        """A stable text form: same filters in any order give the same token."""
        parts = [
            f"df={self.date_from or ''}",
            f"dt={self.date_to or ''}",
            "c=" + ",".join(str(pk) for pk in self.courses),
            "s=" + ",".join(str(pk) for pk in self.students),
            f"cd={self.class_division}",
            f"sy={self.study_year or ''}",
            f"se={self.semester}",
            f"th={self.threshold.normalize()}",
            f"cn={self.consecutive}",
        ]
        parts += [f"{name}={value}" for name, value in self.extra]
        return "&".join(parts)

    def as_display(self) -> list[tuple[str, str]]:
        """Label/value pairs of the filters that are set, for file headers."""
        shown = [
            (_("From"), self.date_from),
            (_("To"), self.date_to),
            (_("Courses"), ", ".join(str(pk) for pk in self.courses)),
            (_("Students"), ", ".join(str(pk) for pk in self.students)),
            (_("Class division"), self.class_division),
            (_("Study year"), self.study_year),
            (_("Semester"), self.semester),
        ]
        return [(str(label), str(value)) for label, value in shown if value not in (None, "")]

    def as_data(self) -> dict:
        """The filters that are set as a JSON-ready dict (what ``parse_filters`` reads)."""
        data = {
            "date_from": self.date_from.isoformat() if self.date_from else None,
            "date_to": self.date_to.isoformat() if self.date_to else None,
            "course": list(self.courses),
            "student": list(self.students),
            "class_division": self.class_division,
            "study_year": self.study_year,
            "semester": self.semester,
            **dict(self.extra),
        }
        return {key: value for key, value in data.items() if value not in (None, "", [])}


class RecordFilterSerializer(serializers.Serializer):
    date_from = serializers.DateField(required=False, allow_null=True)
    date_to = serializers.DateField(required=False, allow_null=True)
    course = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_DB_ID), required=False
    )
    student = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_DB_ID), required=False
    )
    class_division = serializers.CharField(required=False, allow_blank=True, max_length=50)
    study_year = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=4)
    semester = serializers.CharField(required=False, allow_blank=True, max_length=20)
    threshold = serializers.DecimalField(
        required=False, max_digits=5, decimal_places=2, min_value=0, max_value=100
    )
    consecutive = serializers.IntegerField(required=False, min_value=1, max_value=100)

    def validate(self, attrs):
        date_from, date_to = attrs.get("date_from"), attrs.get("date_to")
        if date_from and date_to and date_from > date_to:
            raise serializers.ValidationError(
                {"date_to": [_("The end date cannot be before the start date.")]}
            )
        return attrs


def _is_empty(value) -> bool:
    return value is None or value == "" or value == [] or value == ()


def normalise_filters(data: Mapping | None) -> dict:
    """Filters as plain values: repeatable ones as lists (``1``, ``"1,2"`` and ``[1, 2]``
    all work), text stripped, empty values dropped. Other keys are kept as they are."""
    normalised = {}
    for name, value in (data or {}).items():
        if name in REPEATABLE_FILTERS:
            items = value if isinstance(value, list | tuple) else [value]
            value = [
                part.strip() if isinstance(part, str) else part
                for item in items
                for part in (item.split(",") if isinstance(item, str) else [item])
            ]
            value = [part for part in value if not _is_empty(part)]
        elif isinstance(value, str):
            value = value.strip()
        if not _is_empty(value):
            normalised[name] = value
    return normalised


def query_filters(query) -> dict:
    """A request's query string (a ``QueryDict``) as filter data: the last value of a
    filter counts, except for the repeatable ones."""
    data = {}
    for name in FILTER_NAMES:
        values = [value for value in query.getlist(name) if value.strip()]
        if values:
            data[name] = values if name in REPEATABLE_FILTERS else values[-1]
    return normalise_filters(data)


def _checked(data: Mapping | None) -> tuple[dict, dict]:
    """(normalised data, validated values); raises DRF ``ValidationError`` with
    ``{filter: [messages]}``."""
    data = normalise_filters(data)
    serializer = RecordFilterSerializer(data=data)
    if not serializer.is_valid():
        raise serializers.ValidationError(flat_errors(serializer.errors))
    return data, serializer.validated_data


def validate_filters(data: Mapping | None) -> dict:
    """Filter data normalised and checked, to be stored (export jobs, schedules)."""
    return _checked(data)[0]


def parse_filters(data: Mapping | None) -> RecordFilters:
    """Filter data (from ``query_filters`` or a stored dict) as ``RecordFilters``; raises
    DRF ``ValidationError`` with ``{filter: [messages]}``."""
    values = _checked(data)[1]
    return RecordFilters(
        date_from=values.get("date_from"),
        date_to=values.get("date_to"),
        courses=tuple(sorted(set(values.get("course", [])))),
        students=tuple(sorted(set(values.get("student", [])))),
        class_division=(values.get("class_division") or "").strip(),
        study_year=values.get("study_year"),
        semester=(values.get("semester") or "").strip(),
        threshold=values.get("threshold", default_threshold()),
        consecutive=values.get("consecutive", default_consecutive()),
    )


def parse_query(query) -> RecordFilters:
    """A request's filters (``request.GET`` / ``query_params``); errors as in ``parse_filters``."""
    return parse_filters(query_filters(query))


def search_text(value) -> str:
    """Free text from a query string (``q``, ``search``) as the searches use it: spaces
    collapsed and NUL characters dropped, as the API's search does (PostgreSQL cannot
    compare text holding them)."""
    return " ".join(str(value or "").replace("\x00", "").split())


class BadQuery(BadRequest):
    """A page's query string that cannot be read: Django answers it with a 400 page."""


def page_number(query, name: str = "page") -> int | str:
    """A page's ``?page=`` for ``Paginator.get_page``: empty → 1, ``last`` as is, a whole
    number ≥ 1 (one past the end shows the last page); anything else is ``BadQuery``."""
    raw = (query.get(name) or "").strip()
    if not raw:
        return 1
    if raw == "last":
        return raw
    if raw.isascii() and raw.isdigit() and len(raw) <= 18 and int(raw) >= 1:
        return int(raw)
    raise BadQuery(_("The page number must be a whole number from 1."))
