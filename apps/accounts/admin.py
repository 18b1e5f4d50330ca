"""Admin for users, and the rule that only administrators may use the Django admin.

The default ``admin.site`` is kept (so ``admin:`` URL names stay) but its gate is the
user's role rather than ``is_staff``: teachers and students, even if someone ticked
"staff status" for them, are sent to the admin login page. Model admins grant their
permissions by the same role, so an admin-role user who is not a superuser can still
manage every record without a hand-maintained permission list.
"""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

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
