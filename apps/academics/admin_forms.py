"""Forms used by the academics admin.

They only adapt input (the evaluation-rules text box, locked relations on existing
records); every rule is still the model's own ``clean()`` and the services'.
"""

from __future__ import annotations

import json
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from apps.academics.validators import clean_evaluation_rules, parse_evaluation_rules_text
from sms import jsonsafe

EVALUATION_RULES_HELP = _(
    "One rule per line (or separated by “;”), for example “Midterm: 40%; Final: 60%”. "
    "The weights must add up to 100; decimal commas are accepted. "
    "To change the daily-performance options write JSON instead: "
    '[{"category": "Homework", "weight": 20, "include_daily_performance": true, '
    '"daily_performance_multiplier": 1.0}, …]. Leave empty for a course without a final '
    "grade."
)

_DEFAULT_OPTIONS = {"include_daily_performance": True, "daily_performance_multiplier": 1.0}


def _format_weight(weight) -> str:
    return f"{Decimal(str(weight)).normalize():f}"


def rules_to_text(rules) -> str:
    """Show rules as ``Category: weight%`` lines when nothing but weights is set, else JSON."""
    if not rules:
        return ""
    if not isinstance(rules, list):
        return json.dumps(rules, ensure_ascii=False)
    simple = all(
        isinstance(rule, dict)
        and set(rule) <= {"category", "weight", *_DEFAULT_OPTIONS}
        and all(rule.get(name, default) == default for name, default in _DEFAULT_OPTIONS.items())
        for rule in rules
    )
    if simple:
        return "\n".join(f"{rule['category']}: {_format_weight(rule['weight'])}%" for rule in rules)
    return json.dumps(rules, ensure_ascii=False, indent=2)


class EvaluationRulesField(forms.CharField):
    """Accepts ``Midterm: 40%; Final: 60%`` or the JSON list the model stores."""

    widget = forms.Textarea(attrs={"rows": 5, "cols": 80, "class": "vLargeTextField"})

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("help_text", EVALUATION_RULES_HELP)
        kwargs.setdefault("label", _("evaluation rules"))
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, str):  # the user's own input, shown again after an error
            return value
        return rules_to_text(value)

    def to_python(self, value):
        text = super().to_python(value)
        if not text:
            return []
        if text.lstrip()[:1] in "[{":
            try:
                return jsonsafe.loads(text)
            except jsonsafe.JSONTooDeep as error:
                raise ValidationError(str(error), code="invalid_json") from None
            except json.JSONDecodeError as error:
                raise ValidationError(
                    _("This is not valid JSON: %(error)s") % {"error": error.msg},
                    code="invalid_json",
                ) from None
        return parse_evaluation_rules_text(text)

    def has_changed(self, initial, data) -> bool:
        try:
            new = clean_evaluation_rules(self.to_python(data))
            old = clean_evaluation_rules(initial)
        except ValidationError:
            return True
        return new != old


class CourseAdminForm(forms.ModelForm):
    evaluation_rules = EvaluationRulesField()


class LockedRelationWidget(forms.Widget):
    """Shows the related record as text; nothing is submitted for it."""

    def __init__(self, label: str = "", attrs=None):
        super().__init__(attrs)
        self.label = label

    def render(self, name, value, attrs=None, renderer=None):
        return format_html('<div class="readonly">{}</div>', self.label)


class LockedRelationField(forms.Field):
    """A student or course that can no longer change: the object already loaded is kept.

    Unlike a disabled ModelChoiceField it does not look the row up again, so a roster of
    300 enrollments costs no query per row, and a removed student still displays.
    """

    def __init__(self, related, **kwargs):
        self.related = related
        kwargs.update(required=False, disabled=True)
        super().__init__(widget=LockedRelationWidget(str(related)), **kwargs)

    def clean(self, value):
        return self.related

    def has_changed(self, initial, data) -> bool:
        return False


class RecordAdminForm(forms.ModelForm):
    """Marks, attendance and enrollments keep their student and course once saved.

    The services update only a record's own values; moving a mark to another student or
    course is a delete plus a new record, which the history then shows honestly.
    """

    locked_relations = ("student", "course")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is None:
            return
        for name in self.locked_relations:
            field = self.fields.get(name)
            if isinstance(field, forms.ModelChoiceField):
                self.fields[name] = LockedRelationField(
                    getattr(self.instance, name), label=field.label, help_text=field.help_text
                )
