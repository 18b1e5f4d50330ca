"""Forms of the teachers' pages: they parse what was typed; the services judge it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.academics.models import AttendanceStatus, Course
from apps.academics.selectors import rule_categories
from apps.academics.validators import validate_no_bidi_controls, validate_record_date

MAX_PERIOD = 12


def parse_decimal(text: str | None) -> Decimal | None:
    """``8.5`` and ``8,5`` are both eight and a half; empty means "no grade"."""
    text = (text or "").strip().replace(" ", "")
    if not text:
        return None
    try:
        value = Decimal(text.replace(",", "."))
    except (InvalidOperation, ValueError):
        raise ValidationError(_("Enter a number, for example 8.5."), code="invalid") from None
    if not value.is_finite():
        raise ValidationError(_("Enter a number, for example 8.5."), code="invalid")
    return value


class GradeCellForm(forms.Form):
    student = forms.IntegerField(min_value=1)
    assignment = forms.CharField(max_length=200)
    grade = forms.CharField(required=False, max_length=20)

    def clean_grade(self) -> Decimal | None:
        value = parse_decimal(self.cleaned_data.get("grade"))
        if value is not None and value < 0:
            raise ValidationError(_("A grade cannot be negative."), code="min_value")
        return value


class AssignmentColumnForm(forms.Form):
    """A new column of the grade grid; it is stored once its first grade is entered."""

    name = forms.CharField(
        label=_("Assignment"), max_length=200, validators=[validate_no_bidi_controls]
    )
    category = forms.CharField(label=_("Category"), max_length=100)
    max_grade = forms.CharField(label=_("Max grade"), initial="100", max_length=10)
    date_assigned = forms.DateField(
        label=_("Date"),
        initial=timezone.localdate,
        validators=[validate_record_date],
    )

    def __init__(self, *args, course: Course, existing_names: set[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.existing_names = {name.casefold() for name in existing_names}
        categories = rule_categories(course)
        if categories:
            self.fields["category"] = forms.ChoiceField(
                label=_("Category"), choices=[(name, name) for name in categories]
            )
        self.fields["date_assigned"].widget = forms.DateInput(
            attrs={"type": "date"}, format="%Y-%m-%d"
        )

    def clean_name(self) -> str:
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise ValidationError(_("This field is required."), code="required")
        if name.casefold() in self.existing_names:
            raise ValidationError(_("This course already has an assignment with this name."))
        return name

    def clean_max_grade(self) -> Decimal:
        value = parse_decimal(self.cleaned_data.get("max_grade"))
        if value is None or value <= 0:
            raise ValidationError(_("The maximum grade must be a number above 0."))
        if value >= Decimal("100000"):
            raise ValidationError(_("The maximum grade is too large."))
        return value.quantize(Decimal("0.01"))


class AttendanceSlotForm(forms.Form):
    """Which lesson the sheet is for: a date (not in the future) and a period."""

    date = forms.DateField(label=_("Date"), required=False)
    period = forms.IntegerField(
        label=_("Period"), min_value=1, max_value=MAX_PERIOD, required=False
    )

    def clean_date(self) -> dt.date:
        date = self.cleaned_data.get("date") or timezone.localdate()
        if date > timezone.localdate():
            raise ValidationError(_("The date cannot be in the future."), code="future_date")
        return date

    def clean_period(self) -> int:
        return self.cleaned_data.get("period") or 1


class AttendanceMarkForm(AttendanceSlotForm):
    student = forms.IntegerField(min_value=1)
    status = forms.ChoiceField(choices=AttendanceStatus.choices)


def slot_or_default(data) -> tuple[AttendanceSlotForm, dt.date, int]:
    """The sheet always shows something: a bad date or period falls back to today, period 1."""
    form = AttendanceSlotForm(data)
    if form.is_valid():
        return form, form.cleaned_data["date"], form.cleaned_data["period"]
    date = form.cleaned_data.get("date") or timezone.localdate()
    period = form.cleaned_data.get("period") or 1
    return form, date, period
