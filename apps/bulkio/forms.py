from django import forms
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from apps.academics import scoping
from apps.academics.models import Course, Student
from apps.bulkio.columns import (
    REQUIRED_COLUMNS,
    RESOURCE_COLUMNS,
    ColumnMapInvalid,
    clean_column_map,
    match_headers,
)
from apps.bulkio.importing.resources import RESOURCES
from apps.bulkio.models import IMPORT_RESOURCES, ExportFormat, ImportMode, Resource

# Columns that name a linked record by its natural key.
LINK_COLUMNS = {"student_id": Student, "course_code": Course}
STUDY_YEARS = [(str(year), str(year)) for year in range(1, 5)]


def column_label(resource: str, column: str) -> str:
    """A file column as people read it: the model field's translated verbose name."""
    spec = RESOURCES.get(resource)
    model = LINK_COLUMNS.get(column) or (spec.model if spec else None)
    if model is None:
        return column
    try:
        return capfirst(model._meta.get_field(column).verbose_name)
    except FieldDoesNotExist:
        return column


def column_choices(resource: str) -> list[tuple[str, str]]:
    return [(column, column_label(resource, column)) for column in RESOURCES[resource].columns]


class ImportUploadForm(forms.Form):
    resource = forms.ChoiceField(label=_("What the file holds"), choices=IMPORT_RESOURCES)
    file = forms.FileField(
        label=_("File"),
        help_text=_("CSV (.csv, .tsv, .txt) or Excel (.xlsx, .xls); OneRoster: the .zip."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.tsv,.txt,.xlsx,.xls,.zip"}),
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
                (value, label) for value, label in IMPORT_RESOURCES if value in resources
            ]


class ColumnMapForm(forms.Form):
    """The mapping step: a field (or "ignore") for each column of the file's header row.

    Each choice starts as the importer reads the column (its aliases, or the job's map);
    ``column_map`` keeps only what differs from how the importer reads it by itself.
    """

    def __init__(self, *args, resource: str, file_headers: list[str], column_map, **kwargs):
        super().__init__(*args, **kwargs)
        self.resource = resource
        self.headers = [header for header in file_headers if header.strip()]
        self.column_map: dict[str, str] = {}
        by_default = match_headers(resource, self.headers)[0]
        self.default_of = {index: field for field, index in by_default.items()}
        current = match_headers(resource, self.headers, column_map)[0]
        current_of = {index: field for field, index in current.items()}
        required = REQUIRED_COLUMNS[resource]
        choices = [("", _("— ignore this column —"))] + [
            (field, f"{column_label(resource, field)} ({field})"
             + (" *" if field in required else ""))
            for field in RESOURCE_COLUMNS[resource]
        ]  # fmt: skip
        for index, header in enumerate(self.headers):
            self.fields[f"column_{index}"] = forms.ChoiceField(
                label=header, choices=choices, required=False, initial=current_of.get(index, "")
            )

    def rows(self):
        """(file column, its field, whether the importer knows the column by itself)."""
        for index, header in enumerate(self.headers):
            yield header, self[f"column_{index}"], index in self.default_of

    def clean(self):
        cleaned = super().clean()
        chosen = [
            (header, cleaned.get(f"column_{index}") or "")
            for index, header in enumerate(self.headers)
        ]
        try:
            clean_column_map(self.resource, dict(chosen))  # one column per field
        except ColumnMapInvalid as error:
            raise ValidationError(str(error)) from None
        self.column_map = {
            header: field
            for index, (header, field) in enumerate(chosen)
            if field != self.default_of.get(index, "")
        }
        return cleaned


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
    course = forms.TypedChoiceField(
        label=_("Course"), required=False, coerce=int, empty_value=None, choices=[]
    )
    class_division = forms.ChoiceField(label=_("Class division"), required=False, choices=[])
    study_year = forms.TypedChoiceField(
        label=_("Study year"), required=False, coerce=int, empty_value=None, choices=[]
    )
    semester = forms.ChoiceField(label=_("Semester"), required=False, choices=[])
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

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        resource = self.data.get("resource") or self.initial.get("resource") or "students"
        if resource not in RESOURCES:
            resource = "students"
        self.fields["columns"].choices = column_choices(resource)
        self._scope_choices(user)

    def _scope_choices(self, user) -> None:
        """Filters offer what the user can see: their courses, divisions and semesters."""
        everything = [("", _("All"))]
        courses = scoping.courses_for(user) if user is not None else Course.objects.none()
        rows = list(courses.order_by("course_code").values_list("pk", "course_code", "course_name"))
        self.fields["course"].choices = [("", _("All courses"))] + [
            (pk, f"{code} — {name}") for pk, code, name in rows
        ]
        students = scoping.students_for(user) if user is not None else Student.objects.none()
        divisions = students.exclude(class_division="").order_by("class_division")
        self.fields["class_division"].choices = everything + [
            (division, division)
            for division in divisions.values_list("class_division", flat=True).distinct()
        ]
        self.fields["study_year"].choices = everything + STUDY_YEARS
        semesters = sorted({semester for _pk, semester in courses.values_list("pk", "semester")})
        self.fields["semester"].choices = everything + [(s, s) for s in semesters if s]

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
