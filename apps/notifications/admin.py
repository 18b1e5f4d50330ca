from django.contrib import admin

from apps.accounts.admin import AdminRoleMixin
from apps.notifications.models import Notification, NotificationPreference
from sms import jsonsafe


# The link field carries the model's link rule (apps.notifications.links): an unsafe link
# typed here is a form error, like in the broadcast API.
@admin.register(Notification)
class NotificationAdmin(AdminRoleMixin, admin.ModelAdmin):
    list_display = ["id", "recipient", "kind", "title", "created_at", "read_at", "email_state"]
    list_filter = ["kind", "email_state"]
    search_fields = ["title", "recipient__username"]
    raw_id_fields = ["recipient"]
    date_hierarchy = "created_at"
    formfield_overrides = jsonsafe.ADMIN_FORMFIELDS


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(AdminRoleMixin, admin.ModelAdmin):
    list_display = ["user", "email_digest", "quiet_hours_start", "quiet_hours_end"]
    raw_id_fields = ["user"]
    formfield_overrides = jsonsafe.ADMIN_FORMFIELDS
