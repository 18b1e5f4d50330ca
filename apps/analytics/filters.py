"""The analytics filters (SPEC §4.1): parsed once, validated, normalised for cache keys."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

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


@dataclass(frozen=True)
class AnalyticsFilters:
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    courses: tuple[int, ...] = ()
    students: tuple[int, ...] = ()
    class_division: str = ""
    study_year: int | None = None
    semester: str = ""
    threshold: Decimal = Decimal("75")
    consecutive: int = 3
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


class AnalyticsFilterSerializer(serializers.Serializer):
    date_from = serializers.DateField(required=False, allow_null=True)
    date_to = serializers.DateField(required=False, allow_null=True)
    course = serializers.ListField(child=serializers.IntegerField(min_value=1), required=False)
    student = serializers.ListField(child=serializers.IntegerField(min_value=1), required=False)
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


def _query_data(query) -> dict:
    """QueryDict → plain dict; repeatable keys as lists, empty values dropped."""
    data: dict = {}
    for name in FILTER_NAMES:
        values = [value.strip() for value in query.getlist(name) if value.strip()]
        if not values:
            continue
        if name in ("course", "student"):
            # Accept both ?course=1&course=2 and ?course=1,2.
            data[name] = [part for value in values for part in value.split(",") if part]
        else:
            data[name] = values[-1]
    return data


def parse_filters(query) -> AnalyticsFilters:
    """Validate a request's query string; raises DRF ValidationError with field messages."""
    serializer = AnalyticsFilterSerializer(data=_query_data(query))
    serializer.is_valid(raise_exception=True)
    data = serializer.validated_data
    return AnalyticsFilters(
        date_from=data.get("date_from"),
        date_to=data.get("date_to"),
        courses=tuple(sorted(set(data.get("course", [])))),
        students=tuple(sorted(set(data.get("student", [])))),
        class_division=(data.get("class_division") or "").strip(),
        study_year=data.get("study_year"),
        semester=(data.get("semester") or "").strip(),
        threshold=data.get("threshold", Decimal("75")),
        consecutive=data.get("consecutive", 3),
    )
