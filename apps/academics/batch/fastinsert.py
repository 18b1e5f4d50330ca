"""Insert many rows quickly: ids allocated up front, COPY (PostgreSQL) or executemany.

``bulk_create`` spends most of its time compiling SQL for small batches (SQLite allows
999 parameters per statement, so ~70 rows) and preparing every value through the field
API. Here each distinct value is prepared once per field, the statement is compiled
once, and the ids are known before the insert, so history rows and change records can
point at the new rows without reading them back. The caller holds the transaction
(on SQLite an IMMEDIATE one, so nobody else can take ids meanwhile).

Any model will do: the batch writers insert school records and their history with it, an
importer may insert its own change log the same way, and the analytics rebuild its stored
results (``insert_rows_numbered_by_database``: no ids read first, none needed).
"""

from __future__ import annotations

from operator import itemgetter

from django.db import connections, models, router

CHUNK = 5000
MEMO_LIMIT = 20_000


def supported(model: type[models.Model]) -> bool:
    return connections[router.db_for_write(model)].vendor in ("sqlite", "postgresql")


def allocate_ids(model: type[models.Model], count: int) -> list[int]:
    connection = connections[router.db_for_write(model)]
    table = model._meta.db_table
    column = model._meta.pk.column
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [table, column, count],
            )
            return [row[0] for row in cursor.fetchall()]
        quoted = connection.ops.quote_name(table)
        cursor.execute(f"SELECT MAX({connection.ops.quote_name(column)}) FROM {quoted}")
        highest = cursor.fetchone()[0] or 0
        cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
        found = cursor.fetchone()
        start = max(highest, found[0] if found else 0) + 1
    return list(range(start, start + count))


# Values of these fields reach the driver as they are (the batch callers have typed them).
PLAIN_FIELDS = (
    models.CharField,
    models.TextField,
    models.IntegerField,
    models.BooleanField,
    models.AutoField,
    models.BigAutoField,
    models.ForeignKey,
)


def _adapter(field: models.Field, connection):
    if isinstance(field, PLAIN_FIELDS) and not (
        isinstance(field, models.ForeignKey) and not isinstance(field.target_field, PLAIN_FIELDS)
    ):
        return None
    prepare = field.get_db_prep_save
    memo: dict = {}

    def adapt(value):
        try:
            return memo[value]
        except KeyError:
            prepared = prepare(value, connection)
            if len(memo) < MEMO_LIMIT:
                memo[value] = prepared
            return prepared
        except TypeError:  # unhashable (JSON)
            return prepare(value, connection)

    return adapt


def insert_rows(model: type[models.Model], rows: list[dict]) -> list[int]:
    """Insert ``rows`` (attname → Python value); returns their new ids, in order.

    Rows should carry every column; columns missing from the first row are set to None.
    """
    if not rows:
        return []
    ids = allocate_ids(model, len(rows))
    pk_name = model._meta.pk.attname
    for pk, row in zip(ids, rows, strict=True):
        row[pk_name] = pk
    _write(model, list(model._meta.concrete_fields), rows, last_id=ids[-1])
    return ids


def insert_rows_numbered_by_database(model: type[models.Model], rows: list[dict]) -> None:
    """Insert ``rows`` as ``insert_rows`` does, without reading ids first: an
    auto-numbered primary key is left to the database (a primary key that is a plain
    column, such as a one-to-one link, comes in the rows)."""
    if not rows:
        return
    fields = [
        field
        for field in model._meta.concrete_fields
        if not (field.primary_key and isinstance(field, models.AutoField))
    ]
    _write(model, fields, rows)


def _write(model, fields: list[models.Field], rows: list[dict], last_id: int | None = None):
    connection = connections[router.db_for_write(model)]
    missing = [field.attname for field in fields if field.attname not in rows[0]]
    for row in rows if missing else ():
        for name in missing:
            row.setdefault(name, None)
    getter = itemgetter(*[field.attname for field in fields])
    adapters = [
        (index, adapt)
        for index, field in enumerate(fields)
        if (adapt := _adapter(field, connection)) is not None
    ]
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    columns = ", ".join(quote(field.column) for field in fields)

    def prepared(chunk):
        for row in chunk:
            values = list(getter(row))
            for index, adapt in adapters:
                values[index] = adapt(values[index])
            yield values

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # COPY: one stream instead of a statement per row.
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for values in prepared(rows):
                    copy.write_row(values)
            return
        sql = f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(fields))})"
        for start in range(0, len(rows), CHUNK):
            cursor.executemany(sql, list(prepared(rows[start : start + CHUNK])))
        if connection.vendor == "sqlite" and last_id is not None:
            # Keep AUTOINCREMENT's counter in step, as an insert without ids would.
            cursor.execute(
                "UPDATE sqlite_sequence SET seq = %s WHERE name = %s AND seq < %s",
                [last_id, model._meta.db_table, last_id],
            )
