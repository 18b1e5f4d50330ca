"""Audit trail for bulk writes.

``bulk_create`` and ``bulk_update`` skip ``save()`` and its signals, so the history the
models keep (django-simple-history) would silently miss every row an importer writes.
These wrappers write the rows and their historical records together, in one transaction,
stamped with the user who ran the operation.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TypeVar

from django.db import models, transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history as _bulk_create_with_history
from simple_history.utils import bulk_update_with_history as _bulk_update_with_history

from apps.accounts.models import User

ModelT = TypeVar("ModelT", bound=models.Model)

DEFAULT_BATCH_SIZE = 1000


def bulk_create_with_history(
    objs: Iterable[ModelT],
    model: type[ModelT],
    *,
    actor: User | None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    change_reason: str | None = None,
    ignore_conflicts: bool = False,
) -> list[ModelT]:
    """Insert ``objs`` and one ``+`` history row each, recorded as done by ``actor``.

    The objects are not validated here: callers (the importer) validate first.
    """
    objs = list(objs)
    if not objs:
        return []
    with transaction.atomic():
        return _bulk_create_with_history(
            objs,
            model,
            batch_size=batch_size,
            ignore_conflicts=ignore_conflicts,
            default_user=actor,
            default_change_reason=change_reason,
        )


def bulk_update_with_history(
    objs: Iterable[ModelT],
    model: type[ModelT],
    fields: Sequence[str],
    *,
    actor: User | None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    change_reason: str | None = None,
) -> int:
    """Update ``fields`` of ``objs`` and write one ``~`` history row each for ``actor``.

    ``auto_now`` timestamps (``updated_at``) are bumped as ``save()`` would do, and
    soft-deleted rows are reachable, so a restore or a re-import can touch them.
    """
    objs = list(objs)
    if not objs:
        return 0
    fields = list(fields)
    now = timezone.now()
    for field in model._meta.concrete_fields:
        if getattr(field, "auto_now", False):
            for obj in objs:
                setattr(obj, field.attname, now)
            if field.name not in fields:
                fields.append(field.name)
    manager = getattr(model, "all_objects", None) or model._default_manager
    with transaction.atomic():
        return _bulk_update_with_history(
            objs,
            model,
            fields,
            batch_size=batch_size,
            default_user=actor,
            default_change_reason=change_reason,
            manager=manager,
        )
