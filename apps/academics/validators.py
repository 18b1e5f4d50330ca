"""Field and value rules shared by the models, services, API and importer."""

import datetime as dt
import re
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

STUDENT_ID_RE = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,49}$"
PHONE_RE = r"^\+?[0-9 ]{7,20}$"
COURSE_CODE_RE = r"^[A-Z0-9_-]+$"

validate_student_id = RegexValidator(
    STUDENT_ID_RE,
    _(
        "Student ID must start with a letter or digit and contain only letters, digits, - or _ "
        "(at most 50 characters)."
    ),
    code="invalid_student_id",
)
validate_phone = RegexValidator(
    PHONE_RE,
    _("Enter a phone number of 7 to 20 digits, optionally starting with +."),
    code="invalid_phone",
)
validate_course_code = RegexValidator(
    COURSE_CODE_RE,
    _("Course code may contain only letters, digits, - or _."),
    code="invalid_course_code",
)


# Invisible characters that reorder how the text around them is shown: bidirectional
# embeddings and overrides (U+202A–U+202E), isolates (U+2066–U+2069) and the direction
# marks (U+200E, U+200F, U+061C). In a name they make "Anna" followed by U+202E display as
# something else than what is stored (display spoofing); no real name needs them.
BIDI_CONTROLS_RE = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def validate_no_bidi_controls(value) -> None:
    """Refuse text-direction control characters in a displayed name or label."""
    found = BIDI_CONTROLS_RE.search(str(value or ""))
    if found:
        raise ValidationError(
            _(
                "Remove the invisible text-direction character %(code)s: names cannot contain "
                "characters that change how text is displayed."
            )
            % {"code": f"U+{ord(found.group()):04X}"},
            code="bidi_control",
        )


def normalise_phone(value: str) -> str:
    """Phones are validated with spaces allowed and stored without them."""
    return (value or "").replace(" ", "")


def validate_not_future(value) -> None:
    if value and value > timezone.localdate():
        raise ValidationError(_("The date cannot be in the future."), code="future_date")


# School records start here: an earlier date is a typo (1025 for 2025) or a spreadsheet's
# zero date, never a real mark.
EARLIEST_RECORD_DATE = dt.date(2000, 1, 1)


def validate_record_date(value) -> None:
    if value and value < EARLIEST_RECORD_DATE:
        raise ValidationError(
            _("The date cannot be before %(date)s.") % {"date": EARLIEST_RECORD_DATE.isoformat()},
            code="date_too_early",
        )


# A date of birth before this is a typo (1008 for 2008) or a spreadsheet's zero date.
EARLIEST_BIRTH_DATE = dt.date(1900, 1, 1)


def validate_date_of_birth(value) -> None:
    if not value:
        return
    if value > timezone.localdate():
        raise ValidationError(_("The date of birth cannot be in the future."), code="future_date")
    if value < EARLIEST_BIRTH_DATE:
        raise ValidationError(
            _("The date of birth cannot be before %(date)s.")
            % {"date": EARLIEST_BIRTH_DATE.isoformat()},
            code="date_too_early",
        )


WEIGHT_TOTAL = Decimal("100")
WEIGHT_TOLERANCE = Decimal("0.01")


def _as_decimal(value, field: str) -> Decimal:
    if isinstance(value, bool):
        raise ValidationError(_("%(field)s must be a number.") % {"field": field}, code="invalid")
    try:
        return Decimal(str(value).replace(",", "."))
    except (InvalidOperation, ValueError):
        raise ValidationError(
            _("%(field)s must be a number.") % {"field": field}, code="invalid"
        ) from None


def clean_evaluation_rules(rules) -> list[dict]:
    """Validate and normalise a course's evaluation rules.

    Returns the rules with defaults filled in. An empty list is allowed: such a course
    simply has no final grade. Otherwise the weights must add up to 100.
    """
    from apps.academics.grading import category_key

    if rules in (None, ""):
        return []
    if not isinstance(rules, list):
        raise ValidationError(_("Evaluation rules must be a list."), code="invalid_rules")
    cleaned: list[dict] = []
    seen_keys: set[str] = set()
    for position, rule in enumerate(rules, start=1):
        if not isinstance(rule, dict):
            raise ValidationError(
                _("Rule %(n)s must be an object with a category and a weight.") % {"n": position},
                code="invalid_rules",
            )
        category = str(rule.get("category") or "").strip()
        if not category:
            raise ValidationError(
                _("Rule %(n)s has no category.") % {"n": position}, code="invalid_rules"
            )
        validate_no_bidi_controls(category)
        key = category_key(category)
        if key in seen_keys:
            raise ValidationError(
                _("Category “%(category)s” appears twice.") % {"category": category},
                code="duplicate_category",
            )
        seen_keys.add(key)
        weight = _as_decimal(rule.get("weight"), _("Weight"))
        if weight <= 0 or weight > WEIGHT_TOTAL:
            raise ValidationError(
                _("The weight of “%(category)s” must be between 0 and 100.")
                % {"category": category},
                code="invalid_weight",
            )
        multiplier = _as_decimal(rule.get("daily_performance_multiplier", 1), _("Multiplier"))
        if multiplier < 0:
            raise ValidationError(
                _("The daily performance multiplier cannot be negative."), code="invalid_rules"
            )
        include_daily = rule.get("include_daily_performance", True)
        if not isinstance(include_daily, bool):
            raise ValidationError(
                _("include_daily_performance must be true or false."), code="invalid_rules"
            )
        cleaned.append(
            {
                "category": category,
                "weight": float(weight),
                "include_daily_performance": include_daily,
                "daily_performance_multiplier": float(multiplier),
            }
        )
    total = sum((Decimal(str(rule["weight"])) for rule in cleaned), Decimal(0))
    if cleaned and abs(total - WEIGHT_TOTAL) > WEIGHT_TOLERANCE:
        raise ValidationError(
            _("The weights of the evaluation rules must add up to 100 (they add up to %(total)s).")
            % {"total": f"{total.normalize():f}"},
            code="weights_sum",
        )
    return cleaned


_RULE_TEXT_RE = re.compile(
    r"^\s*(?P<category>[^:=]+?)\s*[:=]\s*(?P<weight>[0-9]+(?:[.,][0-9]+)?)\s*%?\s*$"
)


def parse_evaluation_rules_text(text: str) -> list[dict]:
    """Parse ``Midterm: 40%; Final: 60%`` (decimal commas allowed) into rule dicts."""
    rules = []
    for part in re.split(r"[;\n]", text or ""):
        if not part.strip():
            continue
        match = _RULE_TEXT_RE.match(part)
        if not match:
            raise ValidationError(
                _("Could not read the rule “%(part)s”; write it like “Midterm: 40%%”.")
                % {"part": part.strip()},
                code="invalid_rules",
            )
        rules.append(
            {
                "category": match["category"].strip(),
                "weight": float(match["weight"].replace(",", ".")),
            }
        )
    return rules


_ATTENDANCE_WORDS = {
    "present": "present", "p": "present", "παρων": "present", "παρουσα": "present",
    "παρον": "present", "π": "present",
    "absent": "absent", "a": "absent", "απων": "absent", "απουσα": "absent",
    "απουσια": "absent", "α": "absent",
    "late": "late", "l": "late", "καθυστερηση": "late", "αργοπορια": "late",
    "αργοπορημενος": "late", "αργοπορημενη": "late",
    "excused": "excused", "e": "excused", "δικαιολογημενη": "excused",
    "δικαιολογημενος": "excused", "δικαιολογημενη απουσια": "excused",
}  # fmt: skip


def normalise_attendance_status(value: str) -> str:
    """Accept any case and the Greek words a secretary would type; unknown stays as typed."""
    import unicodedata

    text = unicodedata.normalize("NFD", str(value or "").strip().lower())
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Mn")
    return _ATTENDANCE_WORDS.get(text, str(value or "").strip().lower())
