from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import serializers

from apps.academics.models import Course
from apps.accounts.models import Role
from apps.notifications.links import LINK_MAX_LENGTH, shown_link, validate_link
from apps.notifications.models import (
    ESCALATE_MAX_MINUTES,
    EmailDigest,
    Notification,
    NotificationKind,
    NotificationPreference,
)


class NotificationSerializer(serializers.ModelSerializer):
    is_read = serializers.BooleanField(read_only=True)
    link = serializers.SerializerMethodField()

    def get_link(self, notification: Notification) -> str:
        return shown_link(notification.link)

    class Meta:
        model = Notification
        fields = ["id", "kind", "title", "message", "data", "link", "created_at", "is_read"]
        read_only_fields = fields


class KindChannelsSerializer(serializers.Serializer):
    web = serializers.BooleanField()
    email = serializers.BooleanField()


class PreferenceSerializer(serializers.Serializer):
    """Every kind is listed with its effective channels, defaults filled in."""

    kinds = serializers.DictField(child=KindChannelsSerializer(), required=False)
    quiet_hours_start = serializers.TimeField(allow_null=True, required=False)
    quiet_hours_end = serializers.TimeField(allow_null=True, required=False)
    email_digest = serializers.ChoiceField(choices=EmailDigest.choices, required=False)
    escalate_after_minutes = serializers.IntegerField(
        min_value=1, max_value=ESCALATE_MAX_MINUTES, allow_null=True, required=False
    )
    escalate_kinds = serializers.ListField(child=serializers.CharField(), required=False)
    language = serializers.ChoiceField(
        choices=[("", gettext_lazy("Site language")), *settings.LANGUAGES],
        allow_blank=True,
        required=False,
    )
    # Teachers' weekly "what changed" email (apps/analytics/digest.py); others ignore it.
    teacher_digest = serializers.BooleanField(required=False)

    def validate_kinds(self, value):
        return _known_kinds(value)

    def validate_escalate_kinds(self, value):
        return _known_kinds(value)

    def validate(self, attrs):
        start, end = attrs.get("quiet_hours_start"), attrs.get("quiet_hours_end")
        if (start is None) != (end is None):
            raise serializers.ValidationError(
                {"quiet_hours_end": [_("Give both ends of the quiet hours, or neither.")]}
            )
        return attrs

    @staticmethod
    def represent(preference: NotificationPreference) -> dict:
        return {
            "kinds": {
                kind: {
                    "web": preference.wants(kind, "web"),
                    "email": preference.wants(kind, "email"),
                }
                for kind in NotificationKind.values
            },
            "quiet_hours_start": preference.quiet_hours_start,
            "quiet_hours_end": preference.quiet_hours_end,
            "email_digest": preference.email_digest,
            "escalate_after_minutes": preference.escalate_after_minutes,
            "escalate_kinds": list(preference.escalate_kinds),
            "language": preference.language,
            "teacher_digest": preference.teacher_digest,
        }


def _known_kinds(value):
    unknown = sorted(set(value) - set(NotificationKind.values))
    if unknown:
        raise serializers.ValidationError(
            _("Unknown kinds: %(kinds)s") % {"kinds": ", ".join(unknown)}
        )
    return value


class BroadcastSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    message = serializers.CharField(allow_blank=True, required=False, default="")
    roles = serializers.ListField(
        child=serializers.ChoiceField(choices=Role.choices), required=False, default=list
    )
    # Checked here so an unknown course is a 400 on the field, like any other bad value.
    course = serializers.PrimaryKeyRelatedField(
        queryset=Course.objects.all(),
        required=False,
        allow_null=True,
        default=None,
        error_messages={"does_not_exist": gettext_lazy("There is no course with id {pk_value}.")},
    )
    user_ids = serializers.ListField(child=serializers.IntegerField(), required=False, default=list)
    link = serializers.CharField(
        max_length=LINK_MAX_LENGTH,
        allow_blank=True,
        required=False,
        default="",
        validators=[validate_link],
    )

    def validate(self, attrs):
        if not attrs["roles"] and attrs["course"] is None and not attrs["user_ids"]:
            raise serializers.ValidationError(
                {"roles": [_("Choose at least one audience: roles, a course or users.")]}
            )
        return attrs
