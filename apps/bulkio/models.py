"""Import and export jobs, the per-row change log that makes rollback exact, schedules."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Resource(models.TextChoices):
    STUDENTS = "students", _("Students")
    COURSES = "courses", _("Courses")
    ENROLLMENTS = "enrollments", _("Enrollments")
    GRADES = "grades", _("Grades")
    ATTENDANCE = "attendance", _("Attendance")


# What an import can hold: a file of one record kind, or a OneRoster 1.1 zip of several
# (import only: it is exported by an endpoint of its own, not as an export job).
ONEROSTER = "oneroster"
IMPORT_RESOURCES = [*Resource.choices, (ONEROSTER, _("OneRoster 1.1 (zip)"))]


class ImportMode(models.TextChoices):
    ALL_OR_NOTHING = "all_or_nothing", _("All or nothing")
    SKIP_INVALID = "skip_invalid", _("Skip invalid rows")


class ImportStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    PREVIEWING = "previewing", _("Previewing")
    PREVIEWED = "previewed", _("Previewed")
    APPLYING = "applying", _("Applying")
    APPLIED = "applied", _("Applied")
    FAILED = "failed", _("Failed")
    ROLLED_BACK = "rolled_back", _("Rolled back")


class ImportJob(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="import_jobs",
    )
    resource = models.CharField(_("resource"), max_length=20, choices=IMPORT_RESOURCES)
    original_name = models.CharField(_("file name"), max_length=255)
    file = models.FileField(_("file"), upload_to="imports/%Y/%m/", max_length=255)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    format = models.CharField(_("format"), max_length=10, blank=True)
    encoding = models.CharField(_("encoding"), max_length=20, blank=True)
    delimiter = models.CharField(_("delimiter"), max_length=2, blank=True)
    mode = models.CharField(
        _("mode"), max_length=20, choices=ImportMode.choices, default=ImportMode.ALL_OR_NOTHING
    )
    status = models.CharField(
        _("status"), max_length=20, choices=ImportStatus.choices, default=ImportStatus.QUEUED
    )
    progress = models.PositiveSmallIntegerField(_("progress"), default=0)
    # Runs of the current step (preview, then apply) that started: recovery after a worker
    # died tells an apply that never started from one that did (jobs.recover_interrupted).
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0, editable=False)
    row_count = models.PositiveIntegerField(_("rows"), default=0)
    totals = models.JSONField(_("totals"), default=dict, blank=True)
    applied_totals = models.JSONField(_("applied totals"), default=dict, blank=True)
    # The dry run as shown to the user: capped rows, every error, ignored columns.
    preview = models.JSONField(_("preview"), default=dict, blank=True)
    # The file's headers the user mapped to fields ("" ignores one): every read of the file
    # (preview, apply, failed rows) matches its columns with it.
    column_map = models.JSONField(_("column map"), default=dict, blank=True)
    # The map was the one remembered for this header row, not given with the upload.
    column_map_remembered = models.BooleanField(_("column map remembered"), default=False)
    error_message = models.TextField(_("error"), blank=True)
    timings = models.JSONField(_("timings (s)"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    previewed_at = models.DateTimeField(_("previewed at"), null=True, blank=True)
    applied_at = models.DateTimeField(_("applied at"), null=True, blank=True)
    rolled_back_at = models.DateTimeField(_("rolled back at"), null=True, blank=True)
    rolled_back_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("rolled back by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "-created_at"], name="bulkio_import_user_idx")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.resource} · {self.original_name} ({self.status})"

    @property
    def is_running(self) -> bool:
        return self.status in (
            ImportStatus.QUEUED,
            ImportStatus.PREVIEWING,
            ImportStatus.APPLYING,
        )


class ColumnMapping(models.Model):
    """A user's column map for a header row, offered again for the next file with the same
    headers. Per user: a teacher's mapping never changes what an admin's upload reads."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="column_mappings",
    )
    resource = models.CharField(_("resource"), max_length=20, choices=Resource.choices)
    # SHA-256 of the header row's normalised names, sorted (``apps.bulkio.mapping``).
    header_digest = models.CharField(_("header row digest"), max_length=64)
    column_map = models.JSONField(_("column map"), default=dict)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("column mapping")
        verbose_name_plural = _("column mappings")
        ordering = ["-updated_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "resource", "header_digest"], name="bulkio_column_mapping_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.resource} · {len(self.column_map)} columns"


class ChangeAction(models.TextChoices):
    CREATE = "create", _("Created")
    UPDATE = "update", _("Updated")
    DELETE = "delete", _("Deleted")


class ImportChange(models.Model):
    """One row written by an import: enough to undo it exactly and to spot later edits."""

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="changes")
    row = models.PositiveIntegerField(_("row"))
    model = models.CharField(_("model"), max_length=60)
    object_id = models.BigIntegerField(_("object id"))
    action = models.CharField(_("action"), max_length=10, choices=ChangeAction.choices)
    before = models.JSONField(_("before"), null=True, blank=True)
    after = models.JSONField(_("after"), null=True, blank=True)

    class Meta:
        verbose_name = _("import change")
        verbose_name_plural = _("import changes")
        ordering = ["job_id", "id"]
        indexes = [models.Index(fields=["job", "model"], name="bulkio_change_job_model_idx")]

    def __str__(self) -> str:
        return f"{self.action} {self.model}#{self.object_id} (row {self.row})"


class ExportFormat(models.TextChoices):
    CSV = "csv", "CSV"
    XLSX = "xlsx", "XLSX"
    PDF = "pdf", "PDF"


class ExportStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    READY = "ready", _("Ready")
    FAILED = "failed", _("Failed")


class ExportJob(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="export_jobs",
    )
    resource = models.CharField(_("resource"), max_length=20, choices=Resource.choices)
    format = models.CharField(_("format"), max_length=5, choices=ExportFormat.choices)
    columns = models.JSONField(_("columns"), default=list, blank=True)
    filters = models.JSONField(_("filters"), default=dict, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=ExportStatus.choices, default=ExportStatus.QUEUED
    )
    progress = models.PositiveSmallIntegerField(_("progress"), default=0)
    file = models.FileField(_("file"), upload_to="exports/%Y/%m/", max_length=255, blank=True)
    file_name = models.CharField(_("file name"), max_length=255, blank=True)
    size = models.PositiveBigIntegerField(_("size"), default=0)
    row_count = models.PositiveIntegerField(_("rows"), default=0)
    error_message = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("export")
        verbose_name_plural = _("exports")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"#{self.pk} {self.resource}.{self.format} ({self.status})"


class ScheduledExport(models.Model):
    """An export run on a crontab and emailed; the timing lives in django-celery-beat."""

    name = models.CharField(_("name"), max_length=200)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="scheduled_exports",
    )
    resource = models.CharField(_("resource"), max_length=20, choices=Resource.choices)
    format = models.CharField(_("format"), max_length=5, choices=ExportFormat.choices)
    columns = models.JSONField(_("columns"), default=list, blank=True)
    filters = models.JSONField(_("filters"), default=dict, blank=True)
    crontab = models.CharField(
        _("crontab"),
        max_length=100,
        help_text=_("minute hour day-of-month month day-of-week, e.g. “0 7 * * 1”."),
    )
    recipients = models.JSONField(_("recipients"), default=list)
    enabled = models.BooleanField(_("enabled"), default=True)
    periodic_task = models.OneToOneField(
        "django_celery_beat.PeriodicTask",
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    last_run_at = models.DateTimeField(_("last run"), null=True, blank=True)
    last_status = models.CharField(_("last status"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("scheduled export")
        verbose_name_plural = _("scheduled exports")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        from apps.bulkio.scheduling import parse_crontab

        try:
            parse_crontab(self.crontab)
        except ValidationError as error:
            raise ValidationError({"crontab": error.messages}) from None
