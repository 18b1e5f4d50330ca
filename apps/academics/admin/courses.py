"""Courses in the admin: evaluation rules as text, teachers, roster."""

from django.contrib import admin
from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from apps.academics import services
from apps.academics.admin.base import SoftDeleteAdmin
from apps.academics.admin.inlines import CourseEnrollmentInline
from apps.academics.admin_forms import CourseAdminForm
from apps.academics.models import Course, Enrollment


@admin.register(Course)
class CourseAdmin(SoftDeleteAdmin):
    form = CourseAdminForm
    service_fields = frozenset(services.COURSE_FIELDS)
    list_display = (
        "course_code",
        "course_name",
        "semester",
        "credits",
        "enrolled_count",
        "grade_posting",
        "is_active",
    )
    list_display_links = ("course_code", "course_name")
    list_filter = ("is_active", "semester", "credits", "grade_posting")
    search_fields = ("course_code", "course_name")
    filter_horizontal = ("teachers",)
    inlines = (CourseEnrollmentInline,)
    readonly_fields = ("created_at", "updated_at", "deleted_at")

    def get_fieldsets(self, request, obj=None):
        fieldsets = [
            (None, {"fields": ("course_code", "course_name", "semester", "credits", "is_active")}),
            (_("Teaching"), {"fields": ("teachers", "hours_per_week", "periods_per_week")}),
            (
                _("Evaluation"),
                {"fields": ("evaluation_rules", "absence_penalty", "grade_posting")},
            ),
            (_("Description"), {"fields": ("description",)}),
        ]
        if obj is not None:
            fieldsets.append(
                (
                    _("Record"),
                    {
                        "fields": ("created_at", "updated_at", "deleted_at"),
                        "classes": ("collapse",),
                    },
                )
            )
        return fieldsets

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "grade_posting":
            # A form posted without it (a saved page from before, a script) keeps the policy.
            field.required = False
        return field

    def get_queryset(self, request):
        enrolled = (
            Enrollment.objects.counted()
            .filter(course=OuterRef("pk"))
            .order_by()
            .values("course")
            .annotate(total=Count("id"))
            .values("total")
        )
        return (
            super()
            .get_queryset(request)
            .annotate(enrolled_count=Coalesce(Subquery(enrolled, output_field=IntegerField()), 0))
        )

    @admin.display(description=_("enrolled"), ordering="enrolled_count")
    def enrolled_count(self, obj: Course) -> int:
        return obj.enrolled_count

    def service_data(self, form, obj):
        # Teachers are set by the course service together with the course itself.
        data = super().service_data(form, obj)
        if "teachers" in form.fields:
            data["teachers"] = form.cleaned_data["teachers"]
        return data

    def save_related(self, request, form, formsets, change):
        # No form.save_m2m(): the service has already set the teachers.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def create_through_service(self, request, obj, data):
        return services.course_create(actor=request.user, **data)

    def update_through_service(self, request, obj, data):
        services.course_update(course=obj, actor=request.user, **data)

    def delete_through_service(self, request, obj):
        services.course_delete(course=obj, actor=request.user)

    def restore_through_service(self, request, obj):
        services.course_restore(course=obj, actor=request.user)
