"""Stored results of the grade engine, kept in step with every write (see ``results.py``).

These tables are a cache of ``apps.academics.grading``: rows are only ever written by
``apps.analytics.results.refresh_results`` / ``rebuild_results`` from the engine's output,
never edited by hand. The engine stays the one place for the rules; the dashboards read
these rows so that whole-school figures are grouped reads instead of a recomputation.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from apps.academics.models import Course, Student

_AMOUNT = {"max_digits": 12, "decimal_places": 2, "null": True, "blank": True}


class EnrollmentResult(models.Model):
    """The engine's ``CourseResult`` of one counted (not dropped) enrollment of a live
    student in a live course."""

    student = models.ForeignKey(
        Student, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    course = models.ForeignKey(
        Course, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    final_grade = models.DecimalField(_("final grade"), **_AMOUNT)
    gpa = models.DecimalField(_("GPA"), **_AMOUNT)
    greek_grade = models.DecimalField(_("Greek grade"), **_AMOUNT)
    letter_grade = models.CharField(_("letter grade"), max_length=2, blank=True, default="")
    total_weight_used = models.DecimalField(_("total weight used"), **_AMOUNT)
    absence_deduction = models.DecimalField(_("absence deduction"), **_AMOUNT)
    present = models.PositiveIntegerField(default=0)
    absent = models.PositiveIntegerField(default=0)
    late = models.PositiveIntegerField(default=0)
    excused = models.PositiveIntegerField(default=0)
    attendance_rate = models.DecimalField(_("attendance rate"), **_AMOUNT)
    unexcused_absences = models.PositiveIntegerField(default=0)
    consecutive_absences = models.PositiveIntegerField(default=0)
    reason = models.CharField(max_length=40, blank=True, default="")
    credits = models.PositiveSmallIntegerField(default=3)
    computed_at = models.DateTimeField()

    class Meta:
        verbose_name = _("enrollment result")
        verbose_name_plural = _("enrollment results")
        constraints = [
            models.UniqueConstraint(fields=["student", "course"], name="enrollres_pair_uniq")
        ]
        indexes = [
            models.Index(fields=["course", "final_grade"], name="enrollres_course_final_idx"),
            models.Index(fields=["letter_grade"], name="enrollres_letter_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.student_id}/{self.course_id}: {self.final_grade}"


class EnrollmentBreakdown(models.Model):
    """The category breakdown of one ``EnrollmentResult`` (same student and course),
    written and removed with it. Kept apart because only one student's report reads it,
    while the figures scan the results: in the results' rows its JSON was four fifths of
    each row (large demo, PostgreSQL: 105 MB of results, 12 MB without it)."""

    student = models.ForeignKey(
        Student,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,  # the pair's unique index starts with the student
        related_name="+",
    )
    course = models.ForeignKey(
        Course, on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="+"
    )
    category_breakdown = models.JSONField(default=dict)

    class Meta:
        verbose_name = _("enrollment breakdown")
        verbose_name_plural = _("enrollment breakdowns")
        constraints = [
            models.UniqueConstraint(fields=["student", "course"], name="enrollbreak_pair_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.student_id}/{self.course_id}"


class StudentResult(models.Model):
    """The engine's ``StudentSummary`` of one live student (also with no courses)."""

    student = models.OneToOneField(
        Student,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
        primary_key=True,
    )
    gpa = models.DecimalField(_("GPA"), **_AMOUNT)
    average_grade = models.DecimalField(_("average grade"), **_AMOUNT)
    attendance_rate = models.DecimalField(_("attendance rate"), **_AMOUNT)
    unexcused_absences = models.PositiveIntegerField(default=0)
    trend = models.CharField(max_length=20)
    trend_slope = models.DecimalField(max_digits=16, decimal_places=6, null=True, blank=True)
    risk_score = models.IntegerField(default=0)
    risk_level = models.CharField(max_length=10)
    # low 0, medium 1, high 2: lets SQL order by the level.
    risk_rank = models.PositiveSmallIntegerField(default=0)
    risk_reasons = models.JSONField(default=list)
    computed_at = models.DateTimeField()

    class Meta:
        verbose_name = _("student result")
        verbose_name_plural = _("student results")
        indexes = [models.Index(fields=["risk_level"], name="studres_risk_idx")]

    def __str__(self) -> str:
        return f"{self.student_id}: {self.risk_level}"


class AttendanceSlot(models.Model):
    """Counted attendance records of one course on one date and period, by status.

    Counted: live student, live course, enrollment not dropped. Weekday, period and week
    breakdowns are grouped reads of these few thousand rows instead of every record.
    """

    course = models.ForeignKey(
        Course, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    date = models.DateField()
    period_number = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=10)
    records = models.PositiveIntegerField()

    class Meta:
        indexes = [models.Index(fields=["course", "date"], name="attslot_course_date_idx")]

    def __str__(self) -> str:
        return f"{self.course_id} {self.date} {self.period_number} {self.status}"


class GradeBucket(models.Model):
    """Counted grade items of one course and raw category with one percentage
    (``grade / max_grade · 100`` rounded to 2 decimals), and how many there are."""

    course = models.ForeignKey(
        Course, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    category = models.CharField(max_length=100)
    percentage = models.FloatField()
    items = models.PositiveIntegerField()

    class Meta:
        indexes = [models.Index(fields=["course"], name="gradebucket_course_idx")]

    def __str__(self) -> str:
        return f"{self.course_id} {self.category} {self.percentage}"


# --- Daily rollups (``apps/analytics/rollups.py``) ----------------------------------------
# One row per counted enrollment and day with records: a date range is one grouped read
# of each table (``apps/analytics/ranged``), never a read of the raw rows. Days, not weeks:
# an enrollment has about one grade and one or two attendance marks a day, so weekly rows
# saved little (0.96 M weeks for 1 M grades) and left partial edge weeks to raw rows.
def _rollup_key(to) -> models.ForeignKey:
    """A rollup's student or course: no constraint (rows are rewritten in bulk) and no
    index of its own, since each rollup's composite indexes start with it and a rebuild
    writes millions of rows, paying for every index (attendance days: 2 of 5 indexes
    gone, 16 % faster to write)."""
    return models.ForeignKey(
        to, on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="+"
    )


class _EnrollmentDay(models.Model):
    student = _rollup_key(Student)
    course = _rollup_key(Course)
    day = models.DateField()

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.student_id}/{self.course_id} {self.day}"


def _day_indexes(prefix: str, *covered: str) -> list[models.Index]:
    # (course, day, …) serves course-restricted scopes (a teacher, a course filter),
    # (day, …) whole-school ranges, (student, day) the refresh of a few students. The
    # course and day indexes also hold the ``covered`` columns a range sums, so those
    # reads are one index range without a table lookup per row (SQLite, large demo: a
    # whole school's 30 days, attendance 1.3 → 0.5 s and grades 0.9 → 0.5 s; the demo
    # teacher's six courses from a date, attendance 31 → 9 ms and grades 20 → 9 ms).
    suffix = "cover" if covered else "idx"
    day_fields = ["day", "student", "course", *covered] if covered else ["day"]
    course_fields = ["course", "day", "student", *covered] if covered else ["course", "day"]
    return [
        models.Index(fields=["student", "day"], name=f"{prefix}_student_idx"),
        models.Index(fields=course_fields, name=f"{prefix}_course_{suffix}"),
        models.Index(fields=day_fields, name=f"{prefix}_day_{suffix}"),
    ]


class GradeDay(_EnrollmentDay):
    """Grade items of one enrollment, one raw category and one ``date_assigned``: the
    engine's weighted sums over items of weight > 0, every item (``all_items``, the
    dashboard's count), and the day's most recent item (order key: ``date_submitted``
    else ``date_assigned``, then id) for the exam rule."""

    category = models.CharField(max_length=100)
    weighted_sum = models.FloatField()
    weight_sum = models.FloatField()
    items = models.PositiveIntegerField()
    all_items = models.PositiveIntegerField(default=0)
    latest_day = models.DateField()
    latest_id = models.BigIntegerField()
    latest_percentage = models.FloatField()

    class Meta:
        indexes = _day_indexes(
            "gradeday", "category", "weighted_sum", "weight_sum", "items", "all_items"
        )


class DailyPerformanceDay(_EnrollmentDay):
    """Daily performance of one enrollment, one raw category and one ``date``."""

    category = models.CharField(max_length=100)
    total = models.FloatField()
    entries = models.PositiveIntegerField()

    class Meta:
        indexes = _day_indexes("dailyday")


class AttendanceDay(_EnrollmentDay):
    """Attendance of one enrollment on one day: counts by status, and what the longest
    run of ``absent`` needs to join days (records ordered by period, id): the run the day
    starts with, the run it ends with, its longest run, whether every record is an
    absence, and the previous day with records (runs only join across such days)."""

    present = models.PositiveIntegerField(default=0)
    absent = models.PositiveIntegerField(default=0)
    late = models.PositiveIntegerField(default=0)
    excused = models.PositiveIntegerField(default=0)
    first_run = models.PositiveIntegerField(default=0)
    last_run = models.PositiveIntegerField(default=0)
    longest_run = models.PositiveIntegerField(default=0)
    all_absent = models.BooleanField(default=False)
    previous_day = models.DateField(null=True, blank=True)

    class Meta:
        indexes = _day_indexes("attday", "present", "absent", "late", "excused")


class TrendSegment(models.Model):
    """The trend's least-squares sums over one enrollment's grade items of one
    ``date_assigned`` (``day``) and one order day (``date_submitted`` else
    ``date_assigned``), or over all its items (``whole``), with ranks local to the segment,
    and the first and last order key, so segments whose keys do not interleave are
    concatenated exactly (``apps/analytics/ranged/trend.py``)."""

    student = _rollup_key(Student)
    course = _rollup_key(Course)
    day = models.DateField(null=True, blank=True)
    whole = models.BooleanField(default=False)
    items = models.PositiveIntegerField()
    sum_y = models.FloatField()
    sum_ry = models.FloatField()
    first_day = models.DateField()
    first_id = models.BigIntegerField()
    last_day = models.DateField()
    last_id = models.BigIntegerField()

    class Meta:
        indexes = [
            models.Index(fields=["student", "whole", "day"], name="trendseg_student_idx"),
            models.Index(fields=["course", "whole", "day"], name="trendseg_course_idx"),
            models.Index(fields=["whole", "day"], name="trendseg_day_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.student_id}/{self.course_id} {self.day}: {self.items}"


class RollupState(models.Model):
    """One row: the version of ``apps/analytics/rollups.py`` every daily rollup row was
    written by (``rollups.ROLLUPS_VERSION``), and when they were last rebuilt whole.

    A full rebuild writes it at the code's version; the first rollup write into a database
    without it (a new site) writes it too. The migration that added the rollups to a
    database with data writes version 0: until a rebuild, the ranged figures come from the
    live engine (``apps/analytics/rollup_state.py``). No row: nothing was ever rolled up.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    version = models.PositiveIntegerField()
    built_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("rollup state")

    def __str__(self) -> str:
        return f"rollups v{self.version}"
