"""Loading millions of seed rows into PostgreSQL: ``COPY`` into a bare table, then build
its indexes and foreign keys once.

Row-by-row ``INSERT`` on PostgreSQL pays, per row, a statement, a step in each of the
table's B-trees (with their write-ahead log) and a queued foreign key check that runs at
commit. ``COPY`` streams the rows instead, and an index or a foreign key added to a full
table is one sort or one join. Everything happens inside the caller's transaction, so a
failure rolls the dropped indexes and constraints back with the rows; the primary key and
the check constraints stay and still check every row, and re-adding the unique constraints
and foreign keys checks all rows at once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import connection
from django.db.models import Model

# Memory for each index build's sort, for the seeding transaction only (default 64 MB).
INDEX_BUILD_MEMORY = "256MB"

_CONSTRAINTS_SQL = """
    SELECT conname, contype, pg_get_constraintdef(oid)
    FROM pg_constraint
    WHERE conrelid = %s::regclass AND contype IN ('f', 'u')
    ORDER BY conname
"""
# Plain and partial indexes: not the primary key, not one that backs a constraint.
_INDEXES_SQL = """
    SELECT index.relname, pg_get_indexdef(index.oid)
    FROM pg_index AS x JOIN pg_class AS index ON index.oid = x.indexrelid
    WHERE x.indrelid = %s::regclass AND NOT x.indisprimary
      AND NOT EXISTS (
        SELECT 1 FROM pg_constraint AS c
        WHERE c.conrelid = x.indrelid AND c.conindid = x.indexrelid
      )
    ORDER BY index.relname
"""


@dataclass(frozen=True)
class _TableShape:
    """What is dropped before the load and built again after it, as PostgreSQL prints it."""

    foreign_keys: list[tuple[str, str]]  # (name, definition)
    uniques: list[tuple[str, str]]
    indexes: list[tuple[str, str]]  # (name, CREATE INDEX statement)


def copy_rows(
    model: type[Model],
    fields: tuple[str, ...],
    batches: Iterator[list[tuple]],
    after_batch: Callable[[int], None],
) -> int:
    """Stream the rows into the model's table with ``COPY … FROM STDIN``; returns the count.

    ``after_batch`` gets the number of rows of each batch once it is sent.
    """
    db_table = model._meta.db_table
    columns = [model._meta.get_field(name).column for name in fields]
    quote = connection.ops.quote_name
    sql = "COPY {} ({}) FROM STDIN (FORMAT BINARY, FREEZE)".format(
        quote(db_table), ", ".join(quote(column) for column in columns)
    )
    done = 0
    with _built_after_load(model), connection.cursor() as cursor:
        # The table is empty (no students yet, so no rows of theirs); emptied again in this
        # transaction, it takes its rows frozen and marked visible (COPY … FREEZE): the
        # stored figures' rebuild at commit then reads them by index alone and rewrites no
        # page to set hint bits, as it would for rows written the usual way.
        cursor.execute(f"TRUNCATE {quote(db_table)}")
        types = _column_types(cursor, db_table, columns)
        # The driver's own cursor: Django's wrapper has no COPY.
        with cursor.cursor.copy(sql) as copy:
            # Binary rows with the columns' own types: about a third of the client's work
            # of formatting text rows.
            copy.set_types(types)
            write_row = copy.write_row
            for batch in batches:
                for row in batch:
                    write_row(row)
                done += len(batch)
                after_batch(len(batch))
        # Fresh statistics before the stored figures read the new rows at commit.
        cursor.execute(f"ANALYZE {quote(db_table)}")
    return done


def _column_types(cursor, db_table: str, columns: list[str]) -> list[int]:
    """The type of each column (PostgreSQL's type ids), in the order given."""
    cursor.execute(
        "SELECT attname, atttypid FROM pg_attribute "
        "WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped",
        [connection.ops.quote_name(db_table)],
    )
    types = dict(cursor.fetchall())
    return [types[column] for column in columns]


@contextmanager
def _built_after_load(model: type[Model]):
    # Outside a transaction the dropped constraints would be gone for good on a failure.
    assert connection.in_atomic_block, "load seed rows inside a transaction"
    table = connection.ops.quote_name(model._meta.db_table)
    # Rows written earlier in this transaction (students, courses) still have foreign key
    # checks queued, and PostgreSQL alters no table with queued checks: run them now.
    connection.check_constraints()
    with connection.cursor() as cursor:
        shape = _table_shape(cursor, model._meta.db_table)
        for name, _definition in shape.foreign_keys + shape.uniques:
            cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {_quote(name)}")
        for name, _statement in shape.indexes:
            cursor.execute(f"DROP INDEX {_quote(name)}")
    yield
    with connection.cursor() as cursor:
        # Until the seeding transaction ends.
        cursor.execute("SELECT set_config('maintenance_work_mem', %s, true)", [INDEX_BUILD_MEMORY])
        for name, definition in shape.uniques:
            cursor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {_quote(name)} {definition}")
        for _name, statement in shape.indexes:
            cursor.execute(statement)
        # Last: checking a foreign key is one join, which the indexes above do not need.
        for name, definition in shape.foreign_keys:
            cursor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {_quote(name)} {definition}")


def _table_shape(cursor, db_table: str) -> _TableShape:
    cursor.execute(_CONSTRAINTS_SQL, [connection.ops.quote_name(db_table)])
    constraints = cursor.fetchall()
    cursor.execute(_INDEXES_SQL, [connection.ops.quote_name(db_table)])
    return _TableShape(
        foreign_keys=[(name, definition) for name, kind, definition in constraints if kind == "f"],
        uniques=[(name, definition) for name, kind, definition in constraints if kind == "u"],
        indexes=list(cursor.fetchall()),
    )


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)
