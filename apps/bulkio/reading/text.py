"""CSV and other delimited text, read line by line.

Secretaries send what their software saves: UTF-8 with or without a BOM, UTF-16 from
Excel's "Unicode text", Windows-1253 or ISO-8859-7 from older Greek setups, Latin-1;
commas, semicolons, tabs or pipes. The file is decoded a megabyte at a time, never whole,
and no record longer than ``MAX_ROW_CHARS`` is ever held. ``read_csv_stream`` reads the
same from chunks of bytes as they come (a part of a zip), never holding more than one.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import re
from collections.abc import Iterable

from django.utils.translation import gettext as _

from apps.bulkio.reading.limits import (
    MAX_CELL_CHARS,
    MAX_ROW_CHARS,
    FileRejected,
    KeepColumn,
    Limits,
    Table,
    TableBuilder,
    cell_too_long,
    row_too_long,
    too_many_columns,
)

DELIMITERS = ",;\t|"
SAMPLE_BYTES = 65_536
CHUNK_BYTES = 1_048_576
# Greek-or-Latin is decided on the first megabyte: the names in it tell.
GUESS_BYTES = 1_048_576
_HIGH_BYTES = bytes(range(0xA0, 0x100))
_HIGH_RUNS = re.compile(rb"[\xa0-\xff]{2,}")
_C1_BYTES = re.compile(rb"[\x80-\x9f]")


def detect_encoding(data: bytes, *, complete: bool = True) -> str:
    """UTF-16 and UTF-8 by their BOM or validity; otherwise tell Greek code pages from Latin-1.

    Greek text in a single-byte code page is made of runs of high bytes (whole words),
    while Western text has isolated accented letters inside ASCII words. Windows-1253
    and ISO-8859-7 agree on every Greek letter but Ά and the 0x80–0x9F range.
    ``complete=False``: ``data`` is the head of a longer file and may end inside a letter.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    if _is_utf8(data, final=complete):
        return "utf-8"
    sample = data[:GUESS_BYTES]
    high = len(sample) - len(sample.translate(None, _HIGH_BYTES))
    in_runs = len(sample) - len(_HIGH_RUNS.sub(b"", sample))
    if not high or in_runs / high <= 0.5:
        return "latin-1"
    if _C1_BYTES.search(data) or b"\xa2" in data:
        return "cp1253"
    if b"\xb6" in data:
        return "iso-8859-7"
    return "cp1253"


def _is_utf8(data: bytes, *, final: bool = True) -> bool:
    decoder = codecs.getincrementaldecoder("utf-8")()
    view = memoryview(data)
    try:
        for start in range(0, len(data), CHUNK_BYTES):
            decoder.decode(view[start : start + CHUNK_BYTES])
        decoder.decode(b"", final=final)
    except UnicodeDecodeError:
        return False
    return True


def detect_delimiter(sample: str) -> str:
    """The delimiter that splits the first lines into the same number of cells as the header.

    Each candidate is tried with the CSV reader itself (quotes respected); the widest
    consistent split wins, ties going to the more common delimiter.
    """
    lines = [line for line in sample.splitlines() if line.strip()][:20]
    if not lines:
        return ","
    text = "\n".join(lines)

    def score(delimiter: str) -> tuple[float, int]:
        try:
            widths = [len(row) for row in csv.reader(io.StringIO(text), delimiter=delimiter)]
        except csv.Error:
            return (0.0, 0)
        header = widths[0] if widths else 0
        if header < 2:
            return (0.0, header)
        agreeing = sum(1 for width in widths if width == header)
        return (agreeing / len(widths), header)

    return max(DELIMITERS, key=lambda delimiter: (score(delimiter), -DELIMITERS.index(delimiter)))


def read_csv(data: bytes, limits: Limits, keep_column: KeepColumn | None = None) -> Table:
    view = memoryview(data)
    chunks = (view[start : start + CHUNK_BYTES] for start in range(0, len(view), CHUNK_BYTES))
    return _read(chunks, detect_encoding(data), data[:SAMPLE_BYTES], limits, keep_column)


def read_csv_stream(
    chunks: Iterable[bytes],
    limits: Limits,
    keep_column: KeepColumn | None = None,
    *,
    header_only: bool = False,
) -> Table:
    """``read_csv`` of the bytes ``chunks`` yields, read as they come: only the first
    megabyte (for the encoding) and the chunk being decoded are held.

    The encoding is told from that first megabyte; a file that turns to another one
    further on is refused as undecodable. ``header_only``: a file whose only non-blank
    row is its header gives a table without rows instead of a refusal, and a blank file
    one without headers.
    """
    chunks = iter(chunks)
    head, complete = b"", True
    for chunk in chunks:
        head += chunk
        if len(head) >= GUESS_BYTES:
            complete = False
            break
    encoding = detect_encoding(head, complete=complete)
    return _read(
        itertools.chain((head,), chunks), encoding, head[:SAMPLE_BYTES], limits, keep_column,
        header_only=header_only,
    )  # fmt: skip


def _read(
    chunks: Iterable[bytes],
    encoding: str,
    sample: bytes,
    limits: Limits,
    keep_column: KeepColumn | None,
    *,
    header_only: bool = False,
) -> Table:
    first: list[str] | None = None  # the first non-blank row, while it is the only one
    rows_seen = 0  # non-blank rows, counted up to 2
    try:
        delimiter = detect_delimiter(_decode_sample(sample, encoding))
        lines = _Lines(chunks, encoding, delimiter, limits.max_columns)
        builder = TableBuilder(limits, keep_column)
        reader = csv.reader(lines, delimiter=delimiter)
        for cells in reader:
            if cells:
                if header_only and rows_seen < 2 and any(map(str.strip, cells)):
                    rows_seen += 1
                    first = cells if rows_seen == 1 else None
                builder.add(lines.number, cells)
            lines.pending = 0
    except UnicodeDecodeError:
        raise FileRejected(
            _("The file's text encoding could not be recognised. Save it as “CSV UTF-8” and "
              "try again.")
        ) from None  # fmt: skip
    except csv.Error as error:
        if "field larger than field limit" in str(error):
            raise cell_too_long(lines.number, MAX_CELL_CHARS) from None
        raise FileRejected(
            _("The CSV file is malformed near row %(row)s: %(error)s")
            % {"row": lines.number, "error": str(error)[:200]}
        ) from None
    if header_only and rows_seen < 2:
        file_headers = [cell.strip() for cell in first or ()]
        kept = [n for n in file_headers if n and (keep_column is None or keep_column(n))]
        return Table("csv", encoding, delimiter, kept, [], file_headers)
    return builder.table("csv", encoding, delimiter)


def _decode_sample(data: bytes, encoding: str) -> str:
    decoder = codecs.getincrementaldecoder(encoding)()
    return decoder.decode(data[:SAMPLE_BYTES], final=False)


_LINE_END = re.compile(r"\r\n?|\n")
_EMPTY_LINES = re.compile(r"[\r\n]+")


class _Lines:
    """The file's physical lines for the CSV reader, decoded a chunk (a megabyte) at a time.

    ``number`` is the number of the last line handed out. Between records (``pending``
    is 0) runs of empty lines are stepped over in one go, so a flood of them costs
    nothing; a record past ``MAX_ROW_CHARS`` and binary data are refused.
    """

    def __init__(self, chunks: Iterable[bytes], encoding: str, delimiter: str, max_columns: int):
        self.chunks = chunks
        self.encoding = encoding
        self.delimiter = delimiter
        self.max_columns = max_columns
        self.number = 0
        self.pending = 0

    def _too_long(self, text: str) -> FileRejected:
        """A record over the limit: say why in the words that fit, columns or characters."""
        if text.count(self.delimiter, 0, MAX_ROW_CHARS) >= self.max_columns:
            return too_many_columns(self.max_columns)
        return row_too_long(self.number + 1, MAX_ROW_CHARS)

    def __iter__(self):
        decoder = codecs.getincrementaldecoder(self.encoding)()
        buffer = ""
        for chunk in self.chunks:
            buffer = yield from self._feed(buffer, decoder.decode(chunk), final=False)
        buffer = yield from self._feed(buffer, decoder.decode(b"", final=True), final=True)
        if buffer:
            self.number += 1
            yield buffer

    def _feed(self, buffer: str, text: str, final: bool):
        """Yield the lines ``text`` completes; return what is left of the unfinished one."""
        if "\x00" in text:
            raise FileRejected(
                _("The file contains binary data. Export it as CSV or Excel and try again.")
            )
        buffer += text
        position = yield from self._split(buffer, final)
        buffer = buffer[position:]
        if len(buffer) + self.pending > MAX_ROW_CHARS:
            raise self._too_long(buffer)
        return buffer

    def _split(self, buffer: str, final: bool):
        """Yield the complete lines of ``buffer``; return where the unfinished one starts."""
        position, length = 0, len(buffer)
        while position < length:
            if not self.pending and buffer[position] in "\r\n":
                empty = _EMPTY_LINES.match(buffer, position)
                if empty:
                    end = empty.end()
                    # A final "\r" waits: the "\n" of its "\r\n" may be in the next chunk.
                    held_back = end == length and buffer[-1] == "\r" and not final
                    end -= held_back
                    run = buffer[position:end]
                    self.number += run.count("\n") + run.count("\r") - run.count("\r\n")
                    position = end
                    if held_back:
                        break
                    continue
            found = _LINE_END.search(buffer, position)
            if found is None or (found.end() == length and buffer[-1] == "\r" and not final):
                break
            line = buffer[position : found.end()]
            position = found.end()
            self.pending += len(line)
            if self.pending > MAX_ROW_CHARS:
                raise self._too_long(line)
            self.number += 1
            yield line
        return position
