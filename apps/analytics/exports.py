"""Each analytics payload as file sections and charts (the same data as the JSON)."""

from __future__ import annotations

from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext_lazy as _

from apps.academics.models import AttendanceStatus
from apps.analytics import charts
from apps.analytics.exporting import Chart, Column, Section

C = Column


def _overview(rows: list[tuple[str, object, str]]) -> Section:
    return Section(
        _("Overview"),
        [C("figure", _("Figure")), C("value", _("Value"), "num")],
        [{"figure": label, "value": value} for label, value, _kind in rows],
    )


LETTER_COLUMNS = [
    C("label", _("Letter")),
    C("count", _("Count"), "int"),
    C("percent", "%", "percent"),
]
HISTOGRAM_COLUMNS = [
    C("from", _("From"), "int"),
    C("to", _("To"), "int"),
    C("count", _("Count"), "int"),
]
TREND_COLUMNS = [C("week_start", _("Week starting"), "date"), C("rate", _("Rate (%)"), "percent")]


def _courses_table(title: str, rows: list[dict]) -> Section:
    return Section(
        title,
        [
            C("course_code", _("Course code")),
            C("course_name", _("Course")),
            C("average_final_grade", _("Average final grade"), "num"),
            C("students", _("Students graded"), "int"),
        ],
        rows,
    )


def dashboard(payload: dict) -> tuple[list[Section], list[Chart]]:
    totals = payload["totals"]
    overview = _overview(
        [(key.replace("_", " ").capitalize(), value, "int") for key, value in totals.items()]
        + [
            (_("Average grade"), payload["average_grade"], "num"),
            (_("Attendance rate (%)"), payload["attendance_rate"], "num"),
            (_("Pass rate (%)"), payload["pass_rate"], "num"),
            (_("At risk: high"), payload["at_risk"]["high"], "int"),
            (_("At risk: medium"), payload["at_risk"]["medium"], "int"),
        ]
    )
    sections = [
        overview,
        Section(_("Grade distribution"), LETTER_COLUMNS, payload["grade_distribution"]),
        Section(_("Attendance trend"), TREND_COLUMNS, payload["attendance_trend"]),
        _courses_table(_("Top courses"), payload["top_courses"]),
        _courses_table(_("Bottom courses"), payload["bottom_courses"]),
    ]
    return sections, [
        _letters_chart(payload["grade_distribution"]),
        _trend_chart(payload["attendance_trend"]),
    ]


def _letters_chart(buckets: list[dict]) -> Chart:
    return Chart(
        _("Final grades by letter"),
        charts.bar_chart([b["label"] for b in buckets], [b["count"] for b in buckets]),
    )


def _trend_chart(trend: list[dict]) -> Chart:
    return Chart(
        _("Attendance rate by week (%)"),
        charts.line_chart([t["week_start"][5:] for t in trend], [t["rate"] for t in trend]),
    )


def _histogram_chart(title: str, bins: list[dict]) -> Chart:
    return Chart(
        title,
        charts.bar_chart([f"{b['from']}–{b['to']}" for b in bins], [b["count"] for b in bins]),
    )


STUDENT_COLUMNS = [
    C("student_id", _("Student ID")),
    C("name", _("Name")),
    C("class_division", _("Class division")),
    C("study_year", _("Study year"), "int"),
    C("average_grade", _("Average grade"), "num"),
    C("gpa", _("GPA"), "num"),
    C("attendance_rate", _("Attendance rate (%)"), "percent"),
    C("unexcused_absences", _("Unexcused absences"), "int"),
    C("trend", _("Trend")),
    C("risk_level", _("Risk level")),
    C("risk_score", _("Risk score"), "int"),
    C("risk_reasons", _("Risk reasons")),
    C("percentile", _("Percentile"), "num"),
    C("band", _("Percentile band")),
]


def students(payload: dict) -> tuple[list[Section], list[Chart]]:
    return [Section(_("Students"), STUDENT_COLUMNS, payload["results"])], []


def student_detail(payload: dict) -> tuple[list[Section], list[Chart]]:
    student = payload["student"]
    overview = _overview(
        [
            (_("GPA"), payload["gpa"], "num"),
            (_("Average grade"), payload["average_grade"], "num"),
            (_("Attendance rate (%)"), payload["attendance_rate"], "num"),
            (_("Risk score"), payload["risk"]["score"], "int"),
        ]
    )
    overview.title = f"{student['name']} ({student['student_id']})"
    overview.rows += [
        {"figure": _("Trend"), "value": payload["trend"]},
        {"figure": _("Risk level"), "value": payload["risk"]["level"]},
        {"figure": _("Risk reasons"), "value": "; ".join(payload["risk"]["reasons"])},
    ]
    courses = Section(
        _("Courses"),
        [
            C("course_code", _("Course code")),
            C("course_name", _("Course")),
            C("final_grade", _("Final grade"), "num"),
            C("gpa", _("GPA"), "num"),
            C("greek_grade", _("Greek grade (/20)"), "num"),
            C("letter_grade", _("Letter")),
            C("total_weight_used", _("Weight used (%)"), "num"),
            C("attendance_rate", _("Attendance rate (%)"), "percent"),
            C("unexcused_absences", _("Unexcused absences"), "int"),
            C("absence_deduction", _("Absence deduction"), "num"),
            C("course_average", _("Course average"), "num"),
            C("percentile", _("Percentile"), "int"),
        ],
        [{**course, **(course.get("comparison") or {})} for course in payload["courses"]],
    )
    breakdown_rows = [
        {"course_code": course["course_code"], "category": key, **(values or {})}
        for course in payload["courses"]
        for key, values in (course.get("category_breakdown") or {}).items()
    ]
    breakdown = Section(
        _("Category breakdown"),
        [
            C("course_code", _("Course code")),
            C("category", _("Category")),
            C("average", _("Average"), "num"),
            C("weight", _("Weight"), "num"),
            C("contribution", _("Contribution"), "num"),
            C("items", _("Items"), "int"),
        ],
        breakdown_rows,
    )
    chart = Chart(
        _("Final grade per course"),
        charts.bar_chart(
            [c["course_code"] for c in payload["courses"]],
            [c["final_grade"] for c in payload["courses"]],
        ),
    )
    return [overview, courses, breakdown], [chart]


def grades(payload: dict) -> tuple[list[Section], list[Chart]]:
    overview = _overview(
        [
            (label, payload[key], "num")
            for key, label in (
                ("count", _("Grades")),
                ("mean", _("Mean (%)")),
                ("median", _("Median (%)")),
                ("stdev", _("Standard deviation")),
                ("min", _("Minimum (%)")),
                ("max", _("Maximum (%)")),
                ("p25", _("25th percentile (%)")),
                ("p75", _("75th percentile (%)")),
                ("pass_rate", _("Pass rate (%)")),
            )
        ]
    )
    sections = [
        overview,
        Section(_("Letter buckets"), LETTER_COLUMNS, payload["letter_buckets"]),
        Section(_("Histogram"), HISTOGRAM_COLUMNS, payload["histogram"]),
        Section(
            _("By category"),
            [
                C("category", _("Category")),
                C("count", _("Count"), "int"),
                C("mean", _("Mean (%)"), "num"),
            ],
            payload["by_category"],
        ),
    ]
    return sections, [_histogram_chart(_("Grades by percentage"), payload["histogram"])]


def _status_label(status: str) -> str:
    labels = dict(AttendanceStatus.choices)
    return str(labels.get(status, status.capitalize()))


def attendance(payload: dict) -> tuple[list[Section], list[Chart]]:
    overview = _overview(
        [(_("Records"), payload["records"], "int"), (_("Rate (%)"), payload["rate"], "num")]
        + [(_status_label(status), count, "int") for status, count in payload["by_status"].items()]
    )
    by_weekday = [{**row, "name": WEEKDAYS[row["weekday"] - 1]} for row in payload["by_weekday"]]
    rate_columns = [C("records", _("Records"), "int"), C("rate", _("Rate (%)"), "percent")]
    sections = [
        overview,
        Section(
            _("By weekday"),
            [C("weekday", _("Weekday"), "int"), C("name", _("Name"))] + rate_columns,
            by_weekday,
        ),
        Section(
            _("By period"), [C("period", _("Period"), "int")] + rate_columns, payload["by_period"]
        ),
        Section(
            _("Weekday x period"),
            [C("weekday", _("Weekday"), "int"), C("period", _("Period"), "int")] + rate_columns,
            payload["heatmap"],
        ),
        Section(
            _("By course"),
            [C("course_code", _("Course code"))] + rate_columns,
            payload["by_course"],
        ),
        Section(_("Trend"), TREND_COLUMNS, payload["trend"]),
        Section(
            _("Alerts"),
            [
                C("student_id", _("Student ID")),
                C("name", _("Name")),
                C("course_code", _("Course code")),
                C("rate", _("Rate (%)"), "percent"),
                C("unexcused_absences", _("Unexcused absences"), "int"),
                C("consecutive_absences", _("Consecutive absences"), "int"),
            ],
            payload["alerts"],
        ),
    ]
    weekday_chart = Chart(
        _("Attendance rate by weekday (%)"),
        charts.bar_chart(
            [str(d["name"])[:3] for d in by_weekday],
            [d["rate"] for d in by_weekday],
        ),
    )
    return sections, [_trend_chart(payload["trend"]), weekday_chart]


COURSE_COLUMNS = [
    C("course_code", _("Course code")),
    C("course_name", _("Course")),
    C("enrolled", _("Enrolled"), "int"),
    C("average_final_grade", _("Average final grade"), "num"),
    C("median_final_grade", _("Median final grade"), "num"),
    C("pass_rate", _("Pass rate (%)"), "percent"),
    C("attendance_rate", _("Attendance rate (%)"), "percent"),
    C("stdev", _("Standard deviation"), "num"),
    C("at_risk", _("At risk"), "int"),
]


def courses(payload: dict) -> tuple[list[Section], list[Chart]]:
    rows = payload["results"]
    chart = Chart(
        _("Average final grade per course"),
        charts.bar_chart(
            [r["course_code"] for r in rows[:30]], [r["average_final_grade"] for r in rows[:30]]
        ),
    )
    return [Section(_("Courses"), COURSE_COLUMNS, rows)], [chart]


def course_detail(payload: dict) -> tuple[list[Section], list[Chart]]:
    sections = [
        Section(f"{payload['course_code']}", COURSE_COLUMNS, [payload]),
        Section(_("Letter buckets"), LETTER_COLUMNS, payload["letter_buckets"]),
        Section(_("Histogram"), HISTOGRAM_COLUMNS, payload["histogram"]),
        Section(
            _("Students"),
            [
                C("student_id", _("Student ID")),
                C("name", _("Name")),
                C("final_grade", _("Final grade"), "num"),
                C("letter_grade", _("Letter")),
                C("difference_from_average", _("Difference from average"), "num"),
                C("attendance_rate", _("Attendance rate (%)"), "percent"),
                C("unexcused_absences", _("Unexcused absences"), "int"),
                C("risk_level", _("Risk level")),
            ],
            payload["students"],
        ),
    ]
    return sections, [
        _histogram_chart(_("Final grades"), payload["histogram"]),
        _letters_chart(payload["letter_buckets"]),
    ]
