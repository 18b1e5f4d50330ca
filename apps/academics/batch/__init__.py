"""Batch services: many records validated, written or reverted at once.

They sit beside the single services (``apps.academics.services``) and share their rules:
the models' own field validators and ``clean()``, so a batch refuses the same values with
the same words. Every batch write keeps the rows' history (actor and change reason) and
announces what it wrote once, on commit, through the change hook
(``apps.academics.changes``). Importers only read their files and keep their change log.

    rows = [BatchRow(values={...}), ...]
    validate_rows(Grade, rows, course_scope=...)        # sets each row's action/errors
    result = write_rows(Grade, rows, actor=..., change_reason=..., source="import",
                        origin="import:12")              # new and update rows
    revert_rows(Grade, remove=result.created_ids, ..., origin="import:12")
"""

from apps.academics.batch.reverting import (
    RevertResult,
    dependent_ids,
    revert_rows,
    stored_rows,
)
from apps.academics.batch.validation import (
    ERROR,
    KEY_FIELDS,
    NEW,
    SKIP,
    UPDATE,
    BatchRow,
    FieldRules,
    assign_keys,
    gc_paused,
    validate_rows,
    value_fields,
)
from apps.academics.batch.writing import RowUpdate, WriteResult, write_rows

__all__ = [
    "ERROR",
    "KEY_FIELDS",
    "NEW",
    "SKIP",
    "UPDATE",
    "BatchRow",
    "FieldRules",
    "RevertResult",
    "RowUpdate",
    "WriteResult",
    "assign_keys",
    "dependent_ids",
    "gc_paused",
    "revert_rows",
    "stored_rows",
    "validate_rows",
    "value_fields",
    "write_rows",
]
