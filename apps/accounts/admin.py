"""Admin for users, and the rule that only administrators may use the Django admin.

The default ``admin.site`` is kept (so ``admin:`` URL names stay) but its gate is the
user's role rather than ``is_staff``: teachers and students, even if someone ticked
"staff status" for them, are sent to the admin login page. Model admins grant their
permissions by the same role, so an admin-role user who is not a superuser can still
manage every record without a hand-maintained permission list.

The user list links to the current login lockouts (``lockout.current_lockouts``), where an
administrator lifts some or all of them; the "Clear login lockouts" action lifts those of
the selected users.
"""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from apps.accounts import lockout
from apps.accounts.forms import AdminLoginForm
from apps.accounts.models import User


def is_admin_user(user) -> bool:
    """Active administrators (role ``admin`` or superusers) and nobody else."""
    return bool(
        user is not None
        and user.is_authenticated
        and user.is_active
        and getattr(user, "is_admin_role", False)
    )


def admin_site_has_permission(request) -> bool:
    return is_admin_user(request.user)


admin.site.has_permission = admin_site_has_permission
# The admin login counts failures with the same lockout as the site login and the API.
admin.site.login_form = AdminLoginForm
admin.site.site_header = _("SMS administration")
admin.site.site_title = _("SMS admin")


class AdminRoleMixin:
    """Model and inline admins: every permission follows the administrator role."""

    def has_module_permission(self, request) -> bool:
        return is_admin_user(request.user)

    def has_view_permission(self, request, obj=None) -> bool:
        return is_admin_user(request.user)

    def has_add_permission(self, request, obj=None) -> bool:
        return is_admin_user(request.user)

    def has_change_permission(self, request, obj=None) -> bool:
        return is_admin_user(request.user)

    def has_delete_permission(self, request, obj=None) -> bool:
        return is_admin_user(request.user)


@admin.register(User)
class UserAdmin(AdminRoleMixin, DjangoUserAdmin):
    list_display = ("username", "email", "first_name", "last_name", "role", "is_active")
    list_filter = ("role", "is_active", "is_staff", "is_superuser")
    search_fields = ("username", "first_name", "last_name", "email")
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Personal info"), {"fields": ("first_name", "last_name", "email")}),
        (_("Role"), {"fields": ("role",)}),
        (
            _("Permissions"),
            {
                "fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions"),
                "classes": ("collapse",),
            },
        ),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": (
                    "username",
                    "email",
                    "role",
                    "usable_password",
                    "password1",
                    "password2",
                ),
            },
        ),
    )

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            # Only a superuser may hand out superuser status or raw permissions.
            readonly += ["is_superuser", "groups", "user_permissions"]
        return readonly

    # --- Login lockouts (apps/accounts/lockout.py) --------------------------------------
    change_list_template = "admin/accounts/user/change_list.html"
    actions = ["clear_login_lockouts"]

    def get_urls(self):
        lockouts = self.admin_site.admin_view(self.lockouts_view)
        return [path("lockouts/", lockouts, name="accounts_user_lockouts"), *super().get_urls()]

    @admin.action(description=_("Clear login lockouts of the selected users"))
    def clear_login_lockouts(self, request, queryset):
        names = {
            lockout.normalize_username(name) for name in queryset.values_list("username", flat=True)
        }
        numbers = [item.number for item in lockout.current_lockouts() if item.username in names]
        self.report_lifted(request, lockout.clear_lockouts(numbers=numbers))

    def lockouts_view(self, request):
        """The current lockouts; POST lifts the ticked ones, or all of them."""
        if not self.has_change_permission(request):
            raise PermissionDenied
        if request.method == "POST":
            if "clear_all" in request.POST:
                lifted = lockout.clear_lockouts()
            else:
                numbers = [
                    int(n) for n in request.POST.getlist("number") if n.isdecimal() and len(n) < 19
                ]
                lifted = lockout.clear_lockouts(numbers=numbers)
            self.report_lifted(request, lifted)
            return redirect("admin:accounts_user_lockouts")
        context = {
            **self.admin_site.each_context(request),
            "title": _("Login lockouts"),
            "opts": self.model._meta,
            "lockouts": lockout.current_lockouts(),
            "max_failures": lockout.max_failures(),
            "max_failures_per_ip": lockout.max_failures_per_ip(),
        }
        return TemplateResponse(request, "admin/accounts/user/lockouts.html", context)

    def report_lifted(self, request, lifted: int) -> None:
        self.message_user(
            request,
            ngettext("%(n)d lockout lifted.", "%(n)d lockouts lifted.", lifted) % {"n": lifted},
        )
