"""Thin API views over the import/export services (SPEC §4.3)."""

from __future__ import annotations

import dataclasses

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import FileResponse, Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, mixins, status, viewsets
from rest_framework.exceptions import PermissionDenied
from rest_framework.exceptions import ValidationError as DRFValidationError
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.academics import scoping
from apps.academics.filtering import parse_query
from apps.bulkio import export_jobs, exporting, scheduling
from apps.bulkio.api import serializers
from apps.bulkio.importing import failed_rows, jobs
from apps.bulkio.importing.resources import RESOURCES
from apps.bulkio.importing.rollback import RollbackOutOfScope
from apps.bulkio.models import IMPORT_RESOURCES, ExportStatus, ImportStatus, ScheduledExport
from apps.bulkio.oneroster import export as oneroster_export
from sms.api import choice_param


class IsStaffRole(BasePermission):
    """Imports and exports are for admins and teachers."""

    def has_permission(self, request, view) -> bool:
        return scoping.is_staff(request.user)


class IsAdminRole(BasePermission):
    def has_permission(self, request, view) -> bool:
        return scoping.is_admin(request.user)


class ImportListCreateView(generics.ListAPIView):
    permission_classes = [IsStaffRole]
    serializer_class = serializers.ImportJobSerializer

    def get_queryset(self):
        queryset = jobs.jobs_for(self.request.user)
        resources = [value for value, _label in IMPORT_RESOURCES]
        for name, choices in (("resource", resources), ("status", ImportStatus.values)):
            if value := choice_param(self.request.query_params, name, choices):
                queryset = queryset.filter(**{name: value})
        return queryset

    @extend_schema(
        request={"multipart/form-data": serializers.ImportCreateSerializer},
        responses={
            201: serializers.ImportDetailSerializer,
            202: serializers.ImportDetailSerializer,
        },
    )
    def post(self, request):
        incoming = serializers.ImportCreateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        resource = incoming.validated_data["resource"]
        if not jobs.can_import(request.user, resource):
            raise PermissionDenied(_("You may not import %(resource)s.") % {"resource": resource})
        upload = incoming.validated_data["file"]
        try:
            job = jobs.start_import(
                user=request.user,
                resource=resource,
                filename=upload.name,
                data=upload.read(),
                mode=incoming.validated_data["mode"],
                column_map=incoming.validated_data.get("column_map"),
            )
        except jobs.ColumnMapInvalid as error:
            raise DRFValidationError({"column_map": [str(error)]}) from None
        except jobs.FileRejected as error:
            raise DRFValidationError({"file": [str(error)]}) from None
        code = status.HTTP_202_ACCEPTED if job.is_running else status.HTTP_201_CREATED
        return Response(serializers.ImportDetailSerializer(job).data, status=code)


class ImportDetailView(generics.RetrieveAPIView):
    permission_classes = [IsStaffRole]
    serializer_class = serializers.ImportDetailSerializer

    def get_queryset(self):
        return jobs.jobs_for(self.request.user)


class ImportConfirmView(APIView):
    permission_classes = [IsStaffRole]

    @extend_schema(
        request=None,
        responses={
            200: serializers.ImportDetailSerializer,
            202: serializers.ImportDetailSerializer,
        },
    )
    def post(self, request, pk: int):
        job = get_object_or_404(jobs.jobs_for(request.user), pk=pk)
        try:
            job = jobs.confirm_import(job, actor=request.user)
        except jobs.ImportRefused as error:
            return Response({"detail": str(error)}, status=status.HTTP_400_BAD_REQUEST)
        code = status.HTTP_202_ACCEPTED if job.is_running else status.HTTP_200_OK
        return Response(serializers.ImportDetailSerializer(job).data, status=code)


class ImportFailedRowsView(APIView):
    """``GET imports/{id}/failed-rows.{csv|xlsx}``: the rows with errors, to fix and upload
    again (the file's own columns and an ``error`` column)."""

    permission_classes = [IsStaffRole]

    @extend_schema(
        responses={
            (200, "application/octet-stream"): OpenApiTypes.BINARY,
            409: OpenApiResponse(OpenApiTypes.OBJECT, description="{detail}"),
        }
    )
    def get(self, request, pk: int, fmt: str):
        job = get_object_or_404(jobs.jobs_for(request.user), pk=pk)
        if fmt not in failed_rows.CONTENT_TYPES:
            raise Http404(_("Unknown format “%(name)s”.") % {"name": fmt[:20]})
        if not failed_rows.has_failed_rows(job):
            return Response(
                {"detail": _("This import has no rows with errors to download.")},
                status=status.HTTP_409_CONFLICT,
            )
        try:
            output = failed_rows.write_failed_rows(job, fmt)
        except (FileNotFoundError, jobs.FileRejected):
            raise Http404(_("The file of this import is no longer available.")) from None
        return FileResponse(
            output,
            as_attachment=True,
            filename=failed_rows.file_name(job, fmt),
            content_type=failed_rows.CONTENT_TYPES[fmt],
        )


class ImportRollbackView(APIView):
    permission_classes = [IsStaffRole]

    @extend_schema(
        request=serializers.RollbackSerializer,
        responses={
            200: serializers.ImportJobSerializer,
            403: OpenApiResponse(OpenApiTypes.OBJECT, description="{detail, rows[]}"),
            409: OpenApiResponse(OpenApiTypes.OBJECT, description="{detail, conflicts[]}"),
        },
    )
    def post(self, request, pk: int):
        job = get_object_or_404(jobs.jobs_for(request.user), pk=pk)
        incoming = serializers.RollbackSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        try:
            counts = jobs.rollback_import(
                job, actor=request.user, force=incoming.validated_data["force"]
            )
        except jobs.RollbackConflict as conflict:
            return Response(
                {
                    "detail": ngettext(
                        "%(count)s row was changed after the import. Roll back anyway with "
                        "force=true, or leave the import in place.",
                        "%(count)s rows were changed after the import. Roll back anyway with "
                        "force=true, or leave the import in place.",
                        len(conflict.conflicts),
                    )
                    % {"count": len(conflict.conflicts)},
                    "conflicts": [item.as_dict() for item in conflict.conflicts],
                },
                status=status.HTTP_409_CONFLICT,
            )
        except RollbackOutOfScope as refused:
            return Response(
                {"detail": refused.message, "rows": refused.rows},
                status=status.HTTP_403_FORBIDDEN,
            )
        except jobs.ImportRefused as error:
            return Response({"detail": str(error)}, status=status.HTTP_400_BAD_REQUEST)
        job.refresh_from_db()
        data = serializers.ImportJobSerializer(job).data
        return Response({**data, "restored": counts})


class ImportTemplateView(APIView):
    permission_classes = [IsStaffRole]

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY})
    def get(self, request, resource: str, fmt: str):
        if resource not in RESOURCES or fmt not in ("csv", "xlsx"):
            return Response({"detail": _("No such template.")}, status=status.HTTP_404_NOT_FOUND)
        response = HttpResponse(
            exporting.template_file(resource, fmt), content_type=exporting.CONTENT_TYPES[fmt]
        )
        response["Content-Disposition"] = f'attachment; filename="{resource}-template.{fmt}"'
        return response


class ExportViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    permission_classes = [IsStaffRole]
    serializer_class = serializers.ExportJobSerializer
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        return export_jobs.jobs_for(self.request.user)

    @extend_schema(
        request=serializers.ExportCreateSerializer,
        responses={202: serializers.ExportJobSerializer},
    )
    def create(self, request):
        incoming = serializers.ExportCreateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        try:
            export = exporting.make_request(
                data["resource"],
                data["format"],
                data["columns"],
                exporting.filters_from_data(data["filters"]),
            )
        except exporting.ExportRefused as error:
            raise DRFValidationError({"columns": [str(error)]}) from None
        job = export_jobs.start_export(user=request.user, request=export)
        return Response(serializers.ExportJobSerializer(job).data, status=status.HTTP_202_ACCEPTED)


class ExportDownloadView(APIView):
    permission_classes = [IsStaffRole]

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY})
    def get(self, request, pk: int):
        job = get_object_or_404(export_jobs.jobs_for(request.user), pk=pk)
        if job.status != ExportStatus.READY or not job.file:
            return Response(
                {"detail": _("The file is not ready (status: %(s)s).") % {"s": job.status}},
                status=status.HTTP_409_CONFLICT,
            )
        try:
            handle = job.file.open("rb")
        except FileNotFoundError:
            # Removed by the retention clean-up or by hand: gone, not a server error.
            raise Http404(_("The file of this export is no longer available.")) from None
        return FileResponse(
            handle,
            as_attachment=True,
            filename=job.file_name,
            content_type=exporting.CONTENT_TYPES[job.format],
        )


class ExportStreamView(APIView):
    """``GET exports/{resource}.{format}?columns=…&<record filters>`` answered directly."""

    permission_classes = [IsStaffRole]

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY})
    def get(self, request, resource: str, fmt: str):
        if resource not in RESOURCES or fmt not in exporting.CONTENT_TYPES:
            # An address that names nothing: 404, as for any unknown URL.
            message = (
                _("Unknown resource “%(name)s”.") % {"name": resource}
                if resource not in RESOURCES
                else _("Unknown format “%(name)s”.") % {"name": fmt}
            )
            return Response({"detail": message}, status=status.HTTP_404_NOT_FOUND)
        columns = [
            part for value in request.query_params.getlist("columns") for part in value.split(",")
        ]
        filters = parse_query(request.GET)
        filters = dataclasses.replace(
            filters, extra=exporting.search_extra(request.query_params.get("search"))
        )
        try:
            export = exporting.make_request(resource, fmt, columns, filters)
        except exporting.ExportRefused as error:
            raise DRFValidationError({"columns": [str(error)]}) from None
        response_name = exporting.file_name(export)
        if fmt == "csv":
            response = StreamingHttpResponse(
                exporting.stream_csv(export, request.user),
                content_type=exporting.CONTENT_TYPES["csv"],
            )
        else:
            try:
                data = exporting.render(export, request.user)
            except exporting.ExportRefused as error:
                return Response({"detail": str(error)}, status=status.HTTP_400_BAD_REQUEST)
            response = HttpResponse(data, content_type=exporting.CONTENT_TYPES[fmt])
        response["Content-Disposition"] = f'attachment; filename="{response_name}"'
        return response


class OneRosterExportView(APIView):
    """``GET exports/oneroster.zip``: the whole school as OneRoster 1.1 CSV (admins)."""

    permission_classes = [IsAdminRole]

    @extend_schema(responses={(200, "application/zip"): OpenApiTypes.BINARY})
    def get(self, request):
        response = StreamingHttpResponse(
            oneroster_export.stream_zip(), content_type="application/zip"
        )
        response["Content-Disposition"] = f'attachment; filename="{oneroster_export.FILE_NAME}"'
        return response


class ScheduledExportViewSet(viewsets.ModelViewSet):
    permission_classes = [IsAdminRole]
    serializer_class = serializers.ScheduledExportSerializer
    queryset = ScheduledExport.objects.select_related("owner")

    def _save(self, serializer, **extra):
        instance = serializer.instance or ScheduledExport()
        for name, value in {**serializer.validated_data, **extra}.items():
            setattr(instance, name, value)
        try:
            scheduling.scheduled_export_save(instance)
        except exporting.ExportRefused as error:
            raise DRFValidationError({"columns": [str(error)]}) from None
        except DjangoValidationError as error:
            raise DRFValidationError({"crontab": error.messages}) from None
        serializer.instance = instance

    def perform_create(self, serializer):
        self._save(serializer, owner=self.request.user)

    def perform_update(self, serializer):
        self._save(serializer)

    def perform_destroy(self, instance):
        scheduling.scheduled_export_delete(instance)
