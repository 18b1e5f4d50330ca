import re
from dataclasses import dataclass, field

from django import forms
from django.conf import settings
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from apps.academics.models import Course, Student
from apps.academics.notices import course_audience_ids
from apps.accounts.models import Role, User
from apps.notifications.api.serializers import BroadcastSerializer
from apps.notifications.links import LINK_MAX_LENGTH
from apps.notifications.models import (
    ESCALATE_MAX_MINUTES,
    EmailDigest,
    NotificationKind,
    NotificationPreference,
)
from apps.notifications.services import broadcast_audience

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
    """Per kind: web, email and "email if unread"; quiet hours, the digest choice, the
    escalation delay and the language of notifications and emails."""

    quiet_hours_start = forms.TimeField(
        label=_("Quiet hours from"), required=False, widget=forms.TimeInput(attrs={"type": "time"})
    )
    quiet_hours_end = forms.TimeField(
        label=_("Quiet hours until"), required=False, widget=forms.TimeInput(attrs={"type": "time"})
    )
    email_digest = forms.ChoiceField(label=_("Email digest"), choices=EmailDigest.choices)
    escalate_after_minutes = forms.IntegerField(
        label=_("Email me unread notifications after (minutes)"),
        required=False,
        min_value=1,
        max_value=ESCALATE_MAX_MINUTES,
        help_text=_("For the kinds ticked “Email if unread”; leave empty to never email them."),
    )
    language = forms.ChoiceField(
        label=_("Language of notifications and emails"),
        required=False,
        choices=[("", _("Site language")), *settings.LANGUAGES],
    )

    def __init__(
        self, *args, preference: NotificationPreference, kinds=None, teacher=False, **kwargs
    ):
        self.shown_kinds = list(kinds) if kinds is not None else list(NotificationKind.values)
        initial = {
            "quiet_hours_start": preference.quiet_hours_start,
            "quiet_hours_end": preference.quiet_hours_end,
            "email_digest": preference.email_digest,
            "escalate_after_minutes": preference.escalate_after_minutes,
            "language": preference.language,
        }
        for kind in self.shown_kinds:
            initial[f"{kind}__web"] = preference.wants(kind, "web")
            initial[f"{kind}__email"] = preference.wants(kind, "email")
            initial[f"{kind}__escalate"] = kind in preference.escalate_kinds
        super().__init__(*args, initial=initial, **kwargs)
        for kind in self.shown_kinds:
            self.fields[f"{kind}__web"] = forms.BooleanField(required=False, label=_("Web"))
            self.fields[f"{kind}__email"] = forms.BooleanField(required=False, label=_("Email"))
            self.fields[f"{kind}__escalate"] = forms.BooleanField(
                required=False, label=_("Email if unread")
            )
        if teacher:
            # The weekly "what changed" email of the teacher's courses (apps.analytics.digest).
            self.fields["teacher_digest"] = forms.BooleanField(
                required=False,
                initial=preference.teacher_digest,
                label=_("Weekly digest of my courses"),
                help_text=_(
                    "On Monday mornings: new at-risk students, grade drops, attendance "
                    "slips and assignments with missing grades."
                ),
            )

    def clean(self):
        cleaned = super().clean()
        if (cleaned.get("quiet_hours_start") is None) != (cleaned.get("quiet_hours_end") is None):
            self.add_error("quiet_hours_end", _("Give both ends of the quiet hours, or neither."))
        return cleaned

    def rows(self):
        return [
            (label, self[f"{kind}__web"], self[f"{kind}__email"], self[f"{kind}__escalate"])
            for kind, label in NotificationKind.choices
            if kind in self.shown_kinds
        ]

    def escalate_kinds(self, preference: NotificationPreference) -> list[str]:
        """The kinds ticked here, plus those chosen by API that this page does not show."""
        hidden = [kind for kind in preference.escalate_kinds if kind not in self.shown_kinds]
        ticked = [kind for kind in self.shown_kinds if self.cleaned_data[f"{kind}__escalate"]]
        return hidden + ticked

    def kinds(self) -> dict[str, dict[str, bool]]:
        return {
            kind: {
                "web": self.cleaned_data[f"{kind}__web"],
                "email": self.cleaned_data[f"{kind}__email"],
            }
            for kind in self.shown_kinds
        }


# --- Broadcast page ------------------------------------------------------------------------------
# People are named, not picked from a list: a select of every student of a large school would
# be megabytes of HTML. Usernames and student IDs are resolved in two indexed look-ups. The
# cap keeps the live count's GET under the 8 KB request line proxies accept; more people
# than that are a role or a course.
PEOPLE_MAX = 500
COURSE_ID = re.compile(r"[0-9]{1,18}")
NAMES_SHOWN = 20
PEOPLE_SEPARATORS = re.compile(r"[\s,;]+")


def people_tokens(text: str) -> list[str]:
    """The usernames / student IDs typed into the people box, once each, in order."""
    return list(dict.fromkeys(token for token in PEOPLE_SEPARATORS.split(text or "") if token))


@dataclass(frozen=True)
class People:
    """What the people box named: the user ids found, the names nobody answers to, and
    student IDs of students without a login account (they cannot receive anything)."""

    user_ids: list[int] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    without_account: list[str] = field(default_factory=list)


def resolve_people(tokens: list[str]) -> People:
    """Usernames first, then live students' IDs: at most two queries whatever the count."""
    if not tokens:
        return People()
    by_username = dict(User.objects.filter(username__in=tokens).values_list("username", "pk"))
    rest = [token for token in tokens if token not in by_username]
    by_student_id = (
        dict(Student.objects.filter(student_id__in=rest).values_list("student_id", "user_id"))
        if rest
        else {}
    )
    user_ids = list(by_username.values())
    user_ids += [pk for pk in by_student_id.values() if pk is not None]
    return People(
        user_ids=list(dict.fromkeys(user_ids)),
        unknown=[token for token in rest if token not in by_student_id],
        without_account=[token for token in rest if by_student_id.get(token, 0) is None],
    )


def _name_list(names: list[str]) -> str:
    shown = ", ".join(names[:NAMES_SHOWN])
    if len(names) > NAMES_SHOWN:
        shown += " " + gettext("and %(count)d more") % {"count": len(names) - NAMES_SHOWN}
    return shown


def people_problems(people: People) -> list[str]:
    problems = []
    if people.unknown:
        problems.append(
            gettext("No user or student has these usernames or student IDs: %(names)s.")
            % {"names": _name_list(people.unknown)}
        )
    if people.without_account:
        problems.append(
            gettext("These students have no login account, so nothing can reach them: %(names)s.")
            % {"names": _name_list(people.without_account)}
        )
    return problems


def course_choices() -> list[tuple[str, str]]:
    courses = Course.objects.order_by("course_code", "semester").values_list(
        "pk", "course_code", "course_name", "semester"
    )
    return [("", gettext("No course"))] + [
        (str(pk), f"{code} — {name} ({semester})") for pk, code, name, semester in courses
    ]


def _error_texts(detail) -> list[str]:
    """DRF error details (lists, or dicts per list item) as plain messages."""
    if isinstance(detail, dict):
        return [text for value in detail.values() for text in _error_texts(value)]
    if isinstance(detail, list | tuple):
        return [text for value in detail for text in _error_texts(value)]
    return [str(detail)]


ROLE_CHOICES = [
    (Role.ADMIN, _("Administrators")),
    (Role.TEACHER, _("Teachers")),
    (Role.STUDENT, _("Students")),
]


class UncheckedMultipleChoiceField(forms.MultipleChoiceField):
    """Checkboxes whose values the API's serializer checks, so both refuse in one wording."""

    def validate(self, value):
        pass


class BroadcastForm(forms.Form):
    """The broadcast page's form. It only collects input (and turns the people box into
    user ids); every rule and message is the API's: ``BroadcastSerializer`` validates what
    the form passes it, and its errors are shown on the matching fields."""

    title = forms.CharField(
        label=_("Title"),
        required=False,
        widget=forms.TextInput(attrs={"maxlength": 200, "required": True}),
    )
    message = forms.CharField(
        label=_("Message"), required=False, strip=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    roles = UncheckedMultipleChoiceField(
        label=_("Everyone who is"),
        required=False,
        choices=ROLE_CHOICES,
        widget=forms.CheckboxSelectMultiple,
    )
    course = forms.CharField(label=_("Everyone in the course"), required=False, widget=forms.Select)
    people = forms.CharField(
        label=_("And these people"),
        required=False,
        help_text=_("Usernames or student IDs, separated by commas, spaces or new lines."),
        widget=forms.Textarea(attrs={"rows": 2, "spellcheck": "false", "autocapitalize": "off"}),
    )
    link = forms.CharField(
        label=_("Link"),
        required=False,
        help_text=_("Optional: a page of this site (/courses/3/) or an http(s) address."),
        widget=forms.TextInput(attrs={"maxlength": LINK_MAX_LENGTH}),
    )

    # Serializer field → form field, where the page names it differently.
    FIELD_FOR = {"user_ids": "people", "non_field_errors": None}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["course"].widget.choices = course_choices()
        self.validated: dict = {}

    def clean_people(self) -> list[int]:
        tokens = people_tokens(self.cleaned_data["people"])
        if len(tokens) > PEOPLE_MAX:
            raise forms.ValidationError(
                gettext("Name at most %(max)d people here; choose a role or a course for more.")
                % {"max": PEOPLE_MAX}
            )
        people = resolve_people(tokens)
        problems = people_problems(people)
        if problems:
            raise forms.ValidationError(problems)
        return people.user_ids

    def clean(self):
        cleaned = super().clean()
        serializer = BroadcastSerializer(
            data={
                "title": cleaned.get("title", ""),
                "message": cleaned.get("message", ""),
                "roles": cleaned.get("roles", []),
                "course": cleaned.get("course") or None,
                "user_ids": cleaned.get("people") or [],
                "link": cleaned.get("link", ""),
            }
        )
        if serializer.is_valid():
            self.validated = serializer.validated_data
        else:
            for name, detail in serializer.errors.items():
                target = self.FIELD_FOR.get(name, name)
                if target is not None and target in self.errors:
                    continue  # the page's own check already said what is wrong there
                for text in _error_texts(detail):
                    self.add_error(target, text)
        return cleaned

    def broadcast_arguments(self) -> dict:
        """What ``services.broadcast`` takes, the course resolved to its people."""
        data = self.validated
        return {
            "title": data["title"],
            "message": data["message"],
            "roles": data["roles"],
            "user_ids": chosen_user_ids(data["user_ids"], data["course"]),
            "link": data["link"],
        }


def chosen_user_ids(user_ids: list[int], course: Course | None) -> list[int]:
    """Named users plus a course's people (a school rule: academics resolves them)."""
    return [*user_ids, *(course_audience_ids(course.pk) if course is not None else ())]


@dataclass(frozen=True)
class AudiencePreview:
    count: int
    chosen: bool
    people: People


def audience_preview(data) -> AudiencePreview:
    """How many people a broadcast with this (unvalidated) audience would reach, by the
    same ``broadcast_audience`` the send uses (before preferences: someone who turned
    broadcasts off gets nothing). Unknown roles, courses and names are left out here; the
    send refuses them with a message."""
    roles = [role for role in data.getlist("roles") if role in Role.values]
    course_id = data.get("course") or ""
    course = (
        Course.objects.filter(pk=int(course_id)).only("pk").first()
        if COURSE_ID.fullmatch(course_id)
        else None
    )
    people = resolve_people(people_tokens(data.get("people", ""))[:PEOPLE_MAX])
    chosen = bool(roles or course or people.user_ids)
    if not chosen:
        return AudiencePreview(0, False, people)
    user_ids = chosen_user_ids(people.user_ids, course)
    return AudiencePreview(len(broadcast_audience(roles=roles, user_ids=user_ids)), True, people)
