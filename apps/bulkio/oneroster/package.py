"""An uploaded OneRoster zip, checked and read: the manifest and the data files SMS uses.

The zip is refused before anything is unpacked when it is not a zip (its first bytes),
too large, or its directory lists too many parts; a part that declares more than what is
left of the readers' unpacked-size limit, or far more than its packed size (a bomb), is
refused before it is opened. Each CSV is then streamed, a megabyte at a time, from the
zip into the importer's own CSV reader: the unpacked bytes are counted against the limit
as they come (never trusting the sizes the zip declares), the row, column and cell limits
are shared by the whole package, and only the columns SMS reads are kept. No part is ever
held whole; the manifest, a few lines, is read up to ``MAX_MANIFEST_BYTES``. Each refusal
is one sentence.
"""

from __future__ import annotations

import csv
import io
import itertools
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.conf import settings
from django.utils.translation import gettext as _

from apps.bulkio.oneroster import schema
from apps.bulkio.reading import FileRejected, Limits, Table, detect_encoding
from apps.bulkio.reading.text import CHUNK_BYTES, read_csv_stream

MAGIC = b"PK\x03\x04"
MAX_PARTS = 100
# A manifest is a dozen lines; far more is not one (and is never held whole).
MAX_MANIFEST_BYTES = 1_048_576
MANIFEST_ROWS = 200
# CSV deflates 5–20 times; far beyond that is a bomb (as for workbooks' parts).
MAX_RATIO = 100
RATIO_FROM_BYTES = 1_048_576

# The columns SMS reads from each file (the others are read, counted and dropped).
REQUIRED: dict[str, tuple[str, ...]] = {
    schema.ORGS: ("sourcedId", "status"),
    schema.ACADEMIC_SESSIONS: ("sourcedId", "status", "title"),
    schema.USERS: (
        "sourcedId", "status", "enabledUser", "orgSourcedIds", "role", "username",
        "givenName", "familyName", "identifier", "email", "sms", "phone",
    ),
    schema.COURSES: ("sourcedId", "status", "title", "courseCode"),
    schema.CLASSES: ("sourcedId", "status", "courseSourcedId", "termSourcedIds"),
    schema.ENROLLMENTS: ("sourcedId", "status", "classSourcedId", "userSourcedId", "role",
                         "beginDate"),
    schema.CATEGORIES: ("sourcedId", "status", "title"),
    schema.LINE_ITEMS: (
        "sourcedId", "status", "title", "assignDate", "classSourcedId", "categorySourcedId",
        "resultValueMax",
    ),
    schema.RESULTS: (
        "sourcedId", "status", "lineItemSourcedId", "studentSourcedId", "score", "scoreDate",
        "comment",
    ),
}  # fmt: skip
# Read when a file has them, never required: a record the package creates keeps its row's
# dateLastModified.
OPTIONAL: tuple[str, ...] = ("dateLastModified",)


@dataclass
class Package:
    manifest: dict[str, str]
    # The data files SMS reads that the manifest lists, in the order they are applied.
    modes: dict[str, str] = field(default_factory=dict)
    tables: dict[str, Table] = field(default_factory=dict)

    @property
    def row_count(self) -> int:
        return sum(len(table.rows) for table in self.tables.values())


def not_a_zip(name: str) -> FileRejected:
    return FileRejected(
        _("“%(name)s” is not a zip file. A OneRoster import is the .zip holding "
          "manifest.csv and the other CSV files.") % {"name": (name or "")[:100]}
    )  # fmt: skip


def damaged() -> FileRejected:
    return _ZipRefused(_("The zip file could not be read; it may be damaged."))


class _ZipRefused(FileRejected):
    """A refusal of the zip itself, met while a part streams through the CSV reader: shown
    as it is, not as that file's."""


def read_package(data: bytes, filename: str) -> Package:
    if len(data) > settings.SMS_BULKIO_MAX_UPLOAD_BYTES:
        raise FileRejected(
            _("The file is %(size)s MB; the largest file accepted is %(limit)s MB.")
            % {
                "size": round(len(data) / 1_048_576, 1),
                "limit": round(settings.SMS_BULKIO_MAX_UPLOAD_BYTES / 1_048_576, 1),
            }
        )
    if not data.startswith(MAGIC):
        raise not_a_zip(filename)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return _Reader(archive).read()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, OSError):
        raise damaged() from None
    except (RuntimeError, NotImplementedError):  # encrypted, or an unknown compression
        raise damaged() from None


class _Reader:
    def __init__(self, archive: zipfile.ZipFile):
        self.limits = Limits.from_settings(
            max_bytes=settings.SMS_BULKIO_MAX_UPLOAD_BYTES, max_rows=settings.SMS_BULKIO_MAX_ROWS
        )
        self.unpacked_left = self.limits.max_unpacked_bytes
        self.rows_left = self.limits.max_rows
        self.cells_left = self.limits.max_cells
        infos = archive.infolist()
        if len(infos) > MAX_PARTS:
            raise FileRejected(
                _("The zip holds more than %(limit)s files; a OneRoster package has at most 15.")
                % {"limit": MAX_PARTS}
            )
        self.archive = archive
        # Files by name, at the top of the zip or in one folder, case aside.
        self.parts = {
            info.filename.rsplit("/", 1)[-1].lower(): info
            for info in infos
            if not info.is_dir() and "__MACOSX" not in info.filename
        }

    def read(self) -> Package:
        info = self.parts.get(schema.MANIFEST.lower())
        if info is None:
            raise FileRejected(
                _("The zip has no manifest.csv; every OneRoster package starts with one.")
            )
        manifest = self._manifest(self._unpack_manifest(info))
        package = Package(manifest=manifest)
        for name in schema.FILES:
            mode = manifest.get(schema.manifest_key(name), schema.ABSENT).strip().lower()
            if mode == schema.ABSENT:
                continue
            info = self.parts.get(name.lower())
            if info is None:
                raise FileRejected(
                    _("The manifest lists %(file)s (%(mode)s) but the zip does not hold it.")
                    % {"file": name, "mode": mode}
                )
            package.modes[name] = mode
            package.tables[name] = self._table(name, info)
        if not package.tables:
            raise FileRejected(
                _("The manifest lists none of the files SMS imports (users.csv, courses.csv, "
                  "enrollments.csv, results.csv …).")
            )  # fmt: skip
        return package

    def _check_declared(self, info: zipfile.ZipInfo) -> None:
        """Refuse a part by the sizes the zip declares for it, before opening it."""
        name = info.filename.rsplit("/", 1)[-1]
        if info.file_size > self.unpacked_left:
            raise self._too_large()
        if info.file_size > RATIO_FROM_BYTES and info.file_size > MAX_RATIO * info.compress_size:
            raise FileRejected(
                _("%(file)s unpacks to more than %(ratio)s times its size, which CSV files "
                  "never do, so the zip was not read.") % {"file": name, "ratio": MAX_RATIO}
            )  # fmt: skip

    def _chunks(self, info: zipfile.ZipInfo) -> Iterator[bytes]:
        """The part's bytes a megabyte at a time, each counted against the unpacked limit
        as it is read: the first chunk past it, or past the size declared, stops the read."""
        size = 0
        with self.archive.open(info) as stream:
            while chunk := stream.read(CHUNK_BYTES):
                size += len(chunk)
                self.unpacked_left -= len(chunk)
                if self.unpacked_left < 0:
                    raise self._too_large()
                if size > info.file_size:
                    raise damaged()  # the directory said less than the part holds
                yield chunk

    def _unpack_manifest(self, info: zipfile.ZipInfo) -> bytes:
        self._check_declared(info)
        if info.file_size > MAX_MANIFEST_BYTES:
            raise self._manifest_too_large()
        data = b""
        for chunk in self._chunks(info):
            data += chunk
            if len(data) > MAX_MANIFEST_BYTES:
                raise self._manifest_too_large()
        return data

    def _too_large(self) -> FileRejected:
        return _ZipRefused(
            _("The zip is larger than %(limit)s MB once unpacked. Split it into smaller files.")
            % {"limit": f"{self.limits.max_unpacked_bytes // 1_048_576:,}"}
        )

    @staticmethod
    def _manifest_too_large() -> FileRejected:
        return FileRejected(
            _("manifest.csv is larger than %(limit)s MB; a OneRoster manifest is a few lines.")
            % {"limit": MAX_MANIFEST_BYTES // 1_048_576}
        )

    def _manifest(self, data: bytes) -> dict[str, str]:
        text = _decode(schema.MANIFEST, data)
        lines = csv.reader(io.StringIO(text))
        try:
            # The header and the first MANIFEST_ROWS properties; the rest is never read.
            rows = list(itertools.islice(filter(_filled, lines), MANIFEST_ROWS + 1))
        except csv.Error:
            raise FileRejected(
                _("manifest.csv is not a valid CSV file; save it again as CSV.")
            ) from None
        if not rows or [cell.strip() for cell in rows[0][:2]] != list(schema.MANIFEST_HEADERS):
            raise FileRejected(_("manifest.csv must start with the header propertyName,value."))
        manifest = {row[0].strip(): row[1].strip() for row in rows[1:] if len(row) >= 2}
        version = manifest.get("oneroster.version", "")
        if version != schema.VERSION:
            raise FileRejected(
                _("The manifest says OneRoster version “%(version)s”; SMS reads version 1.1.")
                % {"version": version[:20]}
            )
        for key, mode in manifest.items():
            if key.startswith("file.") and mode.lower() not in schema.FILE_MODES:
                raise FileRejected(
                    _("The manifest gives %(key)s the value “%(mode)s”; it must be bulk, delta "
                      "or absent.") % {"key": key[:60], "mode": mode[:20]}
                )  # fmt: skip
        return manifest

    def _table(self, name: str, info: zipfile.ZipInfo) -> Table:
        self._check_declared(info)
        wanted = {*REQUIRED[name], *OPTIONAL}
        limits = Limits(
            max_bytes=self.limits.max_bytes,
            max_rows=max(self.rows_left, 0),
            max_columns=self.limits.max_columns,
            max_cells=max(self.cells_left, 0),
            max_unpacked_bytes=self.limits.max_unpacked_bytes,
        )
        try:
            table = read_csv_stream(
                self._chunks(info), limits, keep_column=wanted.__contains__, header_only=True
            )
        except _ZipRefused:
            raise
        except FileRejected as error:
            raise FileRejected(f"{name}: {error}") from None
        if not table.file_headers:
            raise FileRejected(_("%(file)s is empty; it needs at least its header row.")
                               % {"file": name})  # fmt: skip
        missing = [column for column in REQUIRED[name] if column not in table.file_headers]
        if missing:
            raise FileRejected(
                _("%(file)s lacks the columns %(missing)s (the OneRoster 1.1 header is: "
                  "%(header)s).")
                % {"file": name, "missing": ", ".join(missing),
                   "header": ",".join(schema.HEADERS[name])}
            )  # fmt: skip
        self.rows_left -= len(table.rows)
        self.cells_left -= len(table.rows) * max(len(table.file_headers), 1)
        return table


def _decode(name: str, data: bytes) -> str:
    try:
        return data.decode(detect_encoding(data))
    except (UnicodeDecodeError, LookupError):
        raise FileRejected(
            _("%(file)s is not text in a known encoding; save it as UTF-8.") % {"file": name}
        ) from None


def _filled(row: list[str]) -> bool:
    return any(cell.strip() for cell in row)
