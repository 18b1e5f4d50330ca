"""Column maps remembered per user: the next file with the same header row reads the same way.

A map is found by a digest of the header row's names as the importer compares them
(``header_key``: case, accents and punctuation aside), sorted, so a file whose columns
were only moved around is the same file. The failed-rows download's own ``error`` column
is left out, so the corrected file finds the map of the file it came from.

Maps are kept per user and resource: a teacher's mapping never changes how an admin's
upload is read, nor one teacher's another's.
"""

from __future__ import annotations

import hashlib

from apps.accounts.models import User
from apps.bulkio.columns import FAILED_ROWS_ERROR_COLUMN, ColumnMap, header_key
from apps.bulkio.models import ColumnMapping

__all__ = ["header_digest", "remember_map", "remembered_map"]


def header_digest(file_headers: list[str]) -> str:
    keys = {header_key(header) for header in file_headers} - {"", FAILED_ROWS_ERROR_COLUMN}
    return hashlib.sha256("\x1f".join(sorted(keys)).encode()).hexdigest()


def remembered_map(user: User | None, resource: str, file_headers: list[str]) -> ColumnMap:
    """The user's map for this header row; empty when there is none."""
    if user is None or not user.pk:
        return {}
    found = (
        ColumnMapping.objects.filter(
            user=user, resource=resource, header_digest=header_digest(file_headers)
        )
        .values_list("column_map", flat=True)
        .first()
    )
    return dict(found or {})


def remember_map(
    *, user: User | None, resource: str, file_headers: list[str], column_map: ColumnMap
) -> None:
    """Keep the map the user chose for this header row (an empty map forgets it)."""
    if user is None or not user.pk:
        return
    digest = header_digest(file_headers)
    if not column_map:
        ColumnMapping.objects.filter(user=user, resource=resource, header_digest=digest).delete()
        return
    ColumnMapping.objects.update_or_create(
        user=user,
        resource=resource,
        header_digest=digest,
        defaults={"column_map": column_map},
    )
