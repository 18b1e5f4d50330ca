"""The Import and Export buttons of the academics lists in the Django admin.

Academics knows nothing of import and export; bulkio plugs its own importer into the
admin from here. ``install()`` gives the registered admin of students, courses,
enrollments, grades and attendance:

- an **Import** button whose page uploads a file into bulkio's importer (the same
  ``start_import`` as the wizard and the API) and then hands over to the wizard's job
  page for the preview, the confirmation and, later, the rollback. So an admin import
  is in the import history with its change records, like every other import;
- an **Export** button and an "Export selected" action, django-import-export's export
  with the resources of ``apps.bulkio.resources`` (the importer's columns, formula
  cells neutralised) in the formats the importer reads, so the file re-imports
  unchanged.

Only administrators (role admin or superusers) see and use them; anyone else who is
logged in gets 403 on these pages.
"""

from __future__ import annotations

from functools import wraps

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext as _
from import_export.admin import ExportActionMixin
from import_export.formats import base_formats

from apps.academics.models import Attendance, Course, Enrollment, Grade, Student
from apps.accounts.admin import is_admin_user
from apps.bulkio.columns import REQUIRED_COLUMNS
from apps.bulkio.forms import ImportUploadForm, column_label
from apps.bulkio.importing import jobs
from apps.bulkio.importing.resources import RESOURCES
from apps.bulkio.resources import RESOURCE_CLASSES

#: The admin lists that get the buttons, and the importer's resource for each.
ADMIN_RESOURCES = {
    Student: "students",
    Course: "courses",
    Enrollment: "enrollments",
    Grade: "grades",
    Attendance: "attendance",
}


class AdminImportForm(ImportUploadForm):
    """The wizard's upload form without the resource choice: the list decides it."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["resource"]


class BulkioImportExportMixin(ExportActionMixin):
    """Import through bulkio's importer, export through the bulkio resources."""

    #: The importer's resource name for this list, set by ``install()``.
    bulkio_resource: str = ""
    import_export_change_list_template = "admin/import_export/change_list_import_export.html"
    import_template_name = "admin/bulkio/import.html"
    #: Only formats the importer reads, so that every export can be imported again.
    export_formats = [base_formats.CSV, base_formats.TSV, base_formats.XLSX]

    def has_import_permission(self, request) -> bool:
        return is_admin_user(request.user)

    def has_export_permission(self, request) -> bool:
        return is_admin_user(request.user)

    def get_urls(self):
        app_label, model_name = self.get_model_info()
        import_name = f"{app_label}_{model_name}_import"
        export_name = f"{app_label}_{model_name}_export"
        # django-import-export's own export URL is put back with the role check below.
        urls = [url for url in super().get_urls() if getattr(url, "name", None) != export_name]
        return [
            path("import/", self._admins_only(self.import_action), name=import_name),
            path("export/", self._admins_only(self.export_action), name=export_name),
            *urls,
        ]

    def _admins_only(self, view):
        """The admin's own gate (login page when logged out), then 403 for non-admins."""
        gated = self.admin_site.admin_view(view)

        @wraps(view)
        def guarded(request, *args, **kwargs):
            if request.user.is_authenticated and not is_admin_user(request.user):
                raise PermissionDenied
            return gated(request, *args, **kwargs)

        return guarded

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {})}
        extra_context["has_import_permission"] = self.has_import_permission(request)
        return super().changelist_view(request, extra_context)

    def import_action(self, request):
        """Upload; the preview, confirmation and rollback are the wizard's job page."""
        if not self.has_import_permission(request):
            raise PermissionDenied
        resource = self.bulkio_resource
        form = AdminImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                job = jobs.start_import(
                    user=request.user,
                    resource=resource,
                    filename=upload.name,
                    data=upload.read(),
                    mode=form.cleaned_data["mode"],
                )
            except jobs.FileRejected as error:
                form.add_error("file", str(error))
            else:
                return redirect("bulkio:import_detail", pk=job.pk)
        return TemplateResponse(
            request, self.import_template_name, self._import_context(request, form)
        )

    def _import_context(self, request, form) -> dict:
        required = REQUIRED_COLUMNS[self.bulkio_resource]
        columns = [
            {
                "name": name,
                "label": column_label(self.bulkio_resource, name),
                "required": name in required,
            }
            for name in RESOURCES[self.bulkio_resource].columns
        ]
        return {
            **self.admin_site.each_context(request),
            "title": _("Import %(records)s") % {"records": self.opts.verbose_name_plural},
            "opts": self.opts,
            "form": form,
            "resource": self.bulkio_resource,
            "columns": columns,
            "media": self.media + form.media,
        }


def install(site: admin.AdminSite = admin.site) -> None:
    """Give each registered academics list the bulkio Import/Export buttons (idempotent)."""
    for model, resource in ADMIN_RESOURCES.items():
        if not site.is_registered(model):
            continue
        current = type(site.get_model_admin(model))
        if issubclass(current, BulkioImportExportMixin):
            continue
        plugged = type(
            current.__name__,
            (BulkioImportExportMixin, current),
            {
                "__module__": __name__,
                "__doc__": current.__doc__,
                "bulkio_resource": resource,
                "resource_classes": [RESOURCE_CLASSES[resource]],
            },
        )
        site.unregister(model)
        site.register(model, plugged)
