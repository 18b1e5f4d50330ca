from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from apps.academics.filtering import validate_filters
from apps.bulkio.importing.failed_rows import has_failed_rows
from apps.bulkio.importing.jobs import job_progress
from apps.bulkio.models import (
    IMPORT_RESOURCES,
    ExportFormat,
    ExportJob,
    ImportJob,
    ImportMode,
    Resource,
    ScheduledExport,
)
from apps.bulkio.scheduling import parse_crontab
from sms.jsonsafe import JSONSerializerField


class ImportCreateSerializer(serializers.Serializer):
    resource = serializers.ChoiceField(choices=IMPORT_RESOURCES)
    file = serializers.FileField()
    mode = serializers.ChoiceField(choices=ImportMode.choices, default=ImportMode.ALL_OR_NOTHING)
    # {"file column": "field" | ""}; absent: the map remembered for the file's header row.
    column_map = JSONSerializerField(required=False, binary=True)

    def validate_file(self, upload):
        if upload.size > settings.SMS_BULKIO_MAX_UPLOAD_BYTES:
            raise serializers.ValidationError(
                _("The file is too large; the largest file accepted is %(limit)s MB.")
                % {"limit": settings.SMS_BULKIO_MAX_UPLOAD_BYTES // 1_048_576}
            )
        return upload


class ImportJobSerializer(serializers.ModelSerializer):
    """History rows: the job without its preview rows."""

    user = serializers.CharField(source="user.username", default=None, read_only=True)
    progress = serializers.SerializerMethodField()

    class Meta:
        model = ImportJob
        fields = (
            "id",
            "status",
            "resource",
            "format",
            "mode",
            "progress",
            "original_name",
            "sha256",
            "row_count",
            "totals",
            "applied_totals",
            "error_message",
            "timings",
            "user",
            "created_at",
            "previewed_at",
            "applied_at",
            "rolled_back_at",
        )
        read_only_fields = fields

    def get_progress(self, job) -> int:
        return job_progress(job)


class ImportDetailSerializer(ImportJobSerializer):
    """The dry run of SPEC §4.3: totals, rows (capped, every error row kept) and errors."""

    rows = serializers.SerializerMethodField()
    errors = serializers.SerializerMethodField()
    rows_truncated = serializers.SerializerMethodField()
    errors_truncated = serializers.SerializerMethodField()
    columns = serializers.SerializerMethodField()
    ignored_columns = serializers.SerializerMethodField()
    header_row = serializers.SerializerMethodField()
    files = serializers.SerializerMethodField()
    failed_rows = serializers.SerializerMethodField()
    impact = serializers.SerializerMethodField()

    class Meta(ImportJobSerializer.Meta):
        fields = (
            *ImportJobSerializer.Meta.fields,
            "column_map",
            "column_map_remembered",
            "failed_rows",
            "columns",
            "ignored_columns",
            "header_row",
            "files",
            "impact",
            "rows",
            "rows_truncated",
            "errors",
            "errors_truncated",
        )
        read_only_fields = fields

    def get_rows(self, job) -> list:
        return job.preview.get("rows", [])

    def get_errors(self, job) -> list:
        return job.preview.get("errors", [])

    def get_rows_truncated(self, job) -> bool:
        return bool(job.preview.get("rows_truncated"))

    def get_errors_truncated(self, job) -> bool:
        return bool(job.preview.get("errors_truncated"))

    def get_columns(self, job) -> list:
        return job.preview.get("columns", [])

    def get_ignored_columns(self, job) -> list:
        return job.preview.get("ignored_columns", [])

    def get_header_row(self, job) -> int | None:
        """The file's row that holds the column names (below a title block, if any)."""
        return job.preview.get("header_row")

    def get_failed_rows(self, job) -> dict | None:
        """Where to download the rows with errors (CSV, XLSX), when there are any."""
        if not has_failed_rows(job):
            return None
        return {
            fmt: reverse("bulkio-api:import-failed-rows", args=[job.pk, fmt])
            for fmt in ("csv", "xlsx")
        }

    def get_files(self, job) -> list:
        """A OneRoster package's files: name, bulk/delta, rows and totals (else empty)."""
        return job.preview.get("files", [])

    def get_impact(self, job) -> dict | None:
        """What the rows to be written mean for students (``importing.impact``): grades
        they can already see that change, students moving into or out of at risk, new
        students who look like stored ones; null for the other resources."""
        return job.preview.get("impact")


class RollbackSerializer(serializers.Serializer):
    force = serializers.BooleanField(default=False)


class ExportCreateSerializer(serializers.Serializer):
    resource = serializers.ChoiceField(choices=Resource.choices)
    format = serializers.ChoiceField(choices=ExportFormat.choices)
    columns = serializers.ListField(child=serializers.CharField(), required=False, default=list)
    filters = serializers.DictField(required=False, default=dict)

    def validate_filters(self, value: dict) -> dict:
        return validate_filters(value)


class ExportJobSerializer(serializers.ModelSerializer):
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = ExportJob
        fields = (
            "id",
            "status",
            "progress",
            "resource",
            "format",
            "columns",
            "filters",
            "row_count",
            "size",
            "file_name",
            "error_message",
            "created_at",
            "finished_at",
            "download_url",
        )
        read_only_fields = fields

    def get_download_url(self, job) -> str | None:
        if job.status != "ready":
            return None
        return reverse("bulkio-api:export-download", args=[job.pk])


class ScheduledExportSerializer(serializers.ModelSerializer):
    recipients = serializers.ListField(child=serializers.EmailField(), allow_empty=False)
    columns = serializers.ListField(child=serializers.CharField(), required=False, default=list)
    filters = serializers.DictField(required=False, default=dict)

    class Meta:
        model = ScheduledExport
        fields = (
            "id",
            "name",
            "resource",
            "format",
            "columns",
            "filters",
            "crontab",
            "recipients",
            "enabled",
            "last_run_at",
            "last_status",
            "created_at",
        )
        read_only_fields = ("id", "last_run_at", "last_status", "created_at")

    def validate_filters(self, value: dict) -> dict:
        return validate_filters(value)

    def validate_crontab(self, value: str) -> str:
        from django.core.exceptions import ValidationError

        try:
            parse_crontab(value)
        except ValidationError as error:
            raise serializers.ValidationError(error.messages) from None
        return " ".join(value.split())
