"""The school's records: students, courses, enrollments, grades, attendance.

Row-level invariants live in ``clean()`` so that the admin, the services, the API and
the importer refuse the same bad data with the same message. Writes go through
``apps.academics.services``; the constraints here are the last line of defence.
"""

import uuid
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from apps.academics.validators import (
    clean_evaluation_rules,
    normalise_attendance_status,
    normalise_phone,
    validate_course_code,
    validate_date_of_birth,
    validate_no_bidi_controls,
    validate_not_future,
    validate_phone,
    validate_record_date,
    validate_student_id,
)


class SoftDeleteQuerySet(models.QuerySet):
    def alive(self):
        return self.filter(deleted_at__isnull=True)

    def deleted(self):
        return self.filter(deleted_at__isnull=False)


class AliveManager(models.Manager.from_queryset(SoftDeleteQuerySet)):
    """Default manager: soft-deleted rows are invisible unless asked for."""

    def get_queryset(self):
        return super().get_queryset().filter(deleted_at__isnull=True)


AllObjectsManager = models.Manager.from_queryset(SoftDeleteQuerySet)


class NewUUID(models.Func):
    """A random (version 4) UUID made by the database: the column default of ``sourced_id``,
    so rows inserted past the ORM (the demo seed's raw inserts) get one of their own."""

    output_field = models.UUIDField()

    def as_sql(self, compiler, connection, **extra_context):
        raise NotImplementedError(f"NewUUID is not available on {connection.vendor}")

    def as_postgresql(self, compiler, connection, **extra_context):
        return "gen_random_uuid()", []

    def as_sqlite(self, compiler, connection, **extra_context):
        # 32 hex digits, as Django stores a UUID on SQLite, with the version-4 bits set.
        return (
            "lower(hex(randomblob(6)) || '4' || substr(hex(randomblob(2)), 2) || "
            "substr('89ab', 1 + (random() & 3), 1) || substr(hex(randomblob(2)), 2) || "
            "hex(randomblob(6)))",
            [],
        )


def sourced_id_field():
    """The OneRoster ``sourcedId`` of a record (apps.bulkio.oneroster): stable across
    exports, never edited; not kept in the history (it never changes)."""
    return models.UUIDField(
        _("OneRoster sourcedId"),
        unique=True,
        default=uuid.uuid4,
        db_default=NewUUID(),
        editable=False,
    )


class SoftDeleteModel(models.Model):
    deleted_at = models.DateTimeField(_("deleted at"), null=True, blank=True, editable=False)

    objects = AliveManager()
    all_objects = AllObjectsManager()

    class Meta:
        abstract = True
        # Related lookups and the admin's history must still reach deleted rows.
        base_manager_name = "all_objects"

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


class Student(SoftDeleteModel):
    student_id = models.CharField(_("student ID"), max_length=50, validators=[validate_student_id])
    first_name = models.CharField(
        _("first name"), max_length=100, validators=[validate_no_bidi_controls]
    )
    last_name = models.CharField(
        _("last name"), max_length=100, validators=[validate_no_bidi_controls]
    )
    father_name = models.CharField(
        _("father's name"), max_length=100, blank=True, validators=[validate_no_bidi_controls]
    )
    date_of_birth = models.DateField(
        _("date of birth"), null=True, blank=True, validators=[validate_date_of_birth]
    )
    email = models.EmailField(_("email"), max_length=254)
    mobile_phone = models.CharField(
        _("mobile phone"), max_length=21, blank=True, validators=[validate_phone]
    )
    phone = models.CharField(_("phone"), max_length=21, blank=True, validators=[validate_phone])
    study_year = models.PositiveSmallIntegerField(
        _("study year"), default=1, validators=[MinValueValidator(1), MaxValueValidator(4)]
    )
    academic_year = models.CharField(
        _("academic year"), max_length=20, blank=True, validators=[validate_no_bidi_controls]
    )
    class_division = models.CharField(
        _("class division"), max_length=50, blank=True, validators=[validate_no_bidi_controls]
    )
    enrollment_date = models.DateField(
        _("enrollment date"), default=timezone.localdate, validators=[validate_not_future]
    )
    is_active = models.BooleanField(_("active"), default=True)
    health_issue = models.TextField(_("health issue"), blank=True)
    notes = models.TextField(_("notes"), blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user account"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="student_profile",
        limit_choices_to={"role": "student"},
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    sourced_id = sourced_id_field()

    history = HistoricalRecords(excluded_fields=["updated_at", "sourced_id"])

    class Meta(SoftDeleteModel.Meta):
        verbose_name = _("student")
        verbose_name_plural = _("students")
        ordering = ["last_name", "first_name", "student_id"]
        constraints = [
            # Unique among live rows, so a removed student's ID can be issued again.
            models.UniqueConstraint(
                fields=["student_id"],
                condition=Q(deleted_at__isnull=True),
                name="student_unique_live_student_id",
                violation_error_message=_("A student with this student ID already exists."),
            ),
            models.UniqueConstraint(
                fields=["email"],
                condition=Q(deleted_at__isnull=True),
                name="student_unique_live_email",
                violation_error_message=_("A student with this email already exists."),
            ),
            models.CheckConstraint(
                condition=Q(study_year__gte=1, study_year__lte=4), name="student_study_year_1_4"
            ),
        ]
        indexes = [
            models.Index(fields=["class_division", "study_year"], name="student_division_year_idx"),
            models.Index(fields=["last_name", "first_name"], name="student_name_idx"),
            models.Index(fields=["is_active"], name="student_active_idx"),
            # The few removed students, which every counted-enrollment read excludes
            # (``EnrollmentQuerySet.counted``): without it PostgreSQL scanned every
            # student for each such read (1.6 ms of the large demo, 0.01 ms with it).
            models.Index(
                fields=["id"], condition=Q(deleted_at__isnull=False), name="student_removed_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.last_name} {self.first_name} ({self.student_id})"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    def clean(self) -> None:
        self.email = (self.email or "").strip().lower()
        self.phone = normalise_phone(self.phone)
        self.mobile_phone = normalise_phone(self.mobile_phone)
        self.student_id = (self.student_id or "").strip()

    def clean_fields(self, exclude=None):
        # Phones are validated as typed (spaces allowed) and stored without spaces.
        super().clean_fields(exclude=exclude)
        self.phone = normalise_phone(self.phone)
        self.mobile_phone = normalise_phone(self.mobile_phone)


class GradePosting(models.TextChoices):
    """When students see a course's grades (SPEC §7): at once, or when the teacher posts."""

    AUTOMATIC = "automatic", _("Automatic: students see each grade as soon as it is saved")
    MANUAL = "manual", _("Manual: grades stay hidden until the teacher posts them")


class Course(SoftDeleteModel):
    course_code = models.CharField(
        _("course code"), max_length=30, validators=[validate_course_code]
    )
    course_name = models.CharField(
        _("course name"), max_length=200, validators=[validate_no_bidi_controls]
    )
    semester = models.CharField(
        _("semester"), max_length=20, validators=[validate_no_bidi_controls]
    )
    credits = models.PositiveSmallIntegerField(
        _("credits"), default=3, validators=[MinValueValidator(1), MaxValueValidator(12)]
    )
    description = models.TextField(_("description"), blank=True)
    evaluation_rules = models.JSONField(_("evaluation rules"), default=list, blank=True)
    absence_penalty = models.DecimalField(
        _("absence penalty"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
        help_text=_("Percentage points taken off the final grade per unexcused absence."),
    )
    hours_per_week = models.PositiveSmallIntegerField(_("hours per week"), null=True, blank=True)
    periods_per_week = models.PositiveSmallIntegerField(
        _("periods per week"), null=True, blank=True
    )
    is_active = models.BooleanField(_("active"), default=True)
    grade_posting = models.CharField(
        _("grade posting"),
        max_length=10,
        choices=GradePosting.choices,
        default=GradePosting.AUTOMATIC,
        help_text=_(
            "Manual: new and changed grades stay hidden from students until a teacher "
            "posts them. Switching back to automatic posts every hidden grade."
        ),
    )
    teachers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("teachers"),
        blank=True,
        related_name="courses_taught",
        limit_choices_to={"role": "teacher"},
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    sourced_id = sourced_id_field()

    history = HistoricalRecords(excluded_fields=["updated_at", "sourced_id"], m2m_fields=[teachers])

    class Meta(SoftDeleteModel.Meta):
        verbose_name = _("course")
        verbose_name_plural = _("courses")
        ordering = ["course_code"]
        constraints = [
            models.UniqueConstraint(
                fields=["course_code"],
                condition=Q(deleted_at__isnull=True),
                name="course_unique_live_code",
                violation_error_message=_("A course with this code already exists."),
            ),
            models.CheckConstraint(
                condition=Q(credits__gte=1, credits__lte=12), name="course_credits_1_12"
            ),
            models.CheckConstraint(
                condition=Q(absence_penalty__gte=0, absence_penalty__lte=100),
                name="course_absence_penalty_0_100",
            ),
        ]
        indexes = [
            models.Index(fields=["semester"], name="course_semester_idx"),
            # The removed courses, for the same reads as ``student_removed_idx``.
            models.Index(
                fields=["id"], condition=Q(deleted_at__isnull=False), name="course_removed_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.course_code} — {self.course_name}"

    def clean_fields(self, exclude=None):
        self.course_code = (self.course_code or "").strip().upper()
        super().clean_fields(exclude=exclude)

    def clean(self) -> None:
        try:
            self.evaluation_rules = clean_evaluation_rules(self.evaluation_rules)
        except ValidationError as error:
            raise ValidationError({"evaluation_rules": error.messages}) from None


class EnrollmentStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    DROPPED = "dropped", _("Dropped")
    COMPLETED = "completed", _("Completed")


COUNTED_STATUSES = (EnrollmentStatus.ACTIVE, EnrollmentStatus.COMPLETED)


class EnrollmentQuerySet(models.QuerySet):
    def counted(self):
        """The enrollments that count everywhere (SPEC §2.1): not dropped, and of a live
        student in a live course. Lists, scopes, analytics and notices all use this."""
        # Excluding the (few) soft-deleted ids is an anti-join; filtering on the joined
        # rows' deleted_at would join every enrollment to both tables.
        return (
            self.filter(status__in=COUNTED_STATUSES)
            .exclude(student_id__in=Student.all_objects.deleted().values("pk"))
            .exclude(course_id__in=Course.all_objects.deleted().values("pk"))
        )


class Enrollment(models.Model):
    student = models.ForeignKey(
        Student, verbose_name=_("student"), on_delete=models.CASCADE, related_name="enrollments"
    )
    course = models.ForeignKey(
        Course, verbose_name=_("course"), on_delete=models.CASCADE, related_name="enrollments"
    )
    enrolled_at = models.DateField(_("enrolled at"), default=timezone.localdate)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=EnrollmentStatus.choices,
        default=EnrollmentStatus.ACTIVE,
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    sourced_id = sourced_id_field()

    history = HistoricalRecords(excluded_fields=["updated_at", "sourced_id"])

    objects = EnrollmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("enrollment")
        verbose_name_plural = _("enrollments")
        ordering = ["course_id", "student_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["student", "course"],
                name="enrollment_unique_student_course",
                violation_error_message=_("This student is already enrolled in this course."),
            )
        ]
        indexes = [
            models.Index(fields=["course", "status"], name="enrollment_course_status_idx"),
            models.Index(fields=["student", "status"], name="enrollment_student_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.student_id} → {self.course_id} ({self.get_status_display()})"

    @classmethod
    def from_db(cls, db, field_names, values):
        # Remember the pair as loaded: moving an enrollment must refresh both courses.
        instance = super().from_db(db, field_names, values)
        instance._loaded_pair = (
            instance.__dict__.get("student_id"),
            instance.__dict__.get("course_id"),
        )
        return instance


def _require_enrollment(student_id, course_id, known_enrollments=None) -> None:
    """Marks only make sense for a student enrolled in the course.

    Bulk callers (the importer) validate thousands of unsaved rows: they set
    ``_known_enrollments`` on each instance to a pre-fetched set of
    ``(student_id, course_id)`` pairs, so this check costs no query per row.
    """
    if not (student_id and course_id):
        return
    if known_enrollments is not None:
        enrolled = (student_id, course_id) in known_enrollments
    else:
        enrolled = Enrollment.objects.filter(student_id=student_id, course_id=course_id).exists()
    if not enrolled:
        raise ValidationError(
            {"student": _("This student is not enrolled in this course.")}, code="not_enrolled"
        )


def _course_rules(record) -> list | None:
    """The evaluation rules of the record's course: pre-fetched by bulk callers
    (``_known_course_rules``: course id → rules), else the loaded or stored course's."""
    known = getattr(record, "_known_course_rules", None)
    if known is not None:
        return known.get(record.course_id)
    if not record.course_id:
        return None
    if Grade.course.is_cached(record):
        return record.course.evaluation_rules
    return (
        Course.all_objects.filter(pk=record.course_id)
        .values_list("evaluation_rules", flat=True)
        .first()
    )


_PARSED_RULES: dict[int, tuple[object, object]] = {}


def _categories_of(rules):
    """The course's categories, worked out once per rules list (a batch of 100,000
    grades shares a few courses' lists)."""
    from apps.academics.grading import CourseCategories

    cached = _PARSED_RULES.get(id(rules))
    if cached is not None and cached[0] is rules:
        return cached[1]
    if len(_PARSED_RULES) > 512:
        _PARSED_RULES.clear()
    categories = CourseCategories(rules)
    _PARSED_RULES[id(rules)] = (rules, categories)
    return categories


def _category_error(record) -> str | None:
    """A grade whose category matches no rule of its course would never count: refuse it.

    Checked when the category (or the course) is set: a stored grade whose category was
    accepted before its course's rules changed can still have its other fields edited.
    ``_loaded`` is the (course id, category) the row was read with, when it was read.
    """
    if not record.category:
        return None
    if getattr(record, "_loaded", None) == (record.course_id, record.category):
        return None
    rules = _course_rules(record)
    if not rules:
        return None  # a course without rules has no final grade at all (nothing to match)
    categories = _categories_of(rules)
    if categories.takes(record.category):
        return None
    return _("“%(category)s” matches none of this course's categories: %(categories)s.") % {
        "category": record.category,
        "categories": ", ".join(categories.labels) or "—",
    }


class Grade(models.Model):
    student = models.ForeignKey(
        Student, verbose_name=_("student"), on_delete=models.CASCADE, related_name="grades"
    )
    course = models.ForeignKey(
        Course, verbose_name=_("course"), on_delete=models.CASCADE, related_name="grades"
    )
    assignment_name = models.CharField(
        _("assignment"), max_length=200, validators=[validate_no_bidi_controls]
    )
    category = models.CharField(
        _("category"), max_length=100, validators=[validate_no_bidi_controls]
    )
    grade = models.DecimalField(
        _("grade"),
        max_digits=7,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0"), message=_("A grade cannot be negative."))],
    )
    max_grade = models.DecimalField(
        _("max grade"),
        max_digits=7,
        decimal_places=2,
        default=Decimal("100"),
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    weight = models.DecimalField(
        _("weight"),
        max_digits=4,
        decimal_places=2,
        default=Decimal("1"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("3"))],
    )
    # Optional on input: a grade without an assigned date takes its submission date
    # (``fill_dates``), so historic grades land on their own day, not on the import's.
    date_assigned = models.DateField(
        _("date assigned"), blank=True, validators=[validate_record_date]
    )
    date_submitted = models.DateField(
        _("date submitted"),
        null=True,
        blank=True,
        validators=[validate_record_date, validate_not_future],
    )
    notes = models.TextField(_("notes"), blank=True)
    # When the student could first see this value; empty while it is hidden (a course
    # with manual posting, ``apps.academics.posting``). Posted unless a writer says not.
    posted_at = models.DateTimeField(
        _("posted at"), null=True, blank=True, default=timezone.now, editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    sourced_id = sourced_id_field()

    history = HistoricalRecords(excluded_fields=["updated_at", "sourced_id"])

    class Meta:
        verbose_name = _("grade")
        verbose_name_plural = _("grades")
        ordering = ["course_id", "student_id", "date_assigned", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["student", "course", "assignment_name"],
                name="grade_unique_assignment",
                violation_error_message=_(
                    "This student already has a grade for this assignment in this course."
                ),
            ),
            models.CheckConstraint(
                condition=Q(grade__gte=0) & Q(grade__lte=models.F("max_grade")),
                name="grade_between_0_and_max",
            ),
            models.CheckConstraint(condition=Q(max_grade__gt=0), name="grade_max_positive"),
            models.CheckConstraint(
                condition=Q(weight__gte=0, weight__lte=3), name="grade_weight_0_3"
            ),
        ]
        indexes = [
            models.Index(
                fields=["course", "student", "category"], name="grade_course_student_cat_idx"
            ),
            models.Index(fields=["student", "date_assigned"], name="grade_student_date_idx"),
            # A teacher's grade statistics over a date range (by literal course ids): with
            # statistics (ANALYZE), SQLite otherwise read every grade of the range by date.
            models.Index(fields=["course", "date_assigned"], name="grade_course_date_idx"),
            # Also the keyset of the API's cursor pages (date, then id): sms/api.py.
            models.Index(fields=["date_assigned", "id"], name="grade_date_id_idx"),
            # The few hidden grades of a course: counted on the grid, posted in one UPDATE.
            models.Index(
                fields=["course", "assignment_name"],
                condition=Q(posted_at__isnull=True),
                name="grade_hidden_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.assignment_name}: {self.grade}/{self.max_grade}"

    def save(self, *args, **kwargs):
        self.fill_dates()
        super().save(*args, **kwargs)
        self._remember_stored()

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._remember_stored()
        return instance

    def refresh_from_db(self, *args, **kwargs):
        super().refresh_from_db(*args, **kwargs)
        self._remember_stored()

    def _remember_stored(self) -> None:
        # What the stored row says; see ``_category_error``.
        self._loaded = (self.__dict__.get("course_id"), self.__dict__.get("category"))

    def touched_categories(self) -> dict[int, set[str]]:
        """Per course, the categories a write of this grade changes: its own and, when it
        was read from the database, the ones it was read with (a grade moved to another
        category or course leaves the old one's figures stale)."""
        touched = {self.course_id: {self.category}}
        loaded_course, loaded_category = getattr(self, "_loaded", (None, None))
        if loaded_course is not None:
            touched.setdefault(loaded_course, set()).add(loaded_category)
        return touched

    @property
    def percentage(self) -> Decimal:
        return self.grade / self.max_grade * 100

    def fill_dates(self) -> None:
        """No assigned date: the submission date, else today."""
        if self.date_assigned is None:
            self.date_assigned = self.date_submitted or timezone.localdate()

    def clean(self) -> None:
        self.fill_dates()
        errors = {}
        if self.grade is not None and self.max_grade is not None and self.grade > self.max_grade:
            errors["grade"] = _("The grade cannot be higher than the maximum grade (%(max)s).") % {
                "max": self.max_grade
            }
        if self.date_assigned and self.date_submitted and self.date_submitted < self.date_assigned:
            errors["date_submitted"] = _("The submission date cannot be before the assigned date.")
        category_error = _category_error(self)
        if category_error:
            errors["category"] = category_error
        if errors:
            raise ValidationError(errors)
        _require_enrollment(
            self.student_id, self.course_id, getattr(self, "_known_enrollments", None)
        )


class AttendanceStatus(models.TextChoices):
    PRESENT = "present", _("Present")
    ABSENT = "absent", _("Absent")
    LATE = "late", _("Late")
    EXCUSED = "excused", _("Excused")


class Attendance(models.Model):
    student = models.ForeignKey(
        Student, verbose_name=_("student"), on_delete=models.CASCADE, related_name="attendance"
    )
    course = models.ForeignKey(
        Course, verbose_name=_("course"), on_delete=models.CASCADE, related_name="attendance"
    )
    date = models.DateField(_("date"), validators=[validate_record_date, validate_not_future])
    period_number = models.PositiveSmallIntegerField(
        _("period"), default=1, validators=[MinValueValidator(1)]
    )
    status = models.CharField(_("status"), max_length=10, choices=AttendanceStatus.choices)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("attendance record")
        verbose_name_plural = _("attendance records")
        ordering = ["-date", "period_number", "student_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["student", "course", "date", "period_number"],
                name="attendance_unique_slot",
                violation_error_message=_(
                    "Attendance for this student, course, date and period is already recorded."
                ),
            ),
            models.CheckConstraint(
                condition=Q(period_number__gte=1), name="attendance_period_gte_1"
            ),
        ]
        indexes = [
            models.Index(fields=["course", "date"], name="attendance_course_date_idx"),
            # Also the keyset of the API's cursor pages (date, then id): sms/api.py.
            models.Index(fields=["date", "id"], name="attendance_date_id_idx"),
            # A status filter in the lists' date order (and its count) without a scan.
            models.Index(fields=["status", "date", "id"], name="attendance_status_date_idx"),
            models.Index(
                fields=["student", "course", "status"], name="attendance_stud_course_st_idx"
            ),
        ]

    def __str__(self) -> str:
        return _("%(date)s, period %(period)s: %(status)s") % {
            "date": self.date,
            "period": self.period_number,
            "status": self.get_status_display(),
        }

    def clean_fields(self, exclude=None):
        self.status = normalise_attendance_status(self.status)
        super().clean_fields(exclude=exclude)

    def clean(self) -> None:
        _require_enrollment(
            self.student_id, self.course_id, getattr(self, "_known_enrollments", None)
        )


class DailyPerformance(models.Model):
    student = models.ForeignKey(
        Student,
        verbose_name=_("student"),
        on_delete=models.CASCADE,
        related_name="daily_performance",
    )
    course = models.ForeignKey(
        Course, verbose_name=_("course"), on_delete=models.CASCADE, related_name="daily_performance"
    )
    date = models.DateField(
        _("date"),
        default=timezone.localdate,
        validators=[validate_record_date, validate_not_future],
    )
    category = models.CharField(
        _("category"), max_length=100, validators=[validate_no_bidi_controls]
    )
    score = models.DecimalField(
        _("score"), max_digits=6, decimal_places=2, validators=[MinValueValidator(Decimal("0"))]
    )
    max_score = models.DecimalField(
        _("max score"),
        max_digits=6,
        decimal_places=2,
        default=Decimal("10"),
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("daily performance")
        verbose_name_plural = _("daily performance")
        ordering = ["-date", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(score__gte=0) & Q(score__lte=models.F("max_score")),
                name="daily_performance_score_range",
            ),
        ]
        indexes = [
            models.Index(
                fields=["course", "student", "category"], name="daily_course_student_cat_idx"
            ),
            # Also the keyset of the API's cursor pages (date, then id): sms/api.py.
            models.Index(fields=["date", "id"], name="daily_date_id_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.category}: {self.score}/{self.max_score}"

    def clean(self) -> None:
        if self.score is not None and self.max_score is not None and self.score > self.max_score:
            raise ValidationError(
                {
                    "score": _("The score cannot be higher than the maximum score (%(max)s).")
                    % {"max": self.max_score}
                }
            )
        _require_enrollment(
            self.student_id, self.course_id, getattr(self, "_known_enrollments", None)
        )
