"""Import wizard, import history with rollback, export page (thin: services do the work)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.apps import apps as django_apps
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from apps.academics import scoping
from apps.academics.filtering import page_number
from apps.bulkio import scheduling
from apps.bulkio.columns import REQUIRED_COLUMNS
from apps.bulkio.forms import ColumnMapForm, ExportForm, ImportUploadForm, column_label
from apps.bulkio.importing import jobs
from apps.bulkio.importing.failed_rows import has_failed_rows
from apps.bulkio.importing.resources import RESOURCES
from apps.bulkio.importing.rollback import RollbackOutOfScope
from apps.bulkio.models import IMPORT_RESOURCES, ImportStatus, ScheduledExport
from apps.bulkio.oneroster import RESOURCE as ONEROSTER

# What the preview's row actions mean to the person reading it.
ACTION_LABELS = {
    "new": gettext_lazy("New"),
    "update": gettext_lazy("Update"),
    "skip": gettext_lazy("Unchanged"),
    "error": gettext_lazy("Error"),
}
# The wizard step each import status stands at: 1 upload, 2 columns (mapping), 3 preview,
# 4 confirm, 5 result.
COLUMNS_STEP = 2
WIZARD_STEPS = {
    ImportStatus.QUEUED: 3,
    ImportStatus.PREVIEWING: 3,
    ImportStatus.PREVIEWED: 4,
    ImportStatus.APPLYING: 4,
    ImportStatus.APPLIED: 5,
    ImportStatus.FAILED: 5,
    ImportStatus.ROLLED_BACK: 5,
}


def _staff_only(request) -> None:
    if not scoping.is_staff(request.user):
        raise PermissionDenied


def _allowed_resources(user) -> list[str]:
    return [name for name in (*RESOURCES, ONEROSTER) if jobs.can_import(user, name)]


@login_required
def import_new(request):
    _staff_only(request)
    allowed = _allowed_resources(request.user)
    form = ImportUploadForm(request.POST or None, request.FILES or None, resources=allowed)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            job = jobs.start_import(
                user=request.user,
                resource=form.cleaned_data["resource"],
                filename=upload.name,
                data=upload.read(),
                mode=form.cleaned_data["mode"],
                keep_unmatched=True,
            )
        except jobs.FileRejected as error:
            form.add_error("file", str(error))
        else:
            if _needs_columns(job):
                return redirect("bulkio:import_columns", pk=job.pk)
            return redirect("bulkio:import_detail", pk=job.pk)
    labels = dict(IMPORT_RESOURCES)
    templates = [(name, labels.get(name, name)) for name in allowed if name in RESOURCES]
    context = {"form": form, "resources": allowed, "templates": templates, "step": 1}
    return render(request, "bulkio/import_new.html", context)


def _needs_columns(job) -> bool:
    """Refused for missing columns before any preview: the mapping step comes next."""
    return job.status == ImportStatus.FAILED and not job.previewed_at and jobs.can_remap(job)


@login_required
def import_columns(request, pk: int):
    """The mapping step: the file's columns, each with the field it fills (or ignored)."""
    _staff_only(request)
    job = get_object_or_404(jobs.jobs_for(request.user), pk=pk)
    if not jobs.can_remap(job):
        messages.error(
            request,
            _("This import is “%(status)s”; its columns can no longer be changed.")
            % {"status": job.get_status_display()},
        )
        return redirect("bulkio:import_detail", pk=job.pk)
    form = ColumnMapForm(
        request.POST or None,
        resource=job.resource,
        file_headers=_file_headers(job),
        column_map=job.column_map,
    )
    if request.method == "POST" and form.is_valid():
        try:
            jobs.remap_import(job, column_map=form.column_map, actor=request.user)
        except (jobs.ColumnMapInvalid, jobs.FileRejected) as error:
            form.add_error(None, str(error))
        except jobs.ImportRefused as error:
            messages.error(request, str(error))
            return redirect("bulkio:import_detail", pk=job.pk)
        else:
            return redirect("bulkio:import_detail", pk=job.pk)
    context = {
        "job": job,
        "form": form,
        "step": COLUMNS_STEP,
        "missing": _needs_columns(job) and job.error_message,
        "required": [column_label(job.resource, name) for name in REQUIRED_COLUMNS[job.resource]],
    }
    return render(request, "bulkio/import_columns.html", context)


def _file_headers(job) -> list[str]:
    """The file's header row as the preview kept it (or read again, for older jobs)."""
    headers = (job.preview or {}).get("file_headers")
    if headers is None:
        with job.file.open("rb") as handle:
            data = handle.read()
        headers = jobs.read_upload(data, job.original_name, job.resource).file_headers
    return headers


def _mapped_columns(job) -> list[tuple[str, str]]:
    """The job's column map as people read it: (file column, field label or "ignored")."""
    return [
        (header, column_label(job.resource, field) if field else _("ignored"))
        for header, field in (job.column_map or {}).items()
    ]


@login_required
def import_detail(request, pk: int):
    _staff_only(request)
    job = get_object_or_404(jobs.jobs_for(request.user), pk=pk)
    if request.htmx and request.htmx.trigger == "import-status" and _preview_arrived(job):
        # The status card polls while a worker previews; the preview's rows and impact are
        # not in the card, so the page loads whole once. (After an apply the card itself
        # says it all, and a reload would drop the toast that reports it.)
        return HttpResponse(status=204, headers={"HX-Refresh": "true"})
    preview = job.preview or {}
    columns = preview.get("columns") or []
    rows = [
        {
            "row": item["row"],
            "action": item["action"],
            "action_label": ACTION_LABELS.get(item["action"], item["action"]),
            "cells": [
                (
                    item["data"].get(column, ""),
                    "; ".join(e["message"] for e in item["errors"] if e["field"] == column),
                )
                for column in columns
            ],
            "row_errors": [e["message"] for e in item["errors"] if e["field"] not in columns],
        }
        for item in preview.get("rows", [])
    ]
    context = {
        "job": job,
        "progress": jobs.job_progress(job),
        "can_apply": jobs.can_apply(job),
        "columns": columns,
        "column_labels": [column_label(job.resource, column) for column in columns],
        "ignored_columns": preview.get("ignored_columns") or [],
        "rows": rows,
        "step": WIZARD_STEPS.get(job.status, 2),
        "preview": preview,
        "conflicts": _conflicts_shown(job, request.session.pop(f"bulkio-conflicts-{job.pk}", None)),
        "admin_list": _admin_list(request.user, job.resource),
        "can_remap": jobs.can_remap(job),
        "mapped_columns": _mapped_columns(job),
        "failed_rows": has_failed_rows(job),
    }
    template = "bulkio/_import_status.html" if request.htmx else "bulkio/import_detail.html"
    return render(request, template, context)


def _preview_arrived(job) -> bool:
    return job.status == ImportStatus.PREVIEWED and bool((job.preview or {}).get("rows"))


def _admin_list(user, resource: str) -> dict | None:
    """For admins: the Django admin list of the job's records (where its Import button is)."""
    spec = RESOURCES.get(resource)
    if spec is None or not scoping.is_admin(user):
        return None
    opts = spec.model._meta
    try:
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    except NoReverseMatch:
        return None
    return {"url": url, "name": capfirst(opts.verbose_name_plural)}


def _conflicts_shown(job, conflicts: list[dict] | None) -> list[dict] | None:
    """Rollback conflicts with the record kind and field names as people read them."""
    if not conflicts:
        return conflicts
    shown = []
    for conflict in conflicts:
        try:
            model = django_apps.get_model(conflict["model"])
            kind = capfirst(model._meta.verbose_name)
        except (LookupError, ValueError):
            kind = conflict["model"]
        fields = [
            (column_label(job.resource, name), diff)
            for name, diff in (conflict.get("fields") or {}).items()
        ]
        shown.append({**conflict, "kind": kind, "field_changes": fields})
    return shown


@login_required
@require_POST
def import_confirm(request, pk: int):
    _staff_only(request)
    job = get_object_or_404(jobs.jobs_for(request.user), pk=pk)
    try:
        jobs.confirm_import(job, actor=request.user)
    except jobs.ImportRefused as error:
        messages.error(request, str(error))
    return redirect("bulkio:import_detail", pk=job.pk)


@login_required
@require_POST
def import_rollback(request, pk: int):
    _staff_only(request)
    job = get_object_or_404(jobs.jobs_for(request.user), pk=pk)
    force = request.POST.get("force") == "1"
    if request.POST.get("confirmed") != "1":
        # The page's script asks first and marks the form confirmed; a click before the
        # script has run (or without scripts) is asked here instead: nothing is undone
        # by one click that nobody confirmed.
        return render(request, "bulkio/import_rollback_confirm.html", {"job": job, "force": force})
    try:
        counts = jobs.rollback_import(job, actor=request.user, force=force)
    except jobs.RollbackConflict as conflict:
        request.session[f"bulkio-conflicts-{job.pk}"] = [c.as_dict() for c in conflict.conflicts]
        messages.warning(
            request,
            ngettext(
                "%(count)s row was changed after the import; nothing was rolled back.",
                "%(count)s rows were changed after the import; nothing was rolled back.",
                len(conflict.conflicts),
            )
            % {"count": len(conflict.conflicts)},
        )
    except RollbackOutOfScope as refused:
        # The import page again, with the reason, as a 403: nothing was written.
        messages.error(request, refused.message)
        response = import_detail(request, pk=job.pk)
        response.status_code = 403
        return response
    except jobs.ImportRefused as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _("Rolled back: %(removed)s removed, %(restored)s restored.") % counts,
        )
    return redirect("bulkio:import_detail", pk=job.pk)


@login_required
def import_list(request):
    _staff_only(request)
    page = Paginator(jobs.jobs_for(request.user), 25).get_page(page_number(request.GET))
    return render(request, "bulkio/import_list.html", {"page": page})


@login_required
def export_page(request):
    _staff_only(request)
    form = ExportForm(
        request.POST or None,
        initial={"resource": request.GET.get("resource")},
        user=request.user,
    )
    schedules = []
    is_admin = scoping.is_admin(request.user)
    if is_admin:
        schedules = ScheduledExport.objects.select_related("owner")
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if data.get("schedule"):
            return _schedule(request, form, is_admin) or render(
                request, "bulkio/export_page.html", {"form": form, "schedules": schedules}
            )
        query = [("columns", c) for c in data["columns"]]
        for name, value in form.filters().items():
            values = value if isinstance(value, list) else [value]
            query += [(name, v) for v in values]
        url = reverse(
            "bulkio-api:export-stream",
            kwargs={"resource": data["resource"], "fmt": data["format"]},
        )
        return redirect(f"{url}?{urlencode(query)}")
    return render(request, "bulkio/export_page.html", {"form": form, "schedules": schedules})


def _schedule(request, form: ExportForm, is_admin: bool):
    if not is_admin:
        form.add_error("schedule", _("Only administrators can schedule exports."))
        return None
    data = form.cleaned_data
    try:
        recipients = form.recipient_list()
    except ValidationError:
        form.add_error("recipients", _("Enter valid email addresses separated by commas."))
        return None
    if not recipients:
        form.add_error("recipients", _("Enter at least one email address."))
        return None
    scheduled = ScheduledExport(
        name=data.get("name") or f"{data['resource']} {data['format']}",
        owner=request.user,
        resource=data["resource"],
        format=data["format"],
        columns=list(data["columns"]),
        filters=form.filters(),
        crontab=" ".join((data.get("crontab") or "").split()),
        recipients=recipients,
    )
    try:
        scheduling.scheduled_export_save(scheduled)
    except ValidationError as error:
        form.add_error("crontab", error.messages)
        return None
    messages.success(request, _("Scheduled export “%(name)s” saved.") % {"name": scheduled.name})
    return redirect("bulkio:export_page")
