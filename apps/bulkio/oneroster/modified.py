"""``dateLastModified`` on import: a record the package creates keeps it as its
``updated_at``, the time its data last changed where it came from, so exporting it again
gives the same value. A record the import changes was changed now, and says so; a date
the file does not give, cannot be read as ISO 8601, or lies in the future leaves the
import's own time."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.db import models
from django.db.models import Case, Value, When

CHUNK = 1000


def parse_modified(text: str) -> dt.datetime | None:
    """An ISO 8601 date-time (``2026-01-20T08:15:00.250Z``); one without an offset is UTC."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def keep_file_times(
    model: type[models.Model], stamps: list[tuple[object, dt.datetime]], *, now: dt.datetime
) -> None:
    """Give the records just created (by sourced_id) their file's time: one UPDATE per
    thousand records, not one per record."""
    stamps = sorted(((sourced, min(when, now)) for sourced, when in stamps), key=lambda s: s[1])
    field = model._meta.get_field("updated_at")
    for start in range(0, len(stamps), CHUNK):
        chunk = stamps[start : start + CHUNK]
        by_time: dict[dt.datetime, list] = defaultdict(list)
        for sourced, when in chunk:
            by_time[when].append(sourced)
        model._base_manager.filter(sourced_id__in=[sourced for sourced, _when in chunk]).update(
            updated_at=Case(
                *(
                    When(sourced_id__in=ids, then=Value(when, output_field=field))
                    for when, ids in by_time.items()
                ),
                output_field=field,
            )
        )
