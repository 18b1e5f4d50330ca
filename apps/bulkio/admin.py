"""bulkio in the Django admin: its own models, and the academics lists' Import/Export buttons."""

from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

# The academics lists must be registered before bulkio plugs its buttons into them;
# autodiscover loads them first anyway (INSTALLED_APPS order), this makes it explicit.
import apps.academics.admin  # noqa: F401
from apps.bulkio import admin_integration, scheduling
from apps.bulkio.models import ExportJob, ImportChange, ImportJob, ScheduledExport
from sms import jsonsafe

admin_integration.install(admin.site)


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    list_display = ("id", "created_at", "user", "resource", "original_name", "status", "totals")
    list_filter = ("status", "resource", "mode")
    search_fields = ("original_name", "sha256", "user__username")
    readonly_fields = [field.name for field in ImportJob._meta.fields] + ["wizard_link"]
    date_hierarchy = "created_at"

    @admin.display(description=_("Wizard"))
    def wizard_link(self, obj):
        return format_html(
            '<a href="{}">{}</a>', reverse("bulkio:import_detail", args=[obj.pk]), _("Open")
        )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ImportChange)
class ImportChangeAdmin(admin.ModelAdmin):
    list_display = ("job", "row", "model", "object_id", "action")
    list_filter = ("action", "model")
    readonly_fields = ("job", "row", "model", "object_id", "action", "before", "after")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ExportJob)
class ExportJobAdmin(admin.ModelAdmin):
    list_display = ("id", "created_at", "user", "resource", "format", "status", "row_count")
    list_filter = ("status", "resource", "format")
    readonly_fields = [field.name for field in ExportJob._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(ScheduledExport)
class ScheduledExportAdmin(admin.ModelAdmin):
    list_display = ("name", "resource", "format", "crontab", "enabled", "last_run_at")
    list_filter = ("enabled", "resource", "format")
    readonly_fields = ("periodic_task", "last_run_at", "last_status", "created_at")
    fields = (
        "name",
        "owner",
        "resource",
        "format",
        "columns",
        "filters",
        "crontab",
        "recipients",
        "enabled",
        *readonly_fields,
    )
    actions = ["run_now"]
    formfield_overrides = jsonsafe.ADMIN_FORMFIELDS

    def save_model(self, request, obj, form, change):
        if obj.owner_id is None:
            obj.owner = request.user
        scheduling.scheduled_export_save(obj)

    def delete_model(self, request, obj):
        scheduling.scheduled_export_delete(obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            scheduling.scheduled_export_delete(obj)

    @admin.action(description=_("Run now and email"))
    def run_now(self, request, queryset):
        for obj in queryset:
            status = scheduling.deliver(obj.pk)
            self.message_user(request, f"{obj}: {status}", messages.INFO)
