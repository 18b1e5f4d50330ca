"""A OneRoster zip is read part by part as it unpacks, never holding a part whole.

Issue 11's bound: for any file up to the upload limit the web process grows by less than
200 MB, and a refusal names the limit in one short sentence. A 2.7 MB zip whose
results.csv unpacked to 241 MB (under the 100× bomb ratio) used to cost ~490 MB before
the text limit refused it. Memory is measured with tracemalloc around ``read_package``.
"""

from __future__ import annotations

import csv
import io
import itertools
import random
import zipfile
from collections.abc import Iterable, Iterator

import pytest

from apps.bulkio.models import ImportJob
from apps.bulkio.oneroster import schema
from apps.bulkio.oneroster.package import read_package
from apps.bulkio.reading import FileRejected
from tests.bulkio import hostile
from tests.bulkio.conftest import upload

MB = 1_048_576
MANIFEST = "propertyName,value\nmanifest.version,1.0\noneroster.version,1.1\n"


def build_package(
    parts: dict[str, Iterable[bytes]],
    *,
    manifest: Iterable[bytes] | None = None,
    compression: int = zipfile.ZIP_DEFLATED,
) -> bytes:
    """A zip of ``parts`` (written chunk by chunk); the manifest lists them."""
    if manifest is None:
        listed = "".join(f"{schema.manifest_key(name)},bulk\n" for name in parts)
        manifest = [(MANIFEST + listed).encode()]
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", compression) as archive:
        for name, chunks in {schema.MANIFEST: manifest, **parts}.items():
            with archive.open(name, "w") as member:
                for chunk in chunks:
                    member.write(chunk)
    return output.getvalue()


def part_csv(name: str, megabytes: float, *, extra_chars: int = 1_200) -> Iterator[bytes]:
    """``megabytes`` of rows of the OneRoster file ``name``, in blocks of rows: an id, a
    status, and past the header a cell SMS never reads holding text varied enough to
    deflate about 50 times."""
    rnd = random.Random(11)
    header = schema.HEADERS[name]
    yield (",".join(header) + "\n").encode()
    empty = "," * (len(header) - 2)
    written, number = 0, 0
    while written < megabytes * MB:
        block = "".join(
            f"id-{n},active{empty},{rnd.getrandbits(64):016x}{'y' * extra_chars}\n"
            for n in range(number, number + 1_000)
        ).encode()
        number += 1_000
        written += len(block)
        yield block


def read_measured(data: bytes):
    """(the package or the refusal, peak bytes allocated while reading it)."""
    return hostile.traced(lambda: read_package(data, "oneroster.zip"))


assert_refused = hostile.assert_refused


def test_read_package_refuses_a_results_file_past_the_text_limit_without_unpacking_it():
    data = build_package({schema.RESULTS: part_csv(schema.RESULTS, 40)})
    assert len(data) < 2 * MB  # a small upload: ~25 times smaller than it unpacks

    outcome, peak = read_measured(data)

    assert_refused(outcome, "more than 33,554,432 characters of text")
    assert str(outcome).startswith("results.csv: ")
    # Holding the part cost twice its 40 MB before; now a chunk or two and the ~27,000
    # rows' kept cells read before the refusal (~12 MB).
    assert peak < 20 * MB


def test_read_package_counts_every_part_against_the_unpacked_limit(settings):
    settings.SMS_BULKIO_MAX_UNPACKED_BYTES = 8 * MB
    data = build_package(
        {schema.USERS: part_csv(schema.USERS, 6), schema.RESULTS: part_csv(schema.RESULTS, 6)}
    )

    outcome, peak = read_measured(data)

    assert_refused(outcome, "The zip is larger than 8 MB once unpacked.")
    assert peak < 8 * MB


def test_read_package_refuses_a_manifest_of_megabytes_without_holding_it():
    rnd = random.Random(3)
    padding = (
        "".join(f"x.{rnd.getrandbits(64):016x}{'y' * 1_000},v\n" for _ in range(1_000)).encode()
        for _ in range(40)
    )
    head = [(MANIFEST + "file.results,bulk\n").encode()]
    data = build_package({}, manifest=itertools.chain(head, padding))

    outcome, peak = read_measured(data)

    assert_refused(outcome, "manifest.csv is larger than 1 MB")
    assert peak < 8 * MB


@pytest.mark.django_db
def test_import_api_refuses_a_manifest_cell_past_the_csv_field_limit_with_a_400(admin_api):
    manifest = MANIFEST + 'file.results,bulk\nnote,"' + "a" * 200_000 + '"\n'
    data = build_package({schema.RESULTS: [b"sourcedId,status\n"]}, manifest=[manifest.encode()])

    response = upload(admin_api, "oneroster", data, name="oneroster.zip")

    assert response.status_code == 400
    assert response.json()["file"] == [
        "manifest.csv is not a valid CSV file; save it again as CSV."
    ]
    assert ImportJob.objects.count() == 0


def test_read_package_reads_a_part_of_several_megabytes_as_the_csv_module_does():
    rows = [list(schema.HEADERS[schema.RESULTS])] + [
        [f"res-{n}", "active", "", f"li-{n % 7}", f"stu-{n % 90}", "fully graded",
         str(n % 20), "2025-01-01", f"Πολύ καλά, «{n}»\r\nμε δύο γραμμές" * 2 if n % 3 else ""]
        for n in range(30_000)
    ]  # fmt: skip
    text = io.StringIO()
    csv.writer(text, lineterminator="\r\n").writerows(rows)
    body = text.getvalue().encode()
    assert len(body) > 3 * MB  # several chunks, Greek letters cut at their edges
    data = build_package({schema.RESULTS: [body]})

    package = read_package(data, "oneroster.zip")

    table = package.tables[schema.RESULTS]
    kept = [rows[0].index(name) for name in table.headers]
    numbers, line = [], 1  # a row's number is the line it ends on
    for cells in rows[1:]:
        line += 1 + cells[-1].count("\n")
        numbers.append(line)
    assert table.encoding == "utf-8"
    assert package.row_count == 30_000
    expected = zip(numbers, rows[1:], strict=True)
    assert table.rows == [(number, tuple(cells[i] for i in kept)) for number, cells in expected]


def test_read_package_reads_a_header_followed_by_megabytes_of_blank_lines_as_empty():
    users = [(",".join(schema.HEADERS[schema.USERS]) + "\r\n").encode(), b"\r\n" * (3 * MB)]
    data = build_package({schema.USERS: users}, compression=zipfile.ZIP_STORED)

    package = read_package(data, "oneroster.zip")

    assert package.tables[schema.USERS].rows == []
    assert package.tables[schema.USERS].file_headers == list(schema.HEADERS[schema.USERS])


@pytest.mark.parametrize("body", [b"", b"  \r\n\r\n"])
def test_read_package_refuses_a_blank_listed_file(body):
    data = build_package({schema.USERS: [body]})

    outcome, _peak = read_measured(data)

    assert_refused(outcome, "users.csv is empty; it needs at least its header row.")


def test_read_package_refuses_a_part_damaged_after_its_first_megabytes_as_damaged():
    output = io.BytesIO()
    body = b"".join(part_csv(schema.RESULTS, 2.5, extra_chars=400))
    with zipfile.ZipFile(output, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr(schema.MANIFEST, MANIFEST + "file.results,bulk\n")
        archive.writestr(schema.RESULTS, body)
    data = bytearray(output.getvalue())
    at = data.rindex(b"id-") + 3
    data[at] ^= 0x01  # the last row's id: only the checksum at the end tells

    with pytest.raises(FileRejected) as refusal:
        read_package(bytes(data), "oneroster.zip")

    assert_refused(refusal.value, "The zip file could not be read; it may be damaged.")
    assert not str(refusal.value).startswith("results.csv")
