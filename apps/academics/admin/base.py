"""Shared behaviour of the academics admin: writes through the services, soft delete.

The admin is one more client of ``apps.academics.services``: it validates with the
model's ``full_clean`` (as every ModelForm does), then hands the values to the service,
which validates again, saves and records the acting user in the history. Should the
service still refuse (a rule only it knows, or a race with another writer), the form is
shown again with the service's messages instead of a server error.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models, router, transaction
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from simple_history.admin import SimpleHistoryAdmin

from apps.academics import services
from apps.academics.admin_forms import RecordAdminForm
from apps.academics.models import Enrollment
from apps.accounts.admin import AdminRoleMixin

_SERVICE_ERROR_ATTR = "_academics_admin_service_error"


def adopt_saved(target: models.Model, saved: models.Model) -> None:
    """Make the admin's unsaved instance the row a create service just wrote."""
    for field in target._meta.concrete_fields:
        setattr(target, field.attname, getattr(saved, field.attname))
    target._state.adding = False
    target._state.db = saved._state.db


def attach_service_error(form, error: ValidationError) -> None:
    if not hasattr(error, "error_dict"):
        form.add_error(None, error.messages)
        return
    for field, errors in error.error_dict.items():
        target = field if field in form.fields and field != NON_FIELD_ERRORS else None
        form.add_error(target, errors)


def save_enrollment_formset(request, formset) -> None:
    """Inline enrollments are created, changed and removed by the enrollment services."""
    formset.save(commit=False)
    for enrollment in formset.deleted_objects:
        services.enrollment_delete(enrollment=enrollment, actor=request.user)
    for enrollment in formset.new_objects:
        saved = services.enrollment_create(
            student=enrollment.student,
            course=enrollment.course,
            actor=request.user,
            enrolled_at=enrollment.enrolled_at,
            status=enrollment.status,
        )
        adopt_saved(enrollment, saved)
    for enrollment, changed in formset.changed_objects:
        data = {name: getattr(enrollment, name) for name in changed}
        data = {name: value for name, value in data.items() if name in services.ENROLLMENT_FIELDS}
        services.enrollment_update(enrollment=enrollment, actor=request.user, **data)


class ServiceModelAdmin(AdminRoleMixin, SimpleHistoryAdmin):
    """A model admin whose saves and deletes are the academics services."""

    #: Fields the update service accepts; the form's values for them are passed on.
    service_fields: frozenset[str] = frozenset()

    def create_through_service(self, request, obj, data: dict[str, Any]) -> models.Model:
        raise NotImplementedError

    def update_through_service(self, request, obj, data: dict[str, Any]) -> None:
        raise NotImplementedError

    def delete_through_service(self, request, obj) -> None:
        raise NotImplementedError

    def service_data(self, form, obj) -> dict[str, Any]:
        # Values are read from the instance, where the form put them after the model's
        # own normalisation (upper-case codes, phones without spaces).
        return {
            name: getattr(obj, name)
            for name, field in form.fields.items()
            if name in self.service_fields and not field.disabled
        }

    def save_model(self, request, obj, form, change):
        data = self.service_data(form, obj)
        if change:
            self.update_through_service(request, obj, data)
        else:
            adopt_saved(obj, self.create_through_service(request, obj, data))

    def delete_model(self, request, obj):
        self.delete_through_service(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_through_service(request, obj)

    def save_formset(self, request, form, formset, change):
        if formset.model is Enrollment:
            save_enrollment_formset(request, formset)
        else:
            super().save_formset(request, form, formset, change)

    def _with_service_errors(self, request, view, *args):
        if request.method != "POST":
            return view(request, *args)
        try:
            with transaction.atomic(using=router.db_for_write(self.model)):
                return view(request, *args)
        except ValidationError as error:
            # The first attempt is rolled back; show the same submission again, now
            # carrying the service's messages as form errors.
            setattr(request, _SERVICE_ERROR_ATTR, error)
            return view(request, *args)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        view = super().changeform_view
        return self._with_service_errors(request, view, object_id, form_url, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        # Reverting to an old version goes through the services too (via save_model).
        view = super().history_form_view
        return self._with_service_errors(request, view, object_id, version_id, extra_context)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form_class = super().get_form(request, obj, change=change, **kwargs)
        error = getattr(request, _SERVICE_ERROR_ATTR, None)
        if error is None:
            return form_class

        class ServiceCheckedForm(form_class):
            def clean(self):
                cleaned_data = super().clean()
                attach_service_error(self, error)
                return cleaned_data

        ServiceCheckedForm.__name__ = form_class.__name__
        return ServiceCheckedForm


class RecordAdmin(ServiceModelAdmin):
    """Enrollments and marks: student and course chosen by search, fixed once saved."""

    form = RecordAdminForm
    autocomplete_fields = ("student", "course")
    list_select_related = ("student", "course")
    # Counting a million grades twice per page is the slowest part of a changelist.
    show_full_result_count = False


class DeletedFilter(admin.SimpleListFilter):
    """Removed students and courses stay in the database; administrators can list them."""

    title = _("deleted")
    parameter_name = "deleted"

    def lookups(self, request, model_admin):
        return [("yes", _("Deleted only")), ("any", _("All, including deleted"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(deleted_at__isnull=False)
        if self.value() == "any":
            return queryset
        return queryset.filter(deleted_at__isnull=True)

    def choices(self, changelist):
        yield {
            "selected": self.value() is None,
            "query_string": changelist.get_query_string(remove=[self.parameter_name]),
            "display": _("Not deleted"),
        }
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.value() == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }


class SoftDeleteAdmin(ServiceModelAdmin):
    """Students and courses: deleting hides the row, restoring brings it back."""

    actions = ("soft_delete_selected", "restore_selected")

    def restore_through_service(self, request, obj) -> None:
        raise NotImplementedError

    def get_queryset(self, request):
        # Every row, so that deleted ones can be listed, opened and restored; the
        # default changelist filter hides them again.
        queryset = self.model.all_objects.get_queryset()
        ordering = self.get_ordering(request)
        return queryset.order_by(*ordering) if ordering else queryset

    def get_search_results(self, request, queryset, search_term):
        match = getattr(request, "resolver_match", None)
        if match is not None and match.url_name == "autocomplete":
            # Choosing a student or course for a new record offers live rows only.
            queryset = queryset.filter(deleted_at__isnull=True)
        return super().get_search_results(request, queryset, search_term)

    def get_list_filter(self, request):
        return (DeletedFilter, *super().get_list_filter(request))

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def get_deleted_objects(self, objs, request):
        # Nothing cascades: the row and everything attached to it stay for the record.
        opts = self.model._meta
        objs = list(objs)
        deleted = [f"{opts.verbose_name.capitalize()}: {obj}" for obj in objs]
        return deleted, {opts.verbose_name_plural: len(objs)}, set(), []

    @admin.action(
        description=_("Delete selected %(verbose_name_plural)s (they can be restored)"),
        permissions=["delete"],
    )
    def soft_delete_selected(self, request, queryset):
        removed = 0
        for obj in queryset.filter(deleted_at__isnull=True):
            self.delete_through_service(request, obj)
            removed += 1
        self.message_user(
            request,
            ngettext(
                "%(count)d %(name)s deleted; use the “deleted” filter to see or restore it.",
                "%(count)d %(name)s deleted; use the “deleted” filter to see or restore them.",
                removed,
            )
            % {"count": removed, "name": self._name_for(removed)},
            messages.SUCCESS,
        )

    @admin.action(description=_("Restore selected %(verbose_name_plural)s"), permissions=["change"])
    def restore_selected(self, request, queryset):
        restored = 0
        for obj in queryset.filter(deleted_at__isnull=False):
            try:
                self.restore_through_service(request, obj)
            except ValidationError as error:
                self.message_user(
                    request,
                    _("%(object)s was not restored: %(reason)s")
                    % {"object": obj, "reason": " ".join(error.messages)},
                    messages.ERROR,
                )
            else:
                restored += 1
        self.message_user(
            request,
            ngettext("%(count)d %(name)s restored.", "%(count)d %(name)s restored.", restored)
            % {"count": restored, "name": self._name_for(restored)},
            messages.SUCCESS if restored else messages.WARNING,
        )

    def _name_for(self, count: int) -> str:
        opts = self.model._meta
        return str(opts.verbose_name if count == 1 else opts.verbose_name_plural)
