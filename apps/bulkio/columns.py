"""Column names and cell values as people write them, mapped to the importer's fields.

Headers match case- and accent-insensitively, ignoring punctuation such as the colon
in the college's registration form (`Επώνυμο:`), in English or Greek.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _


def header_key(text: str) -> str:
    text = unicodedata.normalize("NFD", str(text or "").strip().lower())
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Mn")
    text = re.sub(r"[^\w]+|_", " ", text)
    return " ".join(text.split())


def _aliases(*names: str) -> set[str]:
    return {header_key(name) for name in names}


RESOURCE_COLUMNS: dict[str, dict[str, set[str]]] = {
    "students": {
        "student_id": _aliases(
            "student_id",
            "student id",
            "id",
            "registration number",
            "αμ",
            "α.μ.",
            "αριθμός μητρώου",
            "αρ. μητρώου",
            "αριθμός μητρώου σπουδαστή",
            "αριθμός μητρώου μαθητή",
            "κωδικός σπουδαστή",
            "μητρώο",
        ),
        "first_name": _aliases(
            "first_name", "first name", "firstname", "given name", "όνομα", "όνομα μαθητή"
        ),
        "last_name": _aliases(
            "last_name", "last name", "lastname", "surname", "επώνυμο", "επώνυμο μαθητή"
        ),
        "email": _aliases(
            "email",
            "e-mail",
            "email address",
            "ηλ. ταχυδρομείο",
            "ηλεκτρονικό ταχυδρομείο",
            "ηλ. διεύθυνση",
            "ηλεκτρονική διεύθυνση",
        ),
        "father_name": _aliases(
            "father_name",
            "father name",
            "father's name",
            "πατρώνυμο",
            "όνομα πατέρα",
            "όνομα πατρός",
        ),
        # The registry writes it in full, abridged (Ημ/νία) and in title case; the
        # matching ignores case, accents and the slash.
        "date_of_birth": _aliases(
            "date_of_birth",
            "date of birth",
            "birth date",
            "birthdate",
            "birthday",
            "dob",
            "ημερομηνία γέννησης",
            "ημ/νία γέννησης",
            "ημ. γέννησης",
            "ημερ. γέννησης",
            "ημ/νια γεν.",
        ),
        "mobile_phone": _aliases(
            "mobile_phone",
            "mobile phone",
            "mobile",
            "cell phone",
            "κινητό",
            "κινητό τηλέφωνο",
            "τηλέφωνο κινητό",
            "τηλ. κινητό",
            "κιν. τηλέφωνο",
        ),
        "phone": _aliases(
            "phone", "telephone", "landline", "τηλέφωνο", "σταθερό", "σταθερό τηλέφωνο"
        ),
        "study_year": _aliases("study_year", "study year", "year", "έτος σπουδών", "έτος", "τάξη"),
        "academic_year": _aliases(
            "academic_year",
            "academic year",
            "school year",
            "ακαδημαϊκό έτος",
            "σχολικό έτος",
        ),
        "class_division": _aliases(
            "class_division", "class division", "class", "division", "τμήμα"
        ),
        "enrollment_date": _aliases(
            "enrollment_date",
            "enrollment date",
            "registration date",
            "ημερομηνία εγγραφής",
            "ημ/νία εγγραφής",
        ),
        "is_active": _aliases("is_active", "active", "ενεργός", "ενεργή", "ενεργό"),
        "notes": _aliases("notes", "comments", "σημειώσεις", "παρατηρήσεις"),
    },
    "courses": {
        "course_code": _aliases(
            "course_code", "course code", "code", "κωδικός", "κωδικός μαθήματος"
        ),
        "course_name": _aliases("course_name", "course name", "name", "title", "μάθημα", "τίτλος"),
        "semester": _aliases("semester", "εξάμηνο"),
        "credits": _aliases("credits", "ects", "μονάδες", "πιστωτικές μονάδες"),
        "description": _aliases("description", "περιγραφή"),
        "absence_penalty": _aliases("absence_penalty", "absence penalty", "ποινή απουσίας"),
        "hours_per_week": _aliases("hours_per_week", "hours per week", "ώρες εβδομαδιαίως", "ώρες"),
        "periods_per_week": _aliases(
            "periods_per_week",
            "periods per week",
            "περίοδοι εβδομαδιαίως",
        ),
        "evaluation_rules": _aliases(
            "evaluation_rules",
            "evaluation rules",
            "evaluation",
            "κανόνες αξιολόγησης",
            "αξιολόγηση",
        ),
    },
    "enrollments": {
        "student_id": _aliases(
            "student_id", "student id", "student", "αμ", "α.μ.", "αριθμός μητρώου"
        ),
        "course_code": _aliases(
            "course_code", "course code", "course", "κωδικός μαθήματος", "μάθημα"
        ),
        "enrolled_at": _aliases(
            "enrolled_at", "enrolled at", "enrollment date", "ημερομηνία εγγραφής"
        ),
        "status": _aliases("status", "κατάσταση"),
    },
    "grades": {
        "student_id": _aliases(
            "student_id", "student id", "student", "αμ", "α.μ.", "αριθμός μητρώου"
        ),
        "course_code": _aliases(
            "course_code", "course code", "course", "κωδικός μαθήματος", "μάθημα"
        ),
        "assignment_name": _aliases(
            "assignment_name",
            "assignment name",
            "assignment",
            "εργασία",
            "αξιολόγηση",
            "τίτλος",
        ),
        "category": _aliases("category", "κατηγορία"),
        "grade": _aliases("grade", "score", "mark", "βαθμός"),
        "max_grade": _aliases("max_grade", "max grade", "out of", "μέγιστος βαθμός", "άριστα"),
        "weight": _aliases("weight", "βάρος"),
        "date_assigned": _aliases(
            "date_assigned", "date assigned", "assigned", "ημερομηνία ανάθεσης"
        ),
        "date_submitted": _aliases(
            "date_submitted",
            "date submitted",
            "submitted",
            "ημερομηνία υποβολής",
        ),
        "notes": _aliases("notes", "comments", "σημειώσεις", "παρατηρήσεις"),
    },
    "attendance": {
        "student_id": _aliases(
            "student_id", "student id", "student", "αμ", "α.μ.", "αριθμός μητρώου"
        ),
        "course_code": _aliases(
            "course_code", "course code", "course", "κωδικός μαθήματος", "μάθημα"
        ),
        "date": _aliases("date", "ημερομηνία"),
        "status": _aliases("status", "κατάσταση", "παρουσία"),
        "period_number": _aliases("period_number", "period number", "period", "ώρα", "περίοδος"),
        "notes": _aliases("notes", "comments", "σημειώσεις", "παρατηρήσεις"),
    },
}

REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    "students": ("student_id", "first_name", "last_name", "email"),
    "courses": ("course_code", "course_name", "semester"),
    "enrollments": ("student_id", "course_code"),
    "grades": ("student_id", "course_code", "assignment_name", "category", "grade"),
    "attendance": ("student_id", "course_code", "date", "status"),
}


# The column the failed-rows download adds after the file's own: on re-import it is just
# an unknown column, ignored.
FAILED_ROWS_ERROR_COLUMN = "error"

# A file's own column names mapped by the user to fields ("" ignores the column): the
# headers the aliases above do not know, or know as another field. Keys are the file's
# headers as written; they match case- and accent-insensitively, as the aliases do.
ColumnMap = dict[str, str]


class ColumnMapInvalid(ValueError):
    """A column map that cannot be applied; the message is one sentence for people."""


def column_aliases(resource: str, column_map: ColumnMap | None = None) -> dict[str, set[str]]:
    """The resource's aliases with the map applied: a mapped header names its field only."""
    aliases = RESOURCE_COLUMNS[resource]
    if not column_map:
        return aliases
    mapped = {header_key(header): field for header, field in column_map.items()}
    result = {field: names - mapped.keys() for field, names in aliases.items()}
    for key, field in mapped.items():
        if field:
            result[field] = result[field] | {key}
    return result


def match_headers(
    resource: str, headers: list[str], column_map: ColumnMap | None = None
) -> tuple[dict[str, int], list[str]]:
    """Map each known field to its column index; return it with the ignored headers.

    The first column that matches a field wins; extra columns are ignored, not errors.
    """
    aliases = column_aliases(resource, column_map)
    positions: dict[str, int] = {}
    ignored: list[str] = []
    for index, header in enumerate(headers):
        key = header_key(header)
        field = next((name for name, names in aliases.items() if key in names), None)
        if field is None or field in positions:
            if header.strip():
                ignored.append(header)
            continue
        positions[field] = index
    return positions, ignored


def known_column(resource: str, column_map: ColumnMap | None = None):
    """Whether a header names one of the resource's fields, under any of its aliases or
    as the column map says."""
    names = frozenset().union(*column_aliases(resource, column_map).values())
    return lambda header: header_key(header) in names


def clean_column_map(resource: str, column_map) -> ColumnMap:
    """The map as given, checked on its own: JSON object of header → field name or ""."""
    fields = RESOURCE_COLUMNS[resource]
    if not isinstance(column_map, dict) or not all(
        isinstance(key, str) and isinstance(value, str | None) for key, value in column_map.items()
    ):
        raise ColumnMapInvalid(
            _('The column map must be a JSON object of file column names and field names '
              '("" to ignore a column).')
        )  # fmt: skip
    cleaned: ColumnMap = {}
    taken: dict[str, str] = {}
    for header, field in column_map.items():
        header, field = header.strip(), (field or "").strip()
        if not header_key(header):
            raise ColumnMapInvalid(_("The column map names an empty column."))
        if field and field not in fields:
            raise ColumnMapInvalid(
                _("“%(field)s” is not a field of %(resource)s; the fields are: %(fields)s.")
                % {"field": field[:40], "resource": resource, "fields": ", ".join(fields)}
            )
        if field and field in taken:
            raise ColumnMapInvalid(
                _("“%(first)s” and “%(second)s” are both mapped to %(field)s; map each field "
                  "once.") % {"first": taken[field][:40], "second": header[:40], "field": field}
            )  # fmt: skip
        if field:
            taken[field] = header
        cleaned[header] = field
    return cleaned


def check_column_map(resource: str, column_map: ColumnMap | None, file_headers: list[str]):
    """The map against the file's header row: every header it names is there, and no field
    is given both by a mapped column and by a column the aliases recognise."""
    if not column_map:
        return
    present = {header_key(header) for header in file_headers if header}
    for header in column_map:
        if header_key(header) not in present:
            raise ColumnMapInvalid(
                _("The file has no column “%(header)s”.") % {"header": header[:40]}
            )
    mapped = {header_key(header): header for header in column_map}
    for header in file_headers:
        key = header_key(header)
        if not key or key in mapped:
            continue
        field = next(
            (name for name, names in RESOURCE_COLUMNS[resource].items() if key in names), None
        )
        other = next((h for h, f in column_map.items() if f and f == field), None)
        if other is not None:
            raise ColumnMapInvalid(
                _("“%(mapped)s” is mapped to %(field)s, but the column “%(header)s” already "
                  "gives it; ignore one of the two.")
                % {"mapped": other[:40], "field": field, "header": header[:40]}
            )  # fmt: skip


# A registry report may have no registration number column: its rows are then matched to
# the stored students by these names (apps.bulkio.importing.name_match).
NAME_KEY_COLUMNS: dict[str, tuple[str, ...]] = {
    "students": ("last_name", "first_name", "father_name"),
}


def missing_columns(resource: str, positions: dict[str, int]) -> list[str]:
    missing = [name for name in REQUIRED_COLUMNS[resource] if name not in positions]
    names = NAME_KEY_COLUMNS.get(resource)
    if missing and names and all(name in positions for name in names):
        missing = [name for name in missing if name != "student_id"]
    return missing


# --- Cell values --------------------------------------------------------------------------
class CellError(ValueError):
    """A cell's text cannot be read as the field's type; the message is for people."""


_DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%d/%m/%y", "%Y/%m/%d")


def parse_date(text: str) -> dt.date | None:
    text = (text or "").strip()
    if not text:
        return None
    return _parse_date_text(text)


@functools.lru_cache(maxsize=4096)  # a file repeats the same few hundred dates
def _parse_date_text(text: str) -> dt.date:
    if len(text) == 10 and text[4] == "-":
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            pass
    if "T" in text or " " in text:  # ISO datetimes from spreadsheets
        text = re.split(r"[T ]", text, maxsplit=1)[0]
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise CellError(_("“%(value)s” is not a date; use YYYY-MM-DD or DD/MM/YYYY.") % {"value": text})


def parse_decimal(text: str) -> Decimal | None:
    text = (text or "").strip().replace(" ", "")
    if not text:
        return None
    if "," in text and "." not in text:
        text = text.replace(",", ".")  # decimal comma
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise CellError(_("“%(value)s” is not a number.") % {"value": text}) from None
    if not value.is_finite():
        raise CellError(_("“%(value)s” is not a number.") % {"value": text})
    return value


def parse_int(text: str) -> int | None:
    value = parse_decimal(text)
    if value is None:
        return None
    if value != value.to_integral_value():
        raise CellError(_("“%(value)s” is not a whole number.") % {"value": text})
    return int(value)


_TRUE = {"1", "true", "yes", "y", "ναι", "ν", "active", "ενεργος", "ενεργη", "x"}
_FALSE = {"0", "false", "no", "n", "οχι", "ο", "inactive", "ανενεργος", "ανενεργη"}


def parse_bool(text: str) -> bool | None:
    key = header_key(text)
    if not key:
        return None
    if key in _TRUE:
        return True
    if key in _FALSE:
        return False
    raise CellError(_("“%(value)s” is not yes/no.") % {"value": text})


_GREEK_YEARS = {"α": 1, "β": 2, "γ": 3, "δ": 4, "a": 1, "b": 2, "c": 3, "d": 4}


def parse_study_year(text: str) -> int | None:
    """`2`, `Β'`, `Β΄`, `Β` and `B` all mean the second year."""
    key = header_key(text)
    if not key:
        return None
    if key in _GREEK_YEARS:
        return _GREEK_YEARS[key]
    return parse_int(text)
