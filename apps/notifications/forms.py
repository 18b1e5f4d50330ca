from django import forms
from django.utils.translation import gettext_lazy as _

from apps.notifications.models import EmailDigest, NotificationKind, NotificationPreference

# Kinds a role never receives: imports and exports are staff work, posted grades go to
# the student they belong to.
STAFF_ONLY_KINDS = {
    NotificationKind.IMPORT_FINISHED,
    NotificationKind.IMPORT_FAILED,
    NotificationKind.EXPORT_READY,
}
STUDENT_ONLY_KINDS = {NotificationKind.GRADE_POSTED}


def kinds_for(user) -> list[str]:
    """The notification kinds that can reach this user, in their usual order."""
    hidden = STAFF_ONLY_KINDS if user.is_student_role else STUDENT_ONLY_KINDS
    return [kind for kind in NotificationKind.values if kind not in hidden]


class PreferenceForm(forms.Form):
    """Two checkboxes per kind plus quiet hours and the digest choice."""

    quiet_hours_start = forms.TimeField(
        label=_("Quiet hours from"), required=False, widget=forms.TimeInput(attrs={"type": "time"})
    )
    quiet_hours_end = forms.TimeField(
        label=_("Quiet hours until"), required=False, widget=forms.TimeInput(attrs={"type": "time"})
    )
    email_digest = forms.ChoiceField(label=_("Email digest"), choices=EmailDigest.choices)

    def __init__(self, *args, preference: NotificationPreference, kinds=None, **kwargs):
        self.shown_kinds = list(kinds) if kinds is not None else list(NotificationKind.values)
        initial = {
            "quiet_hours_start": preference.quiet_hours_start,
            "quiet_hours_end": preference.quiet_hours_end,
            "email_digest": preference.email_digest,
        }
        for kind in self.shown_kinds:
            initial[f"{kind}__web"] = preference.wants(kind, "web")
            initial[f"{kind}__email"] = preference.wants(kind, "email")
        super().__init__(*args, initial=initial, **kwargs)
        for kind in self.shown_kinds:
            self.fields[f"{kind}__web"] = forms.BooleanField(required=False, label=_("Web"))
            self.fields[f"{kind}__email"] = forms.BooleanField(required=False, label=_("Email"))

    def clean(self):
        cleaned = super().clean()
        if (cleaned.get("quiet_hours_start") is None) != (cleaned.get("quiet_hours_end") is None):
            self.add_error("quiet_hours_end", _("Give both ends of the quiet hours, or neither."))
        return cleaned

    def rows(self):
        return [
            (label, self[f"{kind}__web"], self[f"{kind}__email"])
            for kind, label in NotificationKind.choices
            if kind in self.shown_kinds
        ]

    def kinds(self) -> dict[str, dict[str, bool]]:
        return {
            kind: {
                "web": self.cleaned_data[f"{kind}__web"],
                "email": self.cleaned_data[f"{kind}__email"],
            }
            for kind in self.shown_kinds
        }
