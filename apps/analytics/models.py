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
    category_breakdown = models.JSONField(default=dict)
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
