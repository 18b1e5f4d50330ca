from django import forms
from django.utils.translation import gettext_lazy as _

from apps.bulkio.importing.resources import RESOURCES
from apps.bulkio.models import ExportFormat, ImportMode, Resource


class ImportUploadForm(forms.Form):
    resource = forms.ChoiceField(label=_("What the file holds"), choices=Resource.choices)
    file = forms.FileField(
        label=_("File"),
        help_text=_("CSV (.csv, .tsv, .txt) or Excel (.xlsx, .xls)."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.tsv,.txt,.xlsx,.xls"}),
    )
    mode = forms.ChoiceField(
        label=_("When some rows have errors"),
        choices=[
            (ImportMode.ALL_OR_NOTHING, _("Import nothing (all or nothing)")),
            (ImportMode.SKIP_INVALID, _("Import the valid rows, skip the others")),
        ],
        initial=ImportMode.ALL_OR_NOTHING,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, resources=None, **kwargs):
        super().__init__(*args, **kwargs)
        if resources is not None:
            self.fields["resource"].choices = [
                (value, label) for value, label in Resource.choices if value in resources
            ]


class ExportForm(forms.Form):
    resource = forms.ChoiceField(label=_("Records"), choices=Resource.choices)
    format = forms.ChoiceField(label=_("Format"), choices=ExportFormat.choices, initial="csv")
    columns = forms.MultipleChoiceField(
        label=_("Columns (none ticked: all)"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=[],
    )
    date_from = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(
        attrs={"type": "date"}))  # fmt: skip
    date_to = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(
        attrs={"type": "date"}))  # fmt: skip
    course = forms.IntegerField(label=_("Course id"), required=False, min_value=1)
    class_division = forms.CharField(label=_("Class division"), required=False, max_length=50)
    study_year = forms.IntegerField(label=_("Study year"), required=False, min_value=1, max_value=4)
    semester = forms.CharField(label=_("Semester"), required=False, max_length=20)
    schedule = forms.BooleanField(label=_("Schedule this export"), required=False)
    name = forms.CharField(label=_("Schedule name"), required=False, max_length=200)
    crontab = forms.CharField(
        label=_("When (crontab)"),
        required=False,
        initial="0 7 * * 1",
        help_text=_("minute hour day month weekday — “0 7 * * 1” is Mondays at 07:00."),
    )
    recipients = forms.CharField(
        label=_("Email to (comma separated)"), required=False, max_length=2000
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        resource = self.data.get("resource") or self.initial.get("resource") or "students"
        if resource not in RESOURCES:
            resource = "students"
        self.fields["columns"].choices = [(c, c) for c in RESOURCES[resource].columns]

    def filters(self) -> dict:
        data = self.cleaned_data
        filters = {
            "date_from": data["date_from"].isoformat() if data.get("date_from") else None,
            "date_to": data["date_to"].isoformat() if data.get("date_to") else None,
            "course": [data["course"]] if data.get("course") else None,
            "class_division": data.get("class_division") or None,
            "study_year": data.get("study_year"),
            "semester": data.get("semester") or None,
        }
        return {key: value for key, value in filters.items() if value}

    def recipient_list(self) -> list[str]:
        from django.core.validators import validate_email

        emails = [part.strip() for part in self.cleaned_data.get("recipients", "").split(",")]
        emails = [email for email in emails if email]
        for email in emails:
            validate_email(email)
        return emails
