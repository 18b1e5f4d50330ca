"""Excel workbooks (.xlsx), read as a stream of rows from the first sheet.

An XLSX file is a zip of XML parts. The zip is checked before anything is unpacked
(number of parts, the size its directory declares for each part we read, against a
limit), and the sheet is parsed as it is unpacked, with no tree: rows and cells come
from the cells the sheet holds, never from the dimension it declares, so a sheet that
claims a million rows by 16,384 columns costs what its few real cells cost. Shared
strings are kept as UTF-8 in one buffer, not as a million small objects.
"""

from __future__ import annotations

import functools
import io
import lzma
import posixpath
import struct
import zipfile
import zlib
from array import array
from xml.parsers import expat

from django.utils.translation import gettext as _
from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format, is_timedelta_format
from openpyxl.utils.datetime import MAC_EPOCH, WINDOWS_EPOCH, from_excel, from_ISO8601

from apps.bulkio.reading.cells import cell_text
from apps.bulkio.reading.limits import (
    MAX_CELL_CHARS,
    FileRejected,
    KeepColumn,
    Limits,
    Table,
    TableBuilder,
    cell_too_long,
    too_many_columns,
)

# A workbook has a dozen parts; a zip directory listing thousands costs memory to read.
MAX_PARTS = 1_000
MAX_DIRECTORY_BYTES = 1_048_576
MAX_STYLES = 65_536  # Excel itself stops at 64,000 cell formats
MAX_SHEET_ROWS = 1_048_576
MAX_SHEET_COLUMNS = 16_384
READ_BYTES = 65_536
# Real sheets deflate 5–20 times; a part far beyond that is a bomb, refused unread.
MAX_RATIO = 100
RATIO_FROM_BYTES = 10 * 1_048_576
# Marks, maxima and dates repeat: each distinct (value, style) is converted once.
NUMBER_MEMO = 10_000
_END_OF_DIRECTORY = struct.Struct("<4s4H2LH")
_DAMAGED_ERRORS = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    zlib.error,
    lzma.LZMAError,
    EOFError,
    OSError,
    RuntimeError,  # encrypted parts
    NotImplementedError,  # unknown compression
    expat.ExpatError,
    KeyError,
    IndexError,
    UnicodeError,
    ValueError,  # e.g. a negative seek from a part's damaged offset
    struct.error,
)


def damaged() -> FileRejected:
    return FileRejected(
        _("The file could not be read as an Excel workbook (.xlsx). It may be damaged or "
          "saved in another format.")
    )  # fmt: skip


def too_large_unpacked(limit: int) -> FileRejected:
    return FileRejected(
        _("The workbook is larger than %(limit)s MB once unpacked. Split it into smaller files.")
        % {"limit": f"{limit // 1_048_576:,}"}
    )


def bad_reference(reference: str) -> FileRejected:
    return FileRejected(
        _("The workbook has a cell with an invalid reference “%(reference)s”.")
        % {"reference": reference[:20]}
    )


def read_xlsx(data: bytes, limits: Limits, keep_column: KeepColumn | None = None) -> Table:
    _check_directory(data)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return _Workbook(archive, limits, keep_column).read()
    except _DAMAGED_ERRORS:
        raise damaged() from None


def _check_directory(data: bytes) -> None:
    """Refuse a zip whose directory is too big to be a workbook's, before reading it."""
    end = data.rfind(b"PK\x05\x06", max(0, len(data) - 65_557))
    if end < 0 or len(data) - end < _END_OF_DIRECTORY.size:
        raise damaged()
    fields = _END_OF_DIRECTORY.unpack_from(data, end)
    parts, directory_bytes = fields[4], fields[5]
    if parts > MAX_PARTS or directory_bytes > MAX_DIRECTORY_BYTES:
        raise damaged()


# --- Parts ----------------------------------------------------------------------------------
def _refuse_dtd(*_args) -> None:
    # Spreadsheet parts never carry a DTD; one that does is an entity bomb, not a sheet.
    raise FileRejected(
        _("The workbook contains markup that spreadsheets never use (a DTD), so it was not read.")
    )


class _Workbook:
    def __init__(
        self, archive: zipfile.ZipFile, limits: Limits, keep_column: KeepColumn | None = None
    ):
        self.keep_column = keep_column
        self.archive = archive
        self.limits = limits
        self.unpacked = 0
        if len(archive.infolist()) > MAX_PARTS:
            raise damaged()

    def read(self) -> Table:
        book_path = self._targets("_rels/.rels").get("officeDocument", "xl/workbook.xml")
        book = _WorkbookPart()
        self._parse(book_path, book)
        if book.sheet_id is None:
            raise damaged()
        rels_path = posixpath.join(
            posixpath.dirname(book_path), "_rels", posixpath.basename(book_path) + ".rels"
        )
        relations = _Relations(posixpath.dirname(book_path))
        self._parse(rels_path, relations)
        sheet_path = relations.by_id.get(book.sheet_id)
        if sheet_path is None:
            raise damaged()
        styles = _Styles()
        if styles_path := relations.by_type.get("styles"):
            self._parse(styles_path, styles, optional=True)
        strings = _SharedStrings()
        if strings_path := relations.by_type.get("sharedStrings"):
            self._parse(strings_path, strings, optional=True)
        builder = TableBuilder(self.limits, self.keep_column)
        sheet = _Sheet(
            builder,
            strings,
            styles.date_styles(),
            epoch=MAC_EPOCH if book.date1904 else WINDOWS_EPOCH,
            max_columns=self.limits.max_columns,
        )
        self._parse(sheet_path, sheet)
        sheet.flush()
        return builder.table("xlsx", None, None)

    def _targets(self, rels_path: str) -> dict[str, str]:
        relations = _Relations("")
        self._parse(rels_path, relations, optional=True)
        return relations.by_type

    def _parse(self, path: str, handler, *, optional: bool = False) -> None:
        try:
            info = self.archive.getinfo(path)
        except KeyError:
            if optional:
                return
            raise
        self.unpacked += info.file_size
        if self.unpacked > self.limits.max_unpacked_bytes:
            raise too_large_unpacked(self.limits.max_unpacked_bytes)
        if info.file_size > RATIO_FROM_BYTES and info.file_size > MAX_RATIO * info.compress_size:
            raise FileRejected(
                _("The workbook unpacks to more than %(ratio)s times its size, which "
                  "spreadsheets never do, so it was not read.") % {"ratio": MAX_RATIO}
            )  # fmt: skip
        parser = expat.ParserCreate()
        parser.buffer_text = True
        parser.StartDoctypeDeclHandler = _refuse_dtd
        parser.EntityDeclHandler = _refuse_dtd
        parser.StartElementHandler = handler.start
        parser.EndElementHandler = getattr(handler, "end", None)
        parser.CharacterDataHandler = getattr(handler, "text", None)
        with self.archive.open(info) as stream:
            while chunk := stream.read(READ_BYTES):
                parser.Parse(chunk, False)
        parser.Parse(b"", True)


def _local(name: str) -> str:
    return name.rpartition(":")[2] if ":" in name else name


class _Relations:
    """A .rels part: relationship id → part path, and relationship type → part path."""

    def __init__(self, base: str):
        self.base = base
        self.by_id: dict[str, str] = {}
        self.by_type: dict[str, str] = {}

    def start(self, name: str, attrs: dict) -> None:
        if _local(name) != "Relationship" or attrs.get("TargetMode") == "External":
            return
        target = attrs.get("Target", "")
        if target.startswith("/"):
            path = target.lstrip("/")
        else:
            path = posixpath.normpath(posixpath.join(self.base, target))
        self.by_id.setdefault(attrs.get("Id", ""), path)
        self.by_type.setdefault(attrs.get("Type", "").rpartition("/")[2], path)


class _WorkbookPart:
    """workbook.xml: the first sheet's relationship id and the date system."""

    def __init__(self):
        self.sheet_id: str | None = None
        self.date1904 = False

    def start(self, name: str, attrs: dict) -> None:
        local = _local(name)
        if local == "sheet" and self.sheet_id is None:
            self.sheet_id = next((v for k, v in attrs.items() if _local(k) == "id"), None)
        elif local == "workbookPr":
            self.date1904 = attrs.get("date1904", "").lower() in ("1", "true")


class _Styles:
    """styles.xml: which cell styles show numbers as dates (or durations)."""

    def __init__(self):
        self.custom: dict[int, str] = {}
        self.formats: list[int] = []
        self.depth_in_cell_xfs = 0

    def start(self, name: str, attrs: dict) -> None:
        local = _local(name)
        if local == "numFmt":
            self.custom[_int(attrs.get("numFmtId"))] = attrs.get("formatCode", "")
            if len(self.custom) > MAX_STYLES:
                raise damaged()
        elif local == "cellXfs":
            self.depth_in_cell_xfs += 1
        elif local == "xf" and self.depth_in_cell_xfs:
            self.formats.append(_int(attrs.get("numFmtId")))
            if len(self.formats) > MAX_STYLES:
                raise damaged()

    def end(self, name: str) -> None:
        if _local(name) == "cellXfs":
            self.depth_in_cell_xfs -= 1

    def date_styles(self) -> dict[int, bool]:
        """Style index → True for a duration format, False for a date format."""
        styles = {}
        for index, format_id in enumerate(self.formats):
            code = self.custom.get(format_id) or BUILTIN_FORMATS.get(format_id)
            if code and is_date_format(code):
                styles[index] = is_timedelta_format(code)
        return styles


def _int(text: str | None) -> int:
    try:
        return int(text or 0)
    except ValueError:
        return -1


class _SharedStrings:
    """sharedStrings.xml, kept as UTF-8 in one buffer with the offset of each string."""

    def __init__(self):
        self.buffer = bytearray()
        self.offsets = array("L", [0])
        self.parts: list[str] | None = None
        self.length = 0
        self.capture = False
        self.phonetic = 0

    def start(self, name: str, attrs: dict) -> None:
        local = _local(name)
        if local == "si":
            self.parts, self.length = [], 0
        elif local == "t" and self.parts is not None and not self.phonetic:
            self.capture = True
        elif local == "rPh":
            self.phonetic += 1

    def end(self, name: str) -> None:
        local = _local(name)
        if local == "t":
            self.capture = False
        elif local == "rPh":
            self.phonetic -= 1
        elif local == "si" and self.parts is not None:
            self.buffer += "".join(self.parts).encode("utf-8", "surrogatepass")
            self.offsets.append(len(self.buffer))
            self.parts = None

    def text(self, data: str) -> None:
        if self.capture:
            self.length += len(data)
            if self.length > MAX_CELL_CHARS:
                raise FileRejected(
                    _("The workbook has a cell longer than %(limit)s characters.")
                    % {"limit": f"{MAX_CELL_CHARS:,}"}
                )
            self.parts.append(data)

    def __getitem__(self, index: int) -> str:
        if not 0 <= index < len(self.offsets) - 1:
            raise IndexError(index)
        return self.buffer[self.offsets[index] : self.offsets[index + 1]].decode(
            "utf-8", "surrogatepass"
        )


# --- The sheet ------------------------------------------------------------------------------
_DIGITS = "0123456789"


@functools.lru_cache(maxsize=32_768)
def _column_number(letters: str) -> int | None:
    """Column letters as a number (AB → 28); None for what is not a column of a sheet."""
    if not 0 < len(letters) <= 3 or not letters.isascii() or not letters.isalpha():
        return None
    column = 0
    for letter in letters.upper():
        column = column * 26 + ord(letter) - 64
    return column if column <= MAX_SHEET_COLUMNS else None


def _column_of(reference: str) -> int:
    """The column number of a reference (AB12 → 28); refuses what is not a reference."""
    letters = reference.rstrip(_DIGITS)
    digits = reference[len(letters) :]
    column = _column_number(letters.replace("$", "") if "$" in letters else letters)
    if (
        column is None
        or not digits
        or digits[0] == "0"
        or len(digits) > 7
        or (len(digits) == 7 and int(digits) > MAX_SHEET_ROWS)
    ):
        raise bad_reference(reference)
    return column


class _Sheet:
    """Streams a worksheet's rows into the table builder, one row held at a time."""

    def __init__(self, builder, strings, date_styles, *, epoch, max_columns: int):
        self.builder = builder
        self.strings = strings
        self.date_styles = date_styles
        self.epoch = epoch
        self.max_columns = max_columns
        self.row = 0
        self.values: dict[int, str] = {}
        self.column = 0
        self.kind = "n"
        self.style = ""
        self.reference = ""
        self.parts: list[str] = []
        self.length = 0
        self.capture = False
        self.in_cell = False
        self.phonetic = 0
        self.numbers: dict[tuple[str, str], str] = {}

    def start(self, name: str, attrs: dict) -> None:
        if ":" in name:
            name = _local(name)
        if name == "c":
            self.in_cell = True
            self.reference = attrs.get("r", "")
            self.column = _column_of(self.reference) if self.reference else self.column + 1
            self.kind = attrs.get("t", "n")
            self.style = attrs.get("s", "")
            self.parts, self.length = [], 0
        elif self.in_cell and (name == "v" or (name == "t" and not self.phonetic)):
            self.capture = True
        elif name == "rPh":
            self.phonetic += 1
        elif name == "row":
            self.flush()
            number = attrs.get("r")
            if number is None:
                self.row += 1
            elif number.isascii() and number.isdigit() and 0 < int(number) <= MAX_SHEET_ROWS:
                self.row = int(number)
            else:
                raise bad_reference(number)
            self.column = 0

    def end(self, name: str) -> None:
        if ":" in name:
            name = _local(name)
        if name == "c":
            self.in_cell = False
            self.capture = False
            if self.parts:
                self._store(self._value("".join(self.parts)))
        elif name == "v" or name == "t":
            self.capture = False
        elif name == "rPh":
            self.phonetic -= 1
        elif name == "row":
            self.flush()

    def text(self, data: str) -> None:
        if self.capture:
            self.length += len(data)
            if self.length > MAX_CELL_CHARS:
                raise cell_too_long(self.row, MAX_CELL_CHARS)
            self.parts.append(data)

    def _store(self, text: str) -> None:
        if not text:
            return
        if self.column > self.max_columns:
            raise too_many_columns(self.max_columns)
        self.values[self.column] = text

    def _value(self, raw: str) -> str:
        kind = self.kind
        if kind == "s":
            try:
                return self.strings[int(raw)].strip()
            except ValueError:
                raise damaged() from None
        if kind in ("inlineStr", "str", "e"):
            return raw.strip()
        if kind == "b":
            return "true" if raw.strip() in ("1", "true") else "false"
        if kind == "d":
            try:
                return cell_text(from_ISO8601(raw.strip()))
            except ValueError:
                return raw.strip()
        key = (raw, self.style)
        text = self.numbers.get(key)
        if text is None:
            text = self._number(raw.strip())
            if len(self.numbers) < NUMBER_MEMO:
                self.numbers[key] = text
        return text

    def _number(self, raw: str) -> str:
        try:
            number = float(raw) if ("." in raw or "e" in raw or "E" in raw) else int(raw)
        except ValueError:
            return raw  # not a number after all: the row check will say so
        duration = self.date_styles.get(_int(self.style)) if self.style else None
        if duration is not None:
            try:
                return cell_text(from_excel(number, self.epoch, timedelta=duration))
            except (OverflowError, ValueError):
                pass
        return cell_text(number)

    def flush(self) -> None:
        if not self.values:
            return
        values = self.values
        self.values = {}
        cells = [""] * max(values)
        for column, text in values.items():
            cells[column - 1] = text
        self.builder.add(self.row, cells)
