"""The grade engine (SPEC §2.1): one place for every rule that turns marks into results.

Two layers, kept apart so that the rules can be read and tested without a database:

* **Pure computation** on frozen dataclasses: ``parse_rules``, ``category_totals``,
  ``compute_course_result`` / ``finalise_course_result`` (``finals``: the final grade and
  risk level alone, from plain sums, for figures that show nothing else), ``attendance_rate``,
  ``letter_grade``, ``least_squares_slope``, ``trend_label``, ``risk_assessment`` and
  ``summarise_student``.
* **Loading**: ``course_result`` and ``student_summary`` read one student's rows;
  ``course_results`` and ``student_summaries`` serve many students with a fixed number of
  queries (SQL aggregates grouped by student, course and category; window functions for
  absence runs and trend sums). Both feed the same pure functions.

Final grades use ``Decimal``. Sums computed by the database arrive as floats, so every
rounded figure is first settled to 9 decimals and then rounded half up to 2 decimals: the
row-level and the bulk paths therefore give the same numbers.

Layout: ``keys`` (category names), ``decimals`` (conversion and rounding), ``model`` (the
frozen dataclasses), ``rules`` (pure computation: the one home of the attendance rate, the
pass mark, letters and risk), ``expressions`` (the same rules in SQL: counted records,
percentages), ``loading`` (one student) and ``bulk`` (many students). Import from
``apps.academics.grading``; the names below are its API.
"""

from apps.academics.grading.bulk import course_results, student_summaries, trends
from apps.academics.grading.decimals import HUNDRED, ONE, ZERO, round2, to_decimal
from apps.academics.grading.expressions import counted_records, percentage_expression
from apps.academics.grading.keys import ATTENDANCE_KEY, EXAM_KEYS, category_key
from apps.academics.grading.loading import counted_enrollments, course_result, student_summary
from apps.academics.grading.model import (
    AttendanceCounts,
    CategoryBreakdown,
    CategoryTotals,
    CourseResult,
    DailyItem,
    EvaluationRule,
    GradeItem,
    Risk,
    RiskReason,
    StudentSummary,
)
from apps.academics.grading.rules import (
    LETTER_BOUNDARIES,
    RISK_LEVELS,
    TREND_MIN_ITEMS,
    TREND_THRESHOLD,
    CourseCategories,
    apply_daily,
    attendance_rate,
    category_totals,
    compute_course_result,
    daily_sums,
    finalise_course_result,
    gpa_points,
    gradable_rule_labels,
    greek_grade,
    label_for_slope,
    latest_exams,
    least_squares_slope,
    letter_grade,
    longest_absence_run,
    parse_rules,
    pass_mark,
    risk_assessment,
    risk_level,
    rule_for_category,
    slope_from_sums,
    summarise_student,
    trend_label,
    unrounded_attendance_rate,
)

__all__ = [
    "ATTENDANCE_KEY",
    "AttendanceCounts",
    "CategoryBreakdown",
    "CategoryTotals",
    "CourseCategories",
    "CourseResult",
    "DailyItem",
    "EXAM_KEYS",
    "EvaluationRule",
    "GradeItem",
    "HUNDRED",
    "LETTER_BOUNDARIES",
    "ONE",
    "RISK_LEVELS",
    "Risk",
    "RiskReason",
    "StudentSummary",
    "TREND_MIN_ITEMS",
    "TREND_THRESHOLD",
    "ZERO",
    "apply_daily",
    "attendance_rate",
    "category_key",
    "category_totals",
    "compute_course_result",
    "counted_enrollments",
    "counted_records",
    "course_result",
    "course_results",
    "daily_sums",
    "finalise_course_result",
    "gpa_points",
    "gradable_rule_labels",
    "greek_grade",
    "label_for_slope",
    "latest_exams",
    "least_squares_slope",
    "letter_grade",
    "longest_absence_run",
    "parse_rules",
    "pass_mark",
    "percentage_expression",
    "risk_assessment",
    "risk_level",
    "rule_for_category",
    "round2",
    "slope_from_sums",
    "student_summaries",
    "student_summary",
    "summarise_student",
    "to_decimal",
    "trend_label",
    "trends",
    "unrounded_attendance_rate",
]
