"""Rows without a registration number, matched to the stored students by their names.

A school registry's student list often has no registration number (Αριθμός μητρώου)
column, or leaves the cell empty. Such a row is the stored student with the same surname,
first name and father's name, compared accent-, case- and spacing-insensitively (final
sigma ς and σ alike). Nothing is guessed: two stored students with the same three names,
or two rows of the file naming the same student, are row errors naming the registration
numbers; a row that matches nobody is a row error too, since a new student needs a
registration number and the registry's list gives none.

Set-based: the file is scanned once for the names it uses (a digest per row, as for the
duplicate keys), and the stored students are read in one query, streamed, keeping only
those whose normalised surname the file names. So the match costs one query per file,
whatever its length; the students are those stored when the file is planned.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from apps.academics.models import Student
from apps.bulkio.columns import NAME_KEY_COLUMNS
from apps.bulkio.readers import Table, short_list

NAME_FIELDS = NAME_KEY_COLUMNS["students"]  # surname, first name, father's name
_NOT_WORD = re.compile(r"[\W_]+")
_MEMO_LIMIT = 50_000

NameKey = tuple[str, str, str]


def normalise_name(text: str) -> str:
    """``Παπαδόπουλος``, ``ΠΑΠΑΔΟΠΟΥΛΟΣ`` and ``παπαδοπουλοσ`` are one name."""
    decomposed = unicodedata.normalize("NFD", text or "")
    bare = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    # casefold() also makes the final sigma ς a σ.
    return " ".join(_NOT_WORD.sub(" ", bare.casefold()).split())


def _digest(key: NameKey) -> bytes:
    return hashlib.blake2b("\x1f".join(key).encode(), digest_size=16).digest()


class NameMatcher:
    """Finds the ``student_id`` of the rows that have none (``resolve``), by their names."""

    def __init__(self, table: Table, positions: dict[str, int], *, unescape):
        self._memo: dict[str, str] = {}
        self._id_index = positions.get("student_id")
        self._name_indexes = [positions[name] for name in NAME_FIELDS]
        self._unescape = unescape
        # The file's rows without a registration number: their first row per name triple,
        # the rows of the triples seen more than once, and the surnames the file uses.
        self._first_row: dict[bytes, int] = {}
        self._repeated: dict[bytes, list[int]] = {}
        self._surnames: set[str] = set()
        self._students: dict[NameKey, list[str]] | None = None
        self._scan(table.rows)

    @classmethod
    def for_table(cls, resource: str, table: Table, positions: dict[str, int], *, unescape):
        """A matcher when the resource is students and the file names all three names."""
        if resource != "students" or not all(name in positions for name in NAME_FIELDS):
            return None
        return cls(table, positions, unescape=unescape)

    # --- The file ---------------------------------------------------------------------------
    def _cell(self, cells, index: int | None) -> str:
        if index is None or index >= len(cells):
            return ""
        text = cells[index]
        if text and text[0] == "'":
            text = self._unescape(text)
        return text.strip()

    def _key(self, texts: Iterable[str]) -> NameKey:
        memo = self._memo  # a file and a school repeat the same few hundred names
        key = []
        for text in texts:
            name = memo.get(text)
            if name is None:
                name = normalise_name(text)
                if len(memo) < _MEMO_LIMIT:
                    memo[text] = name
            key.append(name)
        return tuple(key)  # type: ignore[return-value]

    def _scan(self, rows) -> None:
        first_row, repeated = self._first_row, self._repeated
        for number, cells in rows:
            if self._cell(cells, self._id_index):
                continue
            key = self._key(self._cell(cells, index) for index in self._name_indexes)
            if not key[0] or not key[1]:
                continue
            self._surnames.add(key[0])
            digest = _digest(key)
            first = first_row.setdefault(digest, number)
            if first != number:
                repeated.setdefault(digest, [first]).append(number)

    # --- The stored students --------------------------------------------------------------
    def _load_students(self) -> dict[NameKey, list[str]]:
        """The stored students whose surname the file uses, in one streamed query."""
        students: dict[NameKey, list[str]] = {}
        surnames = self._surnames
        if not surnames:
            return students
        stored = Student.objects.order_by().values_list("student_id", *NAME_FIELDS)
        for student_id, *names in stored.iterator(chunk_size=2000):
            if self._key(names[:1])[0] in surnames:
                students.setdefault(self._key(names), []).append(student_id)
        return students

    # --- The rows -------------------------------------------------------------------------
    def resolve(self, rows) -> None:
        """Give each row without a registration number the one its names match, or an error."""
        for row in rows:
            if (row.raw.get("student_id") or "").strip():
                continue
            # An empty cell's only complaint is that it is blank: the names answer it.
            row.errors = [error for error in row.errors if error[0] != "student_id"]
            if any(name in NAME_FIELDS for name, _message in row.errors):
                continue  # a name that cannot be read: its own error says why
            values = row.values
            texts = [values.get(name) or "" for name in NAME_FIELDS]
            key = self._key(texts)
            if not key[0] or not key[1]:
                row.errors.append(("student_id", _no_names()))
                continue
            if self._students is None:
                self._students = self._load_students()
            found = self._students.get(key, [])
            others = [n for n in self._repeated.get(_digest(key), ()) if n != row.row]
            if len(found) > 1:
                row.errors.append(("student_id", _ambiguous(found)))
            elif others:
                row.errors.append(("student_id", _repeated(others, found)))
            elif not found:
                row.errors.append(("student_id", _no_match(texts)))
            else:
                values["student_id"] = row.raw["student_id"] = found[0]


def _no_names() -> str:
    return _("No registration number: give it, or the surname, first name and father's name.")


def _ambiguous(student_ids: list[str]) -> str:
    return _(
        "%(count)s students have these three names (%(ids)s): give the registration number."
    ) % {"count": len(student_ids), "ids": short_list(sorted(student_ids))}


def _repeated(rows: list[int], student_ids: list[str]) -> str:
    values = {"rows": short_list([str(n) for n in rows]), "id": ", ".join(student_ids)}
    if student_ids:
        text = ngettext(
            "Row %(rows)s has the same three names (student %(id)s): give the registration "
            "number in each row.",
            "Rows %(rows)s have the same three names (student %(id)s): give the registration "
            "number in each row.",
            len(rows),
        )
    else:
        text = ngettext(
            "Row %(rows)s has the same three names: give the registration number in each row.",
            "Rows %(rows)s have the same three names: give the registration number in each row.",
            len(rows),
        )
    return text % values


def _no_match(texts: list[str]) -> str:
    return _(
        "No student %(name)s (father: %(father)s); a new student needs a registration number."
    ) % {"name": f"{texts[0]} {texts[1]}", "father": texts[2] or "—"}
